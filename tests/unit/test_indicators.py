"""The indicators' definitions, and that events and history give the same contributions."""

from datetime import date, timedelta
from zoneinfo import ZoneInfo

import pytest

from services.cases.domain.actions import ACTIONS, Context, When, check_state
from services.cases.domain.model import after
from services.indicators import domain
from shared.auth import Identity
from tests.support import district
from tests.support.ids import counting
from tests.unit.test_cases_lifecycle import CALENDAR, CATEGORIES, NOW, POLICY, case_in

TZ = ZoneInfo("Asia/Shanghai")
OPERATOR = Identity("op", frozenset({"operator"}))
SUPERVISOR = Identity("sup", frozenset({"supervisor"}))
HANDLER = Identity("h", frozenset({"handler"}), department="sanitation")
OFFICER = Identity("o", frozenset({"grid_officer"}), grids=frozenset({"610102001001001"}))
DEPARTMENTS = {d["code"]: d for d in district.DEPARTMENTS}


# one source for the whole module: every event a walk makes has an id of its own, as in the running system
IDS = counting()


def run(case, steps):
    """Walk a case through steps; collect the events as the read model would receive them."""
    events = []
    for hours, action, params, who in steps:
        now = NOW + timedelta(hours=hours)
        actor = {"user_id": who.user_id, "role": sorted(who.roles)[0], "name": ""}
        check_state(action, case, When(now))
        ctx = Context(
            actor=actor,
            now=now,
            categories=CATEGORIES,
            departments=DEPARTMENTS,
            calendar=CALENDAR,
            policy=POLICY,
            ids=IDS,
        )
        spec = ACTIONS[action]
        change = spec.apply(case, spec.schema.load(params), ctx)
        case = after(case, change.set_fields, change.history)
        events += change.events
    return case, events


STEPS = [
    (1, "register", {}, OPERATOR),
    (2, "dispatch", {"department": "sanitation"}, OPERATOR),
    (3, "accept", {}, HANDLER),
    (4, "request_extension", {"reason": "crane", "hours": 24}, HANDLER),
    (5, "approve_extension", {}, SUPERVISOR),
    (6, "suspend", {"reason": "x"}, OPERATOR),
    (9, "resume", {}, OPERATOR),
    (20, "resolve", {"note": "done", "attachments": ["F" + "0" * 26]}, HANDLER),
    (22, "verify", {"passed": False, "note": "still dirty"}, OFFICER),
    (23, "accept", {}, HANDLER),
    (30, "resolve", {"note": "really done", "attachments": ["F" + "0" * 26]}, HANDLER),
    (31, "verify", {"passed": True, "note": "fine"}, OFFICER),
    (32, "close", {}, OPERATOR),
]


class _Opened:
    """The case.reported event of a case built by ``case_in`` (the history's first entry)."""

    type = "case.reported"

    def __init__(self, case):
        self.payload = {"version": 1, "handled_on_spot": False}
        self.occurred_at = case["created_at"]


def test_events_and_history_give_the_same_contributions():
    case, events = run(case_in("reported"), STEPS)
    from_events = [domain.transition_from_event(_Opened(case))] + [
        t for t in (domain.transition_from_event(e) for e in events) if t
    ]
    snapshot = events[-1].payload
    assert domain.contributions(snapshot, from_events, TZ) == domain.contributions(
        snapshot, domain.transitions_from_history(case), TZ
    )


def test_a_case_that_went_round_twice_counts_once_with_one_failed_check():
    case, events = run(case_in("reported"), STEPS)
    adds = domain.contributions(events[-1].payload, domain.transitions_from_history(case), TZ)
    due_day = case["deadline"].astimezone(TZ).date().isoformat()
    department = adds[f"department|sanitation|{due_day}"]
    assert (department["due"], department["closed"], department["extended"]) == (1, 1, 1)
    assert (department["checked"], department["failed_check"]) == (1, 1)
    assert "deferred" not in department  # resumed: no longer parked


def test_each_stage_taken_is_a_sample_rework_included():
    case, _ = run(case_in("reported"), STEPS)
    samples = domain.stage_samples(domain.transitions_from_history(case))
    stages = [s for s, _, _ in samples]
    assert stages.count("dispatch") == 1
    assert stages.count("sign_for") == 2 and stages.count("disposal") == 2 and stages.count("verification") == 2
    dispatch = next(seconds for stage, seconds, _ in samples if stage == "dispatch")
    assert dispatch == 2 * 3600


