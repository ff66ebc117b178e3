from datetime import UTC, datetime, timedelta

import pytest

from shared.auth import Identity, can_see_case, may
from shared.auth.keys import ensure_keypair, load_private_key, load_public_key
from shared.auth.tokens import issue_token, verify_token
from shared.errors import Unauthenticated

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
USER = {"user_id": "officer-1", "name": "王芳", "roles": ["grid_officer"], "department": None, "language": "en"}


@pytest.fixture(scope="module")
def keys(tmp_path_factory):
    private, public = ensure_keypair(tmp_path_factory.mktemp("keys"))
    return (load_private_key({"AUTH_PRIVATE_KEY_FILE": str(private)}),
            load_public_key({"AUTH_PUBLIC_KEY_FILE": str(public)}))


def test_a_token_carries_who_and_what(keys):
    token = issue_token(keys[0], user=USER, grids=["G1"], now=NOW, ttl=timedelta(hours=1))
    identity = verify_token(keys[1], token, now=NOW + timedelta(minutes=59))
    assert identity == Identity("officer-1", frozenset({"grid_officer"}), "王芳", frozenset({"G1"}), None, "en")


def test_an_expired_token_is_refused(keys):
    token = issue_token(keys[0], user=USER, grids=[], now=NOW, ttl=timedelta(hours=1))
    with pytest.raises(Unauthenticated, match="expired"):
        verify_token(keys[1], token, now=NOW + timedelta(hours=1))


def test_a_token_signed_by_another_key_is_refused(keys, tmp_path):
    other = load_private_key({"AUTH_PRIVATE_KEY_FILE": str(ensure_keypair(tmp_path)[0])})
    token = issue_token(other, user=USER, grids=[], now=NOW, ttl=timedelta(hours=1))
    with pytest.raises(Unauthenticated, match="not valid"):
        verify_token(keys[1], token, now=NOW)


@pytest.mark.parametrize("token", [None, "", "not-a-jwt", "a.b.c"])
def test_missing_or_garbage_tokens_are_refused(keys, token):
    with pytest.raises(Unauthenticated):
        verify_token(keys[1], token, now=NOW)


def test_the_private_key_file_is_readable_by_its_owner_only(tmp_path):
    private, _ = ensure_keypair(tmp_path)
    assert private.stat().st_mode & 0o077 == 0


def who(*roles, grids=(), department=None):
    return Identity("u", frozenset(roles), grids=frozenset(grids), department=department)


CASE = {"grid": "G1", "department": "sanitation", "assisting_departments": ["municipal"]}


@pytest.mark.parametrize(
    "identity, visible",
    [
        (who("operator"), True),
        (who("supervisor"), True),
        (who("grid_officer", grids=["G1"]), True),
        (who("grid_officer", grids=["G2"]), False),
        (who("grid_leader", grids=["G1", "G2"]), True),
        (who("handler", department="sanitation"), True),
        (who("handler", department="municipal"), True),
        (who("department_head", department="police"), False),
        (who("admin"), False),
        (who("handler"), False),
    ],
)
def test_who_sees_a_case(identity, visible):
    assert can_see_case(identity, CASE) is visible


@pytest.mark.parametrize("role", ["grid_officer", "grid_leader", "handler"])
def test_a_reporter_always_sees_what_they_reported_wherever_it_is(role):
    reporter = Identity("u-7", frozenset({role}), grids=frozenset({"G2"}), department="police")
    assert can_see_case(reporter, {**CASE, "reporter": "u-7", "reporters": ["u-7"]})
    assert can_see_case(reporter, {**CASE, "reporter": "u-1", "reporters": ["u-1", "u-7"]})  # merged in
    assert not can_see_case(reporter, {**CASE, "reporter": "u-1", "reporters": ["u-1"]})


def test_only_administrators_change_the_directory():
    assert may(who("admin"), "directory.write")
    assert not any(may(who(role), "directory.write") for role in ("operator", "supervisor", "grid_officer"))
