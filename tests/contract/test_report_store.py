"""Reporting's store: ``services.reporting.storage.ReportRepository`` and ``tests.service.fakes.FakeReports``."""

from datetime import timedelta

import pytest

from services.reporting.storage import REPORTS, ReportRepository, ReportStore
from shared.errors import Conflict
from tests.contract.conftest import written
from tests.service.fakes import FakeReports
from tests.support.samples import NOW, sample_event

BOX = {"lat": (34.26, 34.27), "lon": (108.95, 108.96)}


@pytest.fixture
def store(backend, database):
    return FakeReports() if backend == "fake" else ReportRepository(database("reporting", ReportStore), None)


def report(key="device-1-0001", fingerprint="f1", report_id="R1", case_id="C1"):
    return {
        "_id": report_id,
        "case_id": case_id,
        "dedup_key": key,
        "idempotency_key": key,
        "fingerprint": fingerprint,
        "attachments": [],
        "received_at": NOW,
        "source": "field",
    }


def test_a_report_is_stored_with_its_event_once_and_a_retry_answers_the_first(store):
    first, retried = store.add(report(), sample_event("incident.reported"))
    assert (first["_id"], retried) == ("R1", False)
    again, retried = store.add(report(report_id="R2", case_id="C2"), sample_event("incident.reported"))
    assert (again["_id"], again["case_id"], retried) == ("R1", "C1", True)
    assert written(store, REPORTS) == ["incident.reported"]
    assert store.by_dedup_key("device-1-0001")["_id"] == "R1"


def test_a_key_reused_for_other_content_is_a_conflict_never_a_second_report(store):
    store.add(report(), sample_event("incident.reported"))
    with pytest.raises(Conflict) as refused:
        store.add(report(fingerprint="other", report_id="R2"), sample_event("incident.reported"))
    assert (refused.value.reason, refused.value.details) == ("report.key_reused", {"idempotency_key": "device-1-0001"})
    with pytest.raises(Conflict):
        store.first_report("device-1-0001", "other")
    assert store.first_report("device-1-0001", "f1")["_id"] == "R1"
    assert store.first_report("never-used", "f1") is None and store.by_dedup_key("never-used") is None
    assert written(store, REPORTS) == ["incident.reported"]


def facts(case_id="C1", version=1, status="reported", category="sanitation", lat=34.265, lon=108.955):
    return {
        "case_id": case_id,
        "version": version,
        "status": status,
        "category": category,
        "grid": "G1",
        "department": None,
        "assisting_departments": [],
        "location": {"lat": lat, "lon": lon},
        "reporters": ["officer-1"],
    }


def test_the_view_of_a_case_moves_forward_only(store):
    assert store.track_case(facts(version=2), reported_at=NOW)
    assert not store.track_case(facts(version=1, status="cancelled"))
    assert store.track_case(facts(version=3, status="dispatched"))
    view = store.case_view("C1")
    assert (view["status"], view["version"], view["open"], view["reported_at"]) == ("dispatched", 3, True, NOW)
    assert store.case_view("C404") is None


def test_a_later_event_arriving_first_still_learns_when_the_case_was_reported(store):
    assert store.track_case(facts(version=3, status="dispatched"))
    assert not store.track_case(facts(version=1), reported_at=NOW)
    assert store.case_view("C1")["reported_at"] == NOW


def test_possible_duplicates_are_open_cases_of_the_category_in_the_box_reported_since(store):
    store.track_case(facts("C-near"), reported_at=NOW)
    store.track_case(facts("C-other-kind", category="roads"), reported_at=NOW)
    store.track_case(facts("C-closed", status="closed"), reported_at=NOW)
    store.track_case(facts("C-north", lat=34.3), reported_at=NOW)
    store.track_case(facts("C-east", lon=108.99), reported_at=NOW)
    store.track_case(facts("C-old"), reported_at=NOW - timedelta(days=3))
    found = store.open_cases_in("sanitation", BOX, NOW - timedelta(days=1))
    assert [c["_id"] for c in found] == ["C-near"]


def test_a_public_reporter_is_told_once_per_case_event_and_only_the_publics_reports_are_listed(store):
    from services.reporting.domain import notices
    from shared.events.stages import stages
    from tests.support.samples import REGISTRATION

    store.add({**report(), "source": "public", "contact": {"email": "r@example.cn"}}, sample_event("incident.reported"))
    store.add(report(key="device-1-0002", report_id="R2"), sample_event("incident.reported"))
    assert [r["_id"] for r in store.public_reports_of("C1")] == ["R1"]
    routed = sample_event("case.dispatched", source="public", registration=REGISTRATION)
    registered, _ = stages(routed)
    public = store.public_reports_of("C1")[0]
    kept, notice = notices.notice_for(registered, public, language="en", now=NOW, rating_days=7)
    assert store.add_notices("R1", [kept], [notice], consumed=routed)
    assert not store.add_notices("R1", [kept], [notice], consumed=routed)  # redelivered: told once
    assert sorted(written(store, REPORTS)) == ["incident.reported", "incident.reported", "reporter.notice_due"]
