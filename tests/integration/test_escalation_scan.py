"""The escalation scan on the real store and bus, with two replicas of the cases service: it runs in one of them,
fires each rung once, and cases it cannot escalate do not hold up the ones behind them."""

from datetime import UTC, datetime, timedelta

import eventlet
import pytest
from nameko.testing.services import entrypoint_hook
from pymongo import MongoClient

from services.cases import domain
from services.cases.domain.escalation import DEFAULT_POLICY
from services.cases.service import CasesService
from services.cases.storage import CASES, ESCALATION_PAGE, NEXT_DUE, CaseStore
from shared import mongo
from shared.outbox import OUTBOX_FIELD
from shared.refdata import COLLECTION as REFERENCE
from shared.workcalendar import WorkCalendar
from tests.support.ids import counting
from tests.support.notify import reference_data
from tests.support.plans import answering_index, index_keys
from tests.support.recording import Recorder
from tests.support.samples import CATEGORIES, NOW, sample_event

POLICY = {**DEFAULT_POLICY, "version": 1}
CALENDAR = WorkCalendar()


@pytest.fixture
def config(service_config):
    return {**service_config, "ESCALATION_SCAN_SECONDS": 3600}  # each scan is run by hand


@pytest.fixture
def db(databases):
    db = databases("cases")
    for kind in ("categories", "departments"):
        db[REFERENCE].insert_one({"_id": kind, "revision": 1, "data": reference_data()[kind]})
    db.escalation_policies.insert_one({**POLICY, "_id": "default:1"})
    return db


@pytest.fixture
def recorders(monkeypatch):
    """The reads of each cases process started from now on, in the order they started."""
    made = []

    def recorded_client(uri, config, service):
        made.append(Recorder())
        return MongoClient(uri, tz_aware=True, appname=service, event_listeners=[made[-1]])

    monkeypatch.setattr(mongo, "make_client", recorded_client)
    return made


def replica(container_factory, config):
    container = container_factory(CasesService, config)
    container.start()
    return container


def scan(container) -> int:
    with entrypoint_hook(container, "escalate_due_cases") as escalate:
        return escalate()


def due_case(case_id: str, due: datetime, category: str = "sanitation") -> dict:
    """A case waiting for dispatch whose first rung is due at ``due`` and whose second is ten days away."""
    case, _ = domain.open_case(
        sample_event("incident.reported", case_id=case_id, category=category),
        rules=[],
        category=CATEGORIES["sanitation"],
        now=NOW,
        calendar=CALENDAR,
        policy=POLICY,
        ids=counting(),
    )
    deadline = datetime.now(UTC) + timedelta(days=10)
    return {
        **case,
        "stage_deadline": deadline,
        "stage_limit_s": 100 * 86400.0,
        OUTBOX_FIELD: [],
        "escalation": {**case["escalation"], "next_due_at": due},
    }


def rungs_fired(db, case_id: str) -> list[int]:
    return [h["rung"] for h in db.cases.find_one({"_id": case_id})["history"] if h["action"] == "escalate"]


def scan_reads(recorder) -> list[dict]:
    return [r for r in recorder.reads if r.get("find") == "cases" and NEXT_DUE in r.get("filter", {})]


def test_two_replicas_scanning_at_once_fire_each_rung_once_and_only_one_of_them_reads(
    container_factory, config, db, recorders
):
    replicas = [replica(container_factory, config), replica(container_factory, config)]
    now = datetime.now(UTC)
    case_ids = [f"C-esc-{n:03}" for n in range(40)]
    db.cases.insert_many([due_case(case_id, now - timedelta(minutes=60 - n)) for n, case_id in enumerate(case_ids)])
    for recorder in recorders:
        recorder.reads.clear()

    pool = eventlet.GreenPool()
    fired = [run.wait() for run in [pool.spawn(scan, container) for container in replicas]]

    assert sorted(fired) == [0, len(case_ids)]
    assert all(rungs_fired(db, case_id) == [1] for case_id in case_ids)
    assert sorted(bool(scan_reads(recorder)) for recorder in recorders) == [False, True]  # one replica scanned
    assert [scan(container) for container in replicas] == [0, 0]  # nothing is due twice
    assert all(rungs_fired(db, case_id) == [1] for case_id in case_ids)


def test_the_scan_goes_on_in_the_replica_that_holds_it_and_moves_when_that_one_stops(
    container_factory, config, db, recorders
):
    first, second = replica(container_factory, config), replica(container_factory, config)
    now = datetime.now(UTC)
    db.cases.insert_one(due_case("C-esc-a", now - timedelta(minutes=5)))
    assert (scan(first), scan(second)) == (1, 0)
    db.cases.insert_one(due_case("C-esc-b", now - timedelta(minutes=5)))
    assert (scan(second), scan(first)) == (0, 1)  # still the first one's
    first.stop()  # a graceful stop releases its leases
    db.cases.insert_one(due_case("C-esc-c", now - timedelta(minutes=5)))
    assert scan(second) == 1
    assert [rungs_fired(db, c) for c in ("C-esc-a", "C-esc-b", "C-esc-c")] == [[1], [1], [1]]


def test_cases_that_cannot_be_escalated_do_not_hold_up_the_ones_behind_them(container_factory, config, db, recorders):
    service = replica(container_factory, config)
    now = datetime.now(UTC)
    # due first, more than a page of them: their category is unknown here, so they stay due
    stuck = [
        due_case(f"C-stuck-{n:03}", now - timedelta(days=2) + timedelta(seconds=n), category="retired")
        for n in range(ESCALATION_PAGE + 50)
    ]
    ready = [due_case(f"C-ready-{n:02}", now - timedelta(hours=1) + timedelta(seconds=n)) for n in range(10)]
    db.cases.insert_many(stuck + ready)

    recorders[0].reads.clear()
    assert scan(service) == len(ready)  # in its first run
    assert all(rungs_fired(db, case["_id"]) == [1] for case in ready)
    assert db.cases.count_documents({"_id": {"$in": [c["_id"] for c in stuck]}, "history.action": "escalate"}) == 0
    pages = scan_reads(recorders[0])
    assert len(pages) == 2  # a page of stuck cases, then the rest
    assert all(
        answering_index(page["filter"], index_keys(CaseStore.indexes[CASES])) == [(NEXT_DUE, 1)] for page in pages
    )  # each page from the index on the due moment, never a walk over the cases
