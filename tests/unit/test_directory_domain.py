from datetime import timedelta

import pytest

from services.directory import domain
from services.directory.domain.passwords import hash_password, verify_password
from shared.errors import LastAdministrator, Unprocessable
from tests.support import district
from tests.support.samples import NOW

AREAS = {a["code"]: a for a in district.AREAS}


def test_grids_learn_their_community_and_street():
    grids = {g["code"]: g for g in domain.with_places(district.AREAS, district.GRIDS)}
    assert (grids["610102001001001"]["community"], grids["610102001001001"]["street"]) == ("610102001001", "610102001")


def test_a_community_directly_under_the_district_has_no_street():
    grids = {g["code"]: g for g in domain.with_places(district.AREAS, district.GRIDS)}
    assert (grids["610102000003005"]["community"], grids["610102000003005"]["street"]) == ("610102000003", None)


def test_a_person_answers_for_the_grids_they_staff_or_lead():
    assert domain.grids_of("officer-1", district.GRIDS) == ["610102001001001"]
    assert domain.grids_of("leader-610102001001", district.GRIDS) == ["610102001001001", "610102001001002"]


def test_passwords_are_hashed_and_checked():
    stored = hash_password("correct horse battery")
    assert stored.startswith("$argon2")
    assert verify_password(stored, "correct horse battery")
    assert not verify_password(stored, "wrong")
    assert not verify_password(None, "anything")


def test_sign_in_is_throttled_after_repeated_failures():
    failures = [NOW - timedelta(minutes=m) for m in (1, 2, 3, 4, 5)]
    assert domain.throttled(failures, NOW, limit=5, window=timedelta(minutes=15))
    assert not domain.throttled(failures, NOW + timedelta(minutes=20), limit=5, window=timedelta(minutes=15))


def test_a_routing_rule_must_name_things_that_exist():
    with pytest.raises(Unprocessable) as refused:
        domain.check_routing_rule(
            {"rule_id": "r", "category": "ufo", "department": "nasa", "street": "610102009", "community": None},
            categories={"sanitation": {}},
            departments={"sanitation": {}},
            areas=AREAS,
        )
    assert set(refused.value.details["fields"]) == {"category", "department", "street"}


def test_changed_events_carry_the_whole_set_and_its_revision():
    event = domain.changed_event(
        "departments", 7, district.DEPARTMENTS, now=NOW, actor={"user_id": "admin", "role": "admin"}, correlation_id="X"
    )
    assert event.type == "departments.changed"
    assert event.payload == {"revision": 7, "items": district.DEPARTMENTS}


def test_a_rule_for_a_community_may_name_its_street_but_not_another():
    domain.check_routing_rule(
        {"rule_id": "r", "category": "c", "department": "d", "street": "610102001", "community": "610102001001"},
        categories={"c": {}},
        departments={"d": {}},
        areas=AREAS,
    )
    with pytest.raises(Unprocessable):
        domain.check_routing_rule(
            {"rule_id": "r", "category": "c", "department": "d", "street": "610102002", "community": "610102001001"},
            categories={"c": {}},
            departments={"d": {}},
            areas=AREAS,
        )


def _person(user_id, roles, active=True):
    return {"user_id": user_id, "roles": roles, "active": active}


@pytest.mark.parametrize(
    "after",
    [
        [_person("admin", ["admin"], active=False), _person("op", ["operator"])],  # deactivated
        [_person("admin", ["supervisor"]), _person("op", ["operator"])],  # lost the role
    ],
)
def test_the_last_active_administrator_stays(after):
    before = [_person("admin", ["admin"]), _person("op", ["operator"])]
    with pytest.raises(LastAdministrator) as refused:
        domain.check_an_administrator_remains(before, after)
    assert refused.value.details["rule"] == "an_active_administrator_remains"
    assert refused.value.reason == "user.last_administrator"  # its text in zh-CN and en: shared/texts.json


def test_an_administrator_may_step_down_when_another_remains():
    before = [_person("admin", ["admin"]), _person("other", ["admin"])]
    domain.check_an_administrator_remains(before, [_person("admin", ["admin"], active=False), before[1]])
    # an inactive administrator does not count as the one who remains
    with pytest.raises(LastAdministrator):
        domain.check_an_administrator_remains(
            before, [_person("admin", ["operator"]), _person("other", ["admin"], active=False)]
        )


@pytest.mark.parametrize(
    "address, key",
    [
        ("203.0.113.7", "203.0.113.7"),
        ("2001:db8:1:2:aaaa::1", "2001:db8:1:2::/64"),  # a client may take any address of its /64
        ("2001:db8:1:2:bbbb::9", "2001:db8:1:2::/64"),
        ("::ffff:203.0.113.7", "203.0.113.7"),  # IPv4 as a dual-stack socket shows it
    ],
)
def test_sign_in_failures_count_per_client_network(address, key):
    assert domain.client_key(address) == key


def test_ending_tokens_covers_the_millisecond_they_were_signed_in_and_no_later():
    from datetime import UTC, datetime, timedelta

    from shared.auth.tokens import signing_moment

    moment = datetime(2026, 11, 23, 9, 0, 0, 700400, tzinfo=UTC)
    revoked = domain.tokens_revoked_at(moment)
    assert signing_moment(moment) < revoked
    assert signing_moment(moment + timedelta(microseconds=500)) < revoked  # the same millisecond
    # reactivated and signed in again within the same second (found by CI: the token was dead on arrival)
    assert signing_moment(moment + timedelta(milliseconds=1)) >= revoked
    assert signing_moment(moment + timedelta(milliseconds=250)) >= revoked
