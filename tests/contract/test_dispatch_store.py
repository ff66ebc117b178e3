"""Dispatch's store: ``services.dispatch.storage.DispatchRepository`` and ``tests.service.fakes.FakeDispatch``."""

from datetime import timedelta

import pytest

from services.dispatch import domain
from services.dispatch.storage import DispatchRepository, DispatchStore
from tests.service.fakes import FakeDispatch
from tests.support.samples import NOW, sample_event


@pytest.fixture
def store(backend, database):
    return FakeDispatch() if backend == "fake" else DispatchRepository(database("dispatch", DispatchStore), None)


def test_a_dispatch_is_recorded_once_whatever_the_redeliveries_and_a_case_lists_its_assignments_in_order(store):
    first, rework = sample_event("case.dispatched"), sample_event("case.reworked")
    assert store.record_assignment(domain.assignment(first, now=NOW))
    assert not store.record_assignment(domain.assignment(first, now=NOW))  # a new id, the same dispatch
    assert store.record_assignment(domain.assignment(rework, now=NOW + timedelta(hours=1)))
    listed = store.for_case("C1")
    assert [(a["source_event_id"], a["rework"]) for a in listed] == [(first.event_id, False), (rework.event_id, True)]
    assert all("_outbox" not in a for a in listed) and store.for_case("C2") == []


def test_the_workload_counts_each_departments_cases_in_hand_and_moves_forward_only(store):
    assert store.track("C1", domain.workload_entry(sample_event("case.dispatched", version=3)))
    assert store.track("C2", domain.workload_entry(sample_event("case.accepted", case_id="C2", version=4)))
    assert store.track(
        "C3", domain.workload_entry(sample_event("case.dispatched", case_id="C3", department="municipal"))
    )
    assert store.workload() == {"sanitation": 2, "municipal": 1}
    assert store.track("C2", domain.workload_entry(sample_event("case.resolved", case_id="C2", version=5)))
    assert not store.track("C1", domain.workload_entry(sample_event("case.returned", version=2)))  # older
    assert store.workload() == {"sanitation": 1, "municipal": 1}
