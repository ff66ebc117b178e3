from datetime import UTC, datetime, timedelta

import pytest

from shared.auth import Identity, can_see_case, may
from shared.auth.keys import ensure_keypair, load_private_key, load_public_key
from shared.auth.tokens import TokenVerifier, issue_token, verify_token
from shared.errors import Forbidden, ServiceUnavailable, Unauthenticated

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
USER = {"user_id": "officer-1", "name": "王芳", "roles": ["grid_officer"], "department": None, "language": "en"}


@pytest.fixture(scope="module")
def keys(tmp_path_factory):
    private, public = ensure_keypair(tmp_path_factory.mktemp("keys"))
    return (
        load_private_key({"AUTH_PRIVATE_KEY_FILE": str(private)}),
        load_public_key({"AUTH_PUBLIC_KEY_FILE": str(public)}),
    )


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


def test_a_verifier_that_checked_a_token_once_still_checks_its_expiry_every_time(keys):
    verifier = TokenVerifier(keys[1])
    token = issue_token(keys[0], user=USER, grids=["G1"], now=NOW, ttl=timedelta(hours=1))
    assert verifier.identity(token, now=NOW) == verify_token(keys[1], token, now=NOW)
    assert verifier.identity(token, now=NOW + timedelta(minutes=59)).user_id == "officer-1"
    with pytest.raises(Unauthenticated, match="expired"):
        verifier.identity(token, now=NOW + timedelta(hours=1))


def test_a_verifier_refuses_a_forged_token_every_time_and_what_it_hands_out_is_a_copy(keys, tmp_path):
    verifier = TokenVerifier(keys[1])
    token = issue_token(keys[0], user=USER, grids=["G1"], now=NOW, ttl=timedelta(hours=1))
    verifier.claims(token, now=NOW)["roles"] = ["admin"]
    assert verifier.claims(token, now=NOW)["roles"] == ["grid_officer"]
    header, payload, signature = token.split(".")
    forged = f"{header}.{payload}.{signature[:-4]}AAAA"
    other = load_private_key({"AUTH_PRIVATE_KEY_FILE": str(ensure_keypair(tmp_path)[0])})
    for bad in (forged, issue_token(other, user=USER, grids=[], now=NOW, ttl=timedelta(hours=1)), None, ""):
        for _ in range(2):
            with pytest.raises(Unauthenticated):
                verifier.claims(bad, now=NOW)


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


# -- the caller is checked against the service's current copy of the users ----------------------------------------


class _Clock:
    def now(self):
        return NOW


def _copy(users, grids=None):
    from shared.refdata import Reference

    reference = Reference(("users", "grid_map") if grids is not None else ("users",))
    reference.load("users", 1, {"items": users})
    if grids is not None:
        reference.load("grid_map", 1, {"map_version": 1, "areas": [], "grids": grids})
    return reference


def _caller(keys, reference, user=USER, grids=("G1",)):
    from shared.auth.provider import CallerContext
    from shared.refdata import ReferenceData

    people = ReferenceData.__new__(ReferenceData)
    people.reference = reference
    token = issue_token(keys[0], user=user, grids=list(grids), now=NOW, ttl=timedelta(hours=8))
    return CallerContext(token, TokenVerifier(keys[1]), _Clock(), people)


def _square(code, officers=(), leader=None):
    ring = [[108.95, 34.27], [108.96, 34.27], [108.96, 34.28], [108.95, 34.28], [108.95, 34.27]]
    return {
        "code": code,
        "name": code,
        "parent": None,
        "officers": list(officers),
        "leader": leader,
        "polygon": {"type": "Polygon", "coordinates": [ring]},
    }


def test_a_deactivated_account_is_refused_while_its_token_is_still_valid(keys):
    caller = _caller(keys, _copy([{**USER, "active": False}]))
    with pytest.raises(Unauthenticated, match="deactivated"):
        caller.require("directory.read")
    with pytest.raises(Unauthenticated):
        caller.require("reports.submit")


def test_roles_and_department_are_the_copys_not_the_tokens(keys):
    now_a_handler = {**USER, "roles": ["handler"], "department": "D-WATER", "active": True}
    caller = _caller(keys, _copy([now_a_handler]))
    assert caller.identity.roles == {"handler"} and caller.identity.department == "D-WATER"
    with pytest.raises(Forbidden):
        caller.require("reports.submit")
    assert caller.require("notifications.read_department").user_id == "officer-1"


def test_grids_are_the_copys_where_the_service_keeps_the_map(keys):
    moved = _copy([{**USER, "active": True}], grids=[_square("G1"), _square("G2", officers=["officer-1"])])
    assert _caller(keys, moved).identity.grids == {"G2"}
    without_map = _copy([{**USER, "active": True}])
    assert _caller(keys, without_map).identity.grids == {"G1"}  # this service decides nothing by grid


def test_a_copy_that_has_no_users_yet_refuses_rather_than_trusting_the_token(keys):
    from shared.refdata import Reference

    with pytest.raises(ServiceUnavailable):
        _caller(keys, Reference(("users",))).require("directory.read")


def test_a_person_newer_than_the_copy_is_taken_at_the_tokens_word(keys):
    caller = _caller(keys, _copy([{"user_id": "someone-else", "roles": ["admin"], "active": True}]))
    assert caller.identity.roles == {"grid_officer"}


def test_tokens_signed_before_an_administrator_ended_them_stay_refused_once_active_again(keys):
    signed_at = int(NOW.timestamp())
    ended = _caller(keys, _copy([{**USER, "active": True, "tokens_valid_from": signed_at + 1}]))
    with pytest.raises(Unauthenticated, match="ended"):
        ended.require("directory.read")
    later = _caller(keys, _copy([{**USER, "active": True, "tokens_valid_from": signed_at}]))
    assert later.require("directory.read").user_id == "officer-1"