def test_the_counters_move_by_the_difference_only():
    old = {"a|b|d": {"due": 1, "closed": 0}}
    new = {"a|b|d": {"due": 1, "closed": 1}, "a|b|e": {"reported": 1}}
    assert domain.difference(old, new) == {"a|b|d": {"closed": 1}, "a|b|e": {"reported": 1}}
    assert domain.difference(new, new) == {}


def test_rates_follow_the_published_formulas():
    figures = domain.figures(
        {
            "due": 10,
            "deferred": 2,
            "closed": 6,
            "closed_on_time": 4,
            "checked": 5,
            "failed_check": 1,
            "extended": 3,
            "dispatched": 10,
        }
    )
    assert figures["on_time_closure_rate"] == 0.5  # 4 / (10 − 2)
    assert figures["closure_rate"] == 0.75  # 6 / (10 − 2)
    assert figures["rework_rate"] == 0.2
    assert figures["extension_rate"] == 0.3
    assert domain.figures({})["closure_rate"] is None  # nothing due: no rate, not 0


def test_the_90th_percentile_is_the_top_of_its_bucket():
    seconds = [600] * 9 + [36_000]
    histogram = {}
    for s in seconds:
        histogram[str(domain.bucket(s))] = histogram.get(str(domain.bucket(s)), 0) + 1
    sums = {"disposal_n": 10, "disposal_s": sum(seconds), **{f"disposal_h.{k}": v for k, v in histogram.items()}}
    figures = domain.figures(sums)
    assert figures["disposal_mean_hours"] == round(sum(seconds) / 10 / 3600, 3)
    assert 600 / 3600 <= figures["disposal_p90_hours"] <= 600 * domain.BUCKET_GROWTH / 3600


@pytest.mark.parametrize(
    "period, first, last",
    [
        ("day", date(2026, 11, 25), date(2026, 11, 25)),
        ("week", date(2026, 11, 23), date(2026, 11, 29)),
        ("month", date(2026, 11, 1), date(2026, 11, 30)),
        ("quarter", date(2026, 10, 1), date(2026, 12, 31)),
    ],
)
def test_periods(period, first, last):
    assert domain.period_days(period, date(2026, 11, 25)) == (first, last)


def test_a_cancelled_case_is_not_judged():
    case, events = run(case_in("reported"), STEPS[:3] + [(4, "cancel", {"reason": "prank"}, OPERATOR)])
    adds = domain.contributions(events[-1].payload, domain.transitions_from_history(case), TZ)
    assert not any("due" in fields for fields in adds.values())


# -- 接诉即办: the public's cases -------------------------------------------------------------------------------


def public_case(steps, rating=None, rated_after_hours=40, reopens=False):
    """A public case walked through ``steps``, then rated; (case, the events as the read model receives them)."""
    case, events = run({**case_in("reported"), "source": "public"}, steps)
    if rating:
        ctx = Context(
            actor={"user_id": "public", "role": "public", "name": None},
            now=NOW + timedelta(hours=rated_after_hours),
            categories=CATEGORIES,
            departments=DEPARTMENTS,
            calendar=CALENDAR,
            policy=POLICY,
            ids=IDS,
        )
        change = domain_rate(
            case, {"report_id": "R1", "rating": rating, "comment": None, "rated_at": ctx.now}, ctx, reopens=reopens
        )
        case = after(case, change.set_fields, change.history)
        events += change.events
    return case, events


def domain_rate(*args, **kwargs):
    from services.cases.domain import rate

    return rate(*args, **kwargs)


def public_adds(case, events):
    from_events = [domain.transition_from_event(_Opened(case))] + [
        t for t in (domain.transition_from_event(e) for e in events) if t
    ]
    snapshot = {**events[-1].payload, "source": "public"}
    adds = domain.contributions(snapshot, from_events, TZ)
    assert adds == domain.contributions(snapshot, domain.transitions_from_history(case), TZ)  # the check agrees
    return adds


def totals(adds, dimension="district", key="all"):
    found: dict = {}
    for counter, fields in adds.items():
        if counter.startswith(f"{dimension}|{key}|"):
            for field, amount in fields.items():
                found[field] = found.get(field, 0) + amount
    return found


QUICK = [
    (1, "register", {}, OPERATOR),
    (2, "dispatch", {"department": "sanitation"}, OPERATOR),
    (3, "accept", {}, HANDLER),
    (20, "resolve", {"note": "done", "attachments": ["F" + "0" * 26]}, HANDLER),
    (21, "verify", {"passed": True, "note": "fine"}, OFFICER),
    (22, "close", {}, OPERATOR),
]


