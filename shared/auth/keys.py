"""Ed25519 key pairs for access tokens.

Usage: ``python -m shared.auth.keys DIR`` writes ``DIR/auth_private.pem`` and
``DIR/auth_public.pem`` (the private one readable by its owner only) unless they exist.
"""

import os
import sys
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from shared.config import ConfigError, setting

PRIVATE_NAME = "auth_private.pem"
PUBLIC_NAME = "auth_public.pem"


def ensure_keypair(directory: Path) -> tuple[Path, Path]:
    directory = Path(directory)
    private, public = directory / PRIVATE_NAME, directory / PUBLIC_NAME
    if private.exists() and public.exists():
        return private, public
    directory.mkdir(parents=True, exist_ok=True)
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    fd = os.open(private, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(pem)
    public.write_bytes(
        key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    )
    return private, public


def _read(config, key: str) -> bytes:
    path = setting(config, key)
    try:
        return Path(path).read_bytes()
    except OSError as exc:
        raise ConfigError(f"configuration {key}={path!r}: cannot read the key ({exc.strerror})") from exc


def load_public_key(config):
    return serialization.load_pem_public_key(_read(config, "AUTH_PUBLIC_KEY_FILE"))


def load_private_key(config):
    return serialization.load_pem_private_key(_read(config, "AUTH_PRIVATE_KEY_FILE"), password=None)


if __name__ == "__main__":
    target = Path(sys.argv[1] if len(sys.argv) > 1 else "var/keys")
    for path in ensure_keypair(target):
        print(path)
