"""A case a routing rule dispatched as it was opened is announced once (``case.dispatched`` carrying ``report`` and
``registration``); every consumer must end as if it had been told the same case as three events — case.reported,
case.registered, case.dispatched — each delivered on its own (shared/events/stages.py is what they share).

The three events are built here apart from the expansion: the report as the cases service opens a case no rule
routes, the registration and the dispatch as their contracts say, with the ids the expansion gives its stages (so
that what each consumer keys by them — inbox entries, deliveries, transitions — can be compared whole)."""

import copy

import pytest
from nameko.testing.services import worker_factory

from services.cases import domain as cases
from services.cases.domain.escalation import DEFAULT_POLICY
from services.dispatch.service import DispatchService
from shared.events import new_event
from shared.events.contracts.cases import CASE_FACTS
from shared.workcalendar import WorkCalendar
from tests.service import test_indicators_service, test_notifications_service, test_reporting_service
from tests.service.fakes import FakeCaller, FakeDispatch, FixedClock, reference_with
from tests.support import district
from tests.support.ids import counting
from tests.support.samples import CATEGORIES, NOW, sample_event

OPERATOR = test_notifications_service.OPERATOR
RULES = [{**r, "dispatch_public_reports": True} for r in district.ROUTING_RULES]


def _told_apart_and_once(source):
    """(the one event of a case born dispatched, the three events that tell the same case)."""
    public = {"source": "public", "address": None, "media_url": None} if source == "public" else {}
    incident = sample_event("incident.reported", **public)

    def opened(rules):
        return cases.open_case(
            incident,
            category=CATEGORIES["sanitation"],
            rules=rules,
            now=NOW,
            calendar=WorkCalendar(),
            policy={**DEFAULT_POLICY, "version": 1},
            ids=counting(),
        )

    _, (born,) = opened(RULES)
    _, (reported,) = opened([])
    p = born.payload
    facts = {k: p[k] for k in CASE_FACTS}

    def told(event_type, payload, event_id, occurred_at, actor, causation_id):
        return new_event(
            event_type,
            payload,
            producer="cases",
            occurred_at=occurred_at,
            correlation_id=born.correlation_id,
            causation_id=causation_id,
            actor=actor,
            event_id=event_id,
        )

    three = [
        told(
            "case.reported",
            reported.payload,
            f"{born.event_id}:reported",
            reported.occurred_at,
            reported.actor,
            reported.causation_id,
        ),
        told(
            "case.registered",
            {**facts, "report_id": "R1", "registered_by": "system"},
            f"{born.event_id}:registered",
            p["registration"]["registered_at"],
            born.actor,
            born.causation_id,
        ),
        told(
            "case.dispatched",
            {k: v for k, v in p.items() if k not in ("registration", "report")},
            born.event_id,
            born.occurred_at,
            born.actor,
            born.causation_id,
        ),
    ]
    return born, three


def _deliver(service, events):
    for event in events:
        handle = getattr(service, "on_" + event.type.replace(".", "_"), None)
        if handle is not None:  # the consumer hears of this event at all
            handle(event)
            handle(event)  # and again, as a broker may


def _ids_removed(docs):
    """Documents without the ids made for them (random), keyed by what they are keyed by."""
    return sorted(({k: v for k, v in d.items() if k != "_id"} for d in docs), key=lambda d: repr(sorted(d.items())))


SOURCES = ["field", "public"]


@pytest.mark.parametrize("source", SOURCES)
def test_notifications_file_and_feed_the_same(source):
    born, three = _told_apart_and_once(source)
    apart, once = test_notifications_service.make(), test_notifications_service.make()
    _deliver(apart, three)
    _deliver(once, [born])
    assert once.store.inbox and once.store.outgoing
    assert _ids_removed(once.store.inbox.values()) == _ids_removed(apart.store.inbox.values())
    assert _ids_removed(once.store.outgoing.values()) == _ids_removed(apart.store.outgoing.values())
    assert [(e["event_id"], e["event_type"], e["case"]) for e in once.store.feed] == [
        (e["event_id"], e["event_type"], e["case"]) for e in apart.store.feed
    ]
    kinds = {e["kind"] for e in once.store.inbox.values()}
    assert {"case.reported", "case.registered", "case.dispatched"} <= kinds