def test_the_three_rates_of_the_publics_cases():
    # answered in an hour, closed, rated 基本满意: responded, resolved, satisfied
    a = totals(public_adds(*public_case(QUICK, "basically_satisfied")), "department", "sanitation")
    assert {
        k: a[k]
        for k in ("public_reported", "public_answered_in_time", "public_due", "public_resolved", "rated", "satisfied")
    } == dict.fromkeys(
        ("public_reported", "public_answered_in_time", "public_due", "public_resolved", "rated", "satisfied"), 1
    )
    # answered after 30 hours, closed, rated 不满意 (not reopened): not in time, not resolved, not satisfied
    late = [(30, "register", {}, OPERATOR), *QUICK[1:]]
    b = totals(public_adds(*public_case(late, "unsatisfied")))
    assert (b["public_reported"], b.get("public_answered_in_time", 0)) == (1, 0)
    assert (b["public_due"], b.get("public_resolved", 0), b["rated"], b.get("satisfied", 0)) == (1, 0, 1, 0)
    # rejected at once: answered in time, never due nor rated
    c = totals(public_adds(*public_case([(1, "reject", {"reason": "not ours"}, OPERATOR)])))
    assert (c["public_reported"], c["public_answered_in_time"], c.get("public_due", 0)) == (1, 1, 0)

    figures = domain.figures({k: a.get(k, 0) + b.get(k, 0) + c.get(k, 0) for k in domain.COUNTS})
    assert figures["response_rate"] == round(2 / 3, 4)  # 2 of the 3 reported answered within 24 hours
    assert figures["resolution_rate"] == 0.5  # 1 of the 2 due closed without a 不满意
    assert figures["satisfaction_rate"] == 0.5  # 1 of the 2 rated 满意 or 基本满意


def test_an_unsatisfied_rating_that_reopened_counts_by_the_latest_rating():
    case, events = public_case(QUICK, "unsatisfied", reopens=True)
    assert case["status"] == "dispatched"
    again = [
        (41, "accept", {}, HANDLER),
        (42, "resolve", {"note": "again", "attachments": ["F" + "0" * 26]}, HANDLER),
        (43, "verify", {"passed": True, "note": "fine"}, OFFICER),
        (44, "close", {}, OPERATOR),
    ]
    case, more = run(case, again)
    ctx = Context(
        actor={"user_id": "public", "role": "public", "name": None},
        now=NOW + timedelta(hours=45),
        categories=CATEGORIES,
        departments=DEPARTMENTS,
        calendar=CALENDAR,
        policy=POLICY,
        ids=IDS,
    )
    change = domain_rate(
        case, {"report_id": "R1", "rating": "satisfied", "comment": None, "rated_at": ctx.now}, ctx, reopens=True
    )
    case = after(case, change.set_fields, change.history)
    t = totals(public_adds(case, events + more + change.events))
    assert (t["rated"], t["satisfied"], t["public_resolved"]) == (1, 1, 1)


def test_staff_reports_have_no_public_rates():
    case, events = run(case_in("reported"), QUICK)
    adds = domain.contributions(events[-1].payload, domain.transitions_from_history(case), TZ)
    assert not {f for fields in adds.values() for f in fields} & {"public_reported", "public_due", "rated"}
    assert domain.figures({})["response_rate"] is None


def _routed(hours=2):
    """A reported case that a routing rule registered and dispatched ``hours`` later, and its one event."""
    from services.cases.domain import apply_routing
    from tests.support.samples import sample_event

    case = case_in("reported")
    change = apply_routing(
        case,
        sample_event("routing.decided"),
        category=CATEGORIES["sanitation"],
        now=NOW + timedelta(hours=hours),
        calendar=CALENDAR,
        policy=POLICY,
        ids=IDS,
    )
    return after(case, change.set_fields, change.history), change.events


def test_an_automatic_dispatch_is_the_registration_and_the_dispatch_its_history_shows():
    case, (event,) = _routed()
    kept = domain.transitions_from_event(event)
    assert [(t["kind"], t["version"]) for t in kept.values()] == [("register", 2), ("dispatch", 2)]
    assert list(kept) == [f"{event.event_id}:registered", event.event_id]  # a redelivery is known by the event's id
    assert [(t["kind"], t["at"]) for t in kept.values()] == [
        (t["kind"], t["at"]) for t in domain.transitions_from_history(case) if t["kind"] in ("register", "dispatch")
    ]


