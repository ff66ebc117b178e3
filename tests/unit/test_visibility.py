"""Who may see a case: the check and the database filters are one rule (``shared/auth/visibility.py``).

Here the filters are evaluated in memory, as the store evaluates the flat equality and ``$in`` they use; the
integration tier runs them on the real store (``tests/integration/test_case_visibility.py``)."""

import pytest

from services.cases.domain.model import derived
from services.notifications.domain.feed import entry_for
from shared.auth import Identity, can_see_case, case_filters
from tests.support.samples import NOW, sample_event
from tests.support.visibility import every_case, every_identity, label

CASES = every_case()
IDENTITIES = every_identity()


def _holds(value, wanted) -> bool:
    held = set(value) if isinstance(value, list) else {value}
    return bool(held & (set(wanted["$in"]) if isinstance(wanted, dict) else {wanted}))


def matches(doc: dict, query: dict) -> bool:
    """What the store answers for a flat query of equalities and ``$in`` (an array field matches any element)."""
    assert all(not isinstance(v, dict) or set(v) == {"$in"} for v in query.values()), query
    return all(_holds(doc.get(field), wanted) for field, wanted in query.items())


def _stored(case: dict) -> dict:
    """The case as the cases service stores it: the flattened ``departments`` among its derived fields."""
    doc = {**case, "_id": case["case_id"], "priority": "normal", "created_at": NOW}
    return {**doc, **derived(doc)}


STORED = [_stored(c) for c in CASES]
FEED = [entry_for(sample_event("case.accepted", **c)) for c in CASES]  # the live feed's entries of them


@pytest.mark.parametrize("identity", IDENTITIES, ids=label)
def test_the_check_and_the_filters_admit_the_same_cases(identity):
    filters = case_filters(identity)
    for case, stored, entry in zip(CASES, STORED, FEED, strict=True):
        seen = can_see_case(identity, case)
        assert seen == can_see_case(identity, stored), case  # a case read from the store
        assert seen == any(matches(stored, q) for q in filters), case  # the case lists
        assert seen == any(matches(entry, q) for q in filters), case  # the live stream's backlog
        assert seen == can_see_case(identity, entry["case"]), case  # the live stream: its new entries


def test_a_person_with_a_grid_role_and_a_department_role_sees_both_kinds_of_case():
    both = Identity("p", frozenset({"grid_officer", "handler"}), grids=frozenset({"G1"}), department="D1")
    seen = {c["case_id"] for c in CASES if can_see_case(both, c)}
    assert seen == {
        c["case_id"]
        for c in CASES
        if c["grid"] == "G1" or "D1" in [c["department"], *c["assisting_departments"]] or "p" in c["reporters"]
    }
    assert case_filters(both) == [{"grid": {"$in": ["G1"]}}, {"departments": "D1"}, {"reporters": "p"}]


def test_the_command_centre_and_supervision_see_every_case_through_one_empty_filter():
    for role in ("operator", "supervisor"):
        identity = Identity("x", frozenset({role, "handler"}), department="D1")
        assert case_filters(identity) == [{}]
        assert all(can_see_case(identity, c) for c in CASES)


def test_a_role_without_cases_sees_only_what_its_holder_reported():
    admin = Identity("me", frozenset({"admin"}), grids=frozenset({"G1"}), department="D1")
    assert case_filters(admin) == [{"reporters": "me"}]
