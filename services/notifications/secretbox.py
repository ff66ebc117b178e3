"""Departments' webhook signing secrets, encrypted at rest.

The platform signs every webhook with the department's secret; whoever holds the
secret can forge the platform's calls to that department's systems. So the
``webhooks`` collection keeps each secret sealed with Fernet (AES-128-CBC and
HMAC-SHA256, from ``cryptography``) under a key that lives outside the database
(``WEBHOOK_SECRETS_KEY_FILE``, given to the notifications service only): a copy
of the database, a backup or a log of it, does not give the secrets away.

The key file holds one key per line. The first seals; every one opens. When the
service starts it seals every secret that is plain text (stored before sealing
existed) or sealed under another key than the first: to rotate the key, put a new
one first, restart the notifications service, then remove the old one.

Usage: ``python -m services.notifications.secretbox FILE`` writes a new key file
(readable by its owner only) unless it exists.
"""

import os
import sys
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from shared.config import ConfigError, setting

SEALED = "fernet:"  # how a sealed value starts; a plain one (from before) starts with ``whsec_``


class SecretBox:
    def __init__(self, keys: list[bytes]):
        if not keys:
            raise ValueError("no key")
        fernets = [Fernet(key) for key in keys]
        self._first, self._fernet = fernets[0], MultiFernet(fernets)

    @staticmethod
    def is_sealed(stored: str) -> bool:
        return stored.startswith(SEALED)

    def seal(self, secret: str) -> str:
        return SEALED + self._fernet.encrypt(secret.encode()).decode()

    def up_to_date(self, stored: str) -> bool:
        """Whether ``stored`` is sealed under the first key."""
        if not self.is_sealed(stored):
            return False
        try:
            self._first.decrypt(stored[len(SEALED) :].encode())
        except InvalidToken:
            return False
        return True

    def open(self, stored: str) -> str:
        """The secret of a stored value; a plain one (stored before sealing existed) is itself."""
        if not self.is_sealed(stored):
            return stored
        try:
            return self._fernet.decrypt(stored[len(SEALED) :].encode()).decode()
        except InvalidToken:
            raise ConfigError(
                "a webhook secret does not open with any key in WEBHOOK_SECRETS_KEY_FILE (was its key removed?)"
            ) from None


def ensure_key_file(path: Path) -> Path:
    path = Path(path)
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        # written aside, then linked into place: a crash never leaves an empty key file, and of two processes
        # making one at once, the first one's stays
        draft = path.with_name(f".{path.name}.{os.getpid()}")
        fd = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(Fernet.generate_key() + b"\n")
            handle.flush()
            os.fsync(handle.fileno())
        try:
            os.link(draft, path)
        except FileExistsError:
            pass
        finally:
            draft.unlink()
    return path


def box_from_config(config) -> SecretBox:
    path = setting(config, "WEBHOOK_SECRETS_KEY_FILE")
    try:
        lines = Path(path).read_bytes().split()
    except OSError as exc:
        raise ConfigError(f"configuration WEBHOOK_SECRETS_KEY_FILE={path!r}: cannot read it ({exc.strerror})") from exc
    try:
        return SecretBox(lines)
    except ValueError as exc:
        raise ConfigError(
            f"configuration WEBHOOK_SECRETS_KEY_FILE={path!r}: not a list of Fernet keys, one a line ({exc})"
        ) from None


if __name__ == "__main__":
    print(ensure_key_file(Path(sys.argv[1] if len(sys.argv) > 1 else "var/keys/webhook_secrets.key")))