def test_an_automatically_dispatched_case_counts_the_same_from_its_events_and_its_history():
    case, events = _routed()
    case, later = run(case, [s for s in STEPS if s[1] not in ("register", "dispatch")])
    events += later
    from_events = [domain.transition_from_event(_Opened(case))] + [
        t for e in events for t in domain.transitions_from_event(e).values() if t
    ]
    for source in ("field", "public"):  # the public's: answered (立案) in time
        snapshot = {**events[-1].payload, "source": source}
        adds = domain.contributions(snapshot, from_events, TZ)
        assert adds == domain.contributions(snapshot, domain.transitions_from_history(case), TZ)
    assert totals(adds)["public_answered_in_time"] == 1 and totals(adds)["dispatch_n"] == 1


def test_a_redelivered_automatic_dispatch_moves_nothing():
    from services.indicators.storage import take_event

    _, (event,) = _routed()
    fact = {"_id": "C1", "transitions": {}, "snapshot": None, "contributions": [], "rev": 0}
    first = take_event(fact, event, TZ)
    assert first["delta"] and take_event(first["document"], event, TZ) is None


def test_a_registration_kept_before_stages_were_shared_still_knows_its_redelivery():
    # an automatic dispatch taken by an older indicators service kept its registration under '<id>:register'
    from services.indicators.storage import take_event

    _, (event,) = _routed()
    fact = {"_id": "C1", "transitions": {}, "snapshot": None, "contributions": [], "rev": 0}
    first = take_event(fact, event, TZ)["document"]
    old = {k.replace(":registered", ":register"): v for k, v in first["transitions"].items()}
    assert take_event({**first, "transitions": old}, event, TZ) is None


def _born(hours=2):
    """A case a routing rule dispatched as it was opened, ``hours`` after its report, and its one event."""
    from services.cases import domain as cases
    from tests.support.samples import sample_event

    return cases.open_case(
        sample_event("incident.reported"),
        category=CATEGORIES["sanitation"],
        rules=district.ROUTING_RULES,
        now=NOW + timedelta(hours=hours),
        calendar=CALENDAR,
        policy=POLICY,
        ids=IDS,
    )


def test_a_case_born_dispatched_is_the_report_the_registration_and_the_dispatch_its_history_shows():
    case, (event,) = _born()
    kept = domain.transitions_from_event(event)
    assert list(kept) == [f"{event.event_id}:reported", f"{event.event_id}:registered", event.event_id]
    assert [(t["kind"], t["version"]) for t in kept.values()] == [("report", 1), ("register", 2), ("dispatch", 2)]
    assert [(t["kind"], t["at"]) for t in kept.values()] == [
        (t["kind"], t["at"]) for t in domain.transitions_from_history(case)
    ]


def test_a_case_born_dispatched_counts_the_same_from_its_event_and_its_history():
    case, events = _born()
    case, later = run(case, [s for s in STEPS if s[1] not in ("register", "dispatch")])
    events += later
    from_events = [t for e in events for t in domain.transitions_from_event(e).values() if t]
    for source in ("field", "public"):
        snapshot = {**events[-1].payload, "source": source}
        adds = domain.contributions(snapshot, from_events, TZ)
        assert adds == domain.contributions(snapshot, domain.transitions_from_history(case), TZ)
    assert totals(adds)["dispatch_n"] == 1 and totals(adds)["reported"] == 1


def test_a_routed_case_counts_as_dispatched_in_whatever_order_its_events_arrive():
    # Each event type has its own queue. When routing announced two events of the same version, a case.registered
    # (its facts: no department, no deadline) taken after the case.dispatched put the case back to "registered" in
    # the read model, uncounted as dispatched until its next event; the one event carries the facts after both.
    from services.indicators.storage import take_event

    case, (routed,) = _routed()

    class _Reported(_Opened):
        event_id = "E-reported"

        def __init__(self, case):
            super().__init__(case)
            self.payload = {**routed.payload, "version": 1, "status": "reported", "department": None, "deadline": None}

    def final(events):
        fact = {"_id": "C1", "transitions": {}, "snapshot": None, "contributions": [], "rev": 0}
        for event in events:
            fact = take_event(fact, event, TZ)["document"]
        return fact["snapshot"]["status"], fact["contributions"]

    reported = _Reported(case)
    assert final([reported, routed]) == final([routed, reported])
    assert final([routed, reported])[0] == "dispatched"