@pytest.mark.parametrize("source", SOURCES)
def test_indicators_count_and_time_the_same(source):
    born, three = _told_apart_and_once(source)
    apart, once = test_indicators_service.make(), test_indicators_service.make()
    _deliver(apart, three)
    _deliver(once, [born])
    assert once.store.facts["C1"]["contributions"] == apart.store.facts["C1"]["contributions"]
    # the snapshot is the latest event's payload: the same facts (the one event also carries what it stands for)
    snapshots = [{k: s.store.facts["C1"]["snapshot"][k] for k in CASE_FACTS} for s in (once, apart)]
    assert snapshots[0] == snapshots[1]
    assert sorted(once.store.facts["C1"]["transitions"].items()) == sorted(
        apart.store.facts["C1"]["transitions"].items()
    )
    assert once.store.daily == apart.store.daily
    for dimension in ("district", "street", "grid", "department", "category"):
        assert once.indicators(dimension, {}) == apart.indicators(dimension, {})
    row = test_indicators_service.row(once.indicators("district", {}), "all")
    assert (row["reported"], row["dispatched"], row["open"]) == (1, 1, 1)


@pytest.mark.parametrize("source", SOURCES)
def test_reporting_tracks_the_case_and_tells_its_reporter_the_same(source):
    born, three = _told_apart_and_once(source)
    apart, once = test_reporting_service.make(), test_reporting_service.make()
    for service in (apart, once):
        service.store.reports["R1"] = {
            "_id": "R1",
            "case_id": "C1",
            "source": source,
            "contact": {"email": "r@example.cn"},
            "language": "en",
            "dedup_key": "k",
            "fingerprint": "f",
        }
    _deliver(apart, three)
    _deliver(once, [born])
    assert once.store.case_view("C1") == apart.store.case_view("C1")
    assert once.store.case_view("C1")["reported_at"] == NOW and once.store.case_view("C1")["status"] == "dispatched"

    def notices(service):
        return [
            ({k: v for k, v in n.items() if k not in ("notice_id", "capability")})
            for n in service.store.reports["R1"].get("notices", [])
        ]

    def told(service):
        return [
            {k: v for k, v in e.payload.items() if k not in ("notice_id", "capability")}
            for e in service.store.events
            if e.type == "reporter.notice_due"
        ]

    assert notices(once) == notices(apart) and told(once) == told(apart)
    assert [n["about"] for n in notices(once)] == (["case.registered"] if source == "public" else [])


def test_dispatch_assigns_and_counts_the_same():
    born, three = _told_apart_and_once("field")
    services = []
    for events in (three, [born]):
        service = worker_factory(
            DispatchService,
            store=FakeDispatch(),
            clock=FixedClock(),
            caller=FakeCaller(OPERATOR),
            reference=reference_with(departments={"items": district.DEPARTMENTS}),
        )
        _deliver(service, events)
        services.append(service)
    apart, once = services
    assert _ids_removed(once.store.assignments.values()) == _ids_removed(apart.store.assignments.values())
    assert once.workload() == apart.workload() == {"sanitation": 1}
    assert [a["decided_by"] for a in once.assignments_for_case("C1")] == ["rule"]


def test_the_three_events_are_what_the_one_stands_for():
    """The expansion itself, on the wire: the one event carries all that the three said."""
    from shared.events import from_message, to_message
    from shared.events.stages import stages

    born, three = _told_apart_and_once("field")
    received = from_message(to_message(copy.deepcopy(born)))
    unfolded = stages(received)
    assert [(s.event_id, s.type, s.occurred_at, s.actor) for s in unfolded] == [
        (e.event_id, e.type, e.occurred_at, e.actor) for e in three
    ]
    assert [s.payload for s in unfolded[:2]] == [three[0].payload, three[1].payload]
