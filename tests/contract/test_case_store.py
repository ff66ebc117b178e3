"""The cases' store: ``services.cases.storage.CaseRepository`` and ``tests.service.fakes.FakeCases``."""

from datetime import timedelta

import pytest

from services.cases.domain import Change
from services.cases.domain.model import PUBLIC_SINCE
from services.cases.storage import CASES, CaseRepository, CaseStore
from shared.errors import NotFound
from tests.contract.conftest import written
from tests.service.fakes import FakeCases
from tests.support.samples import NOW, sample_event


@pytest.fixture
def store(backend, database):
    if backend == "fake":
        return FakeCases()
    return CaseRepository(database("cases", CaseStore), None)  # the built-in default policy is its version 1


def case(case_id="C1", **fields):
    return {
        "_id": case_id,
        "status": "reported",
        "version": 1,
        "history": [],
        "category": "sanitation",
        "departments": [],
        "created_at": NOW,
        **fields,
    }


def change(version=1, status="registered", events=("case.registered",), **more):
    return Change(
        expected_version=version,
        set_fields={"status": status},
        history=[{"action": status, "at": NOW}],
        events=[sample_event(e) for e in events],
        **more,
    )


def test_a_case_opens_once_with_its_events_whatever_the_redeliveries(store):
    assert store.open(case(), [sample_event("case.reported")])
    assert not store.open(case(status="registered"), [sample_event("case.reported")])
    assert store.get("C1")["status"] == "reported"
    assert written(store, CASES) == ["case.reported"]


def test_a_case_reads_without_the_bookkeeping_of_events_it_consumed_unless_asked(store):
    store.open(case(), [])
    assert store.apply("C1", change(), consumed=sample_event("routing.decided"))
    assert "_seen" not in store.get("C1") and "_outbox" not in store.get("C1")
    assert len(store.get("C1", with_seen=True)["_seen"]) == 1


def test_a_missing_case_is_not_found_by_its_reason(store):
    with pytest.raises(NotFound) as missing:
        store.get("C404")
    assert (missing.value.reason, missing.value.params) == ("case.not_found", {"case_id": "C404"})


def test_a_change_at_the_expected_version_applies_once_with_its_history_and_events(store):
    store.open(case(), [sample_event("case.reported")])
    assert store.apply("C1", change(version=1))
    assert not store.apply("C1", change(version=1, status="rejected", events=("case.rejected",)))  # stale
    stored = store.get("C1")
    assert (stored["status"], stored["version"], [h["action"] for h in stored["history"]]) == (
        "registered",
        2,
        ["registered"],
    )
    assert written(store, CASES) == ["case.reported", "case.registered"]


def test_a_guarded_change_without_a_version_applies_only_where_its_guard_holds_and_bumps_nothing(store):
    store.open(case(), [])
    side = Change(
        expected_version=None,
        set_fields={"suggested": "sanitation"},
        history=[],
        bump_version=False,
        guard={"status": "registered"},
    )
    assert not store.apply("C1", side)
    store.apply("C1", change())
    assert store.apply("C1", side)
    assert (store.get("C1")["suggested"], store.get("C1")["version"]) == ("sanitation", 2)


def test_an_event_already_consumed_changes_the_case_no_more(store):
    store.open(case(), [])
    decision = sample_event("routing.decided")
    assert store.apply("C1", change(version=None), consumed=decision)
    assert not store.apply("C1", change(version=None, status="dispatched"), consumed=decision)
    assert store.get("C1")["status"] == "registered"


def test_sets_grow_without_repeats(store):
    store.open(case(departments=["sanitation"]), [])
    store.apply("C1", change(add_to_sets={"departments": ["sanitation", "municipal"]}))
    assert store.get("C1")["departments"] == ["sanitation", "municipal"]


def test_escalation_policies_are_versioned_and_a_deleted_one_is_no_more_taken(store):
    assert store.policy("default")["version"] == 1
    assert store.policy("roads") is None
    assert store.save_policy({"policy_id": "roads", "rungs": []})["version"] == 1
    assert store.save_policy({"policy_id": "roads", "rungs": [{"after": 1}]})["version"] == 2
    assert store.policy("roads")["rungs"] == [{"after": 1}] and store.policy("roads", 1)["rungs"] == []
    assert [p["policy_id"] for p in store.policies()] == ["default", "roads"]
    assert store.delete_policy("roads") and not store.delete_policy("roads")
    assert store.policy("roads") is None and store.policy("roads", 1)["rungs"] == []  # pinned versions stay
    assert [p["policy_id"] for p in store.policies()] == ["default"]
    assert store.save_policy({"policy_id": "roads", "rungs": []})["version"] == 4  # numbering goes on


def test_the_publics_cases_are_listed_newest_first_by_when_they_were_asked_for(store):
    for i, (status, category) in enumerate(
        [("reported", "sanitation"), ("closed", "sanitation"), ("reported", "roads"), ("dispatched", "sanitation")]
    ):
        store.open(
            case(
                f"C-public-{i}",
                status=status,
                category=category,
                source="public",
                **{PUBLIC_SINCE: NOW + timedelta(minutes=i)},
            ),
            [],
        )
    store.open(case("C-field", source="field"), [])
    query = {
        PUBLIC_SINCE: {"$gte": NOW, "$lte": NOW + timedelta(hours=1)},
        "category": {"$in": ["sanitation"]},
        "status": {"$in": ["reported", "dispatched"]},
    }
    assert [c["_id"] for c in store.public_requests(query, skip=0, limit=10)] == ["C-public-3", "C-public-0"]
    assert [c["_id"] for c in store.public_requests(query, skip=1, limit=10)] == ["C-public-0"]
    later = {PUBLIC_SINCE: {"$gte": NOW + timedelta(minutes=2), "$lte": NOW + timedelta(hours=1)}}
    assert [c["_id"] for c in store.public_requests(later, skip=0, limit=1)] == ["C-public-3"]
    public = store.public_cases(["C-public-2", "C-field", "C404", "C-public-0"])
    assert [c["_id"] for c in public] == ["C-public-2", "C-public-0"]
    assert not [c for c in public + store.public_requests(query, skip=0, limit=10) if "_seen" in c or "_outbox" in c]
