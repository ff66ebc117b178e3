"""Departments' webhook secrets are sealed at rest under a key outside the database, and the key can be rotated."""

import stat

import pytest
from cryptography.fernet import Fernet

from services.notifications.secretbox import SecretBox, box_from_config, ensure_key_file
from shared.config import ConfigError


def test_a_sealed_secret_opens_and_does_not_show():
    box = SecretBox([Fernet.generate_key()])
    sealed = box.seal("whsec_abcdef")
    assert "whsec_abcdef" not in sealed and sealed != box.seal("whsec_abcdef")  # a fresh IV each time
    assert box.open(sealed) == "whsec_abcdef" and box.up_to_date(sealed)


def test_a_plain_secret_from_before_opens_as_itself_and_wants_sealing():
    box = SecretBox([Fernet.generate_key()])
    assert box.open("whsec_old") == "whsec_old" and not box.up_to_date("whsec_old")


def test_rotation_the_first_key_seals_every_key_opens():
    old, new = Fernet.generate_key(), Fernet.generate_key()
    sealed_before = SecretBox([old]).seal("whsec_x")
    rotated = SecretBox([new, old])
    assert rotated.open(sealed_before) == "whsec_x" and not rotated.up_to_date(sealed_before)
    assert rotated.up_to_date(rotated.seal("whsec_x"))
    with pytest.raises(ConfigError, match="does not open with any key"):
        SecretBox([new]).open(sealed_before)


def test_the_key_file_is_made_once_and_readable_by_its_owner_only(tmp_path):
    path = ensure_key_file(tmp_path / "keys" / "webhook.key")
    first = path.read_bytes()
    assert ensure_key_file(path).read_bytes() == first
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    box = box_from_config({"WEBHOOK_SECRETS_KEY_FILE": str(path)})
    assert box.open(box.seal("s")) == "s"


def test_a_missing_or_bad_key_file_is_a_clear_configuration_error(tmp_path):
    with pytest.raises(ConfigError, match="WEBHOOK_SECRETS_KEY_FILE"):
        box_from_config({})
    with pytest.raises(ConfigError, match="cannot read"):
        box_from_config({"WEBHOOK_SECRETS_KEY_FILE": str(tmp_path / "none")})
    (tmp_path / "bad").write_text("not-a-key\n")
    with pytest.raises(ConfigError, match="not a list of Fernet keys"):
        box_from_config({"WEBHOOK_SECRETS_KEY_FILE": str(tmp_path / "bad")})
