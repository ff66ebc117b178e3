"""Escalation policies on the real store: deleting one stops new cases taking it, and nothing else (issue 14)."""

import pytest

from services.cases.domain.escalation import DEFAULT_POLICY
from services.cases.storage import CaseRepository

RUNGS = [{"name": "warning", "at": {"fraction": 0.5}, "targets": [{"kind": "responsible"}], "supervise": False}]


@pytest.fixture
def repository(databases):
    db = databases("cases")
    db.escalation_policies.create_index([("policy_id", 1), ("version", 1)], unique=True)
    db.escalation_policies.insert_one({**DEFAULT_POLICY, "version": 1, "_id": "default:1"})
    return lambda: CaseRepository(db, relay=None)  # each call a process of its own: caches not shared


def test_a_deleted_policy_is_gone_for_new_cases_and_kept_for_those_that_pinned_it(repository):
    store = repository()
    first = store.save_policy({"policy_id": "roads", "name": "Roads", "rungs": RUNGS})
    assert first["version"] == 1
    assert store.delete_policy("roads") is True
    other = repository()
    assert store.policy("roads") is None and other.policy("roads") is None
    assert [p["policy_id"] for p in other.policies()] == ["default"]
    assert other.policy("roads", 1)["rungs"] == RUNGS  # a case under way keeps the version it pinned
    assert store.delete_policy("roads") is False  # a second delete finds none
    again = other.save_policy({"policy_id": "roads", "name": "Roads again", "rungs": RUNGS})
    assert again["version"] == 3  # numbering goes on: version 1 still means what it meant
    assert repository().policy("roads")["name"] == "Roads again"


def test_deleting_a_policy_that_never_was_finds_none(repository):
    assert repository().delete_policy("nothing") is False


def test_the_platforms_default_is_answered_from_the_code_and_written_by_no_read(databases):
    db = databases("cases_fresh")
    db.escalation_policies.create_index([("policy_id", 1), ("version", 1)], unique=True)
    store = CaseRepository(db, relay=None)
    built_in = {**DEFAULT_POLICY, "version": 1}
    assert store.policy("default") == built_in  # what a new case pins
    assert store.policy("default", 1) == built_in  # what a case that pinned it escalates by
    assert store.policies() == [built_in]  # what GET /api/v1/escalation-policies lists
    assert store.policy("roads") is None
    assert db.escalation_policies.count_documents({}) == 0  # none of it was a write
    changed = store.save_policy({**DEFAULT_POLICY, "rungs": RUNGS})
    assert changed["version"] == 2  # version 1 keeps meaning the platform's own
    other = CaseRepository(db, relay=None)
    assert other.policy("default")["rungs"] == RUNGS and other.policy("default", 1) == built_in
    assert [p["version"] for p in other.policies()] == [2]
