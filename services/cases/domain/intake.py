"""A case is born from a report: waiting to be registered, resolved (handled on the spot), or registered and
dispatched at once by a routing rule (``services/cases/domain/routing.py``)."""

from datetime import datetime

from services.cases.domain import routing, timing
from services.cases.domain.model import (
    DISPATCHED,
    PRIORITY_RANK,
    PUBLIC_SINCE,
    REGISTERED,
    REPORTED,
    RESOLVED,
    Change,
    after,
    case_event,
    derived,
    history_entry,
    with_derived,
)
from shared.events import SYSTEM_ACTOR, Event
from shared.ids import Ids


def open_case(
    incident: Event,
    *,
    category: dict,
    rules: list[dict],
    now: datetime,
    calendar,
    policy: dict | None,
    ids: Ids,
) -> tuple[dict, list[Event]]:
    """A case for a reported incident: resolved if handled on the spot (自行处置); otherwise matched to the routing
    ``rules``. A rule that dispatches without a person (``routing.unseen``) makes the case born registered and
    dispatched, announced by one ``case.dispatched`` that carries the report and the registration; a rule that only
    suggests leaves its department as a suggestion for the operator; without a rule the case waits as reported."""
    case = _reported(incident, category=category, now=now, calendar=calendar, policy=policy, ids=ids)
    p = incident.payload
    rule = (
        None
        if p["handled_on_spot"]
        else routing.route(rules, category=p["category"], street=p["street"], community=p["community"])
    )
    if rule is not None and not routing.unseen(rule, p["source"]):
        case["suggestion"] = {"department": rule["department"], "rule_id": rule["rule_id"]}
    if rule is None or case["suggestion"]:
        return case, [_reported_event(case, incident, now=now, ids=ids)]
    report = {  # what case.reported would have said, had it been published
        **_report_fields(incident),
        "occurred_at": now,
        "actor": dict(incident.actor),
        "version": case["version"],
        "stage": case["stage"],
        "stage_deadline": case["stage_deadline"],
    }
    change = _dispatch_by_rule(
        case,
        {"department": rule["department"], "assisting_departments": [], "rule_id": rule["rule_id"]},
        causation_id=incident.event_id,
        report=report,
        category=category,
        now=now,
        calendar=calendar,
        policy=policy,
        ids=ids,
    )
    return after(case, change.set_fields, change.history), change.events


def _report_fields(incident: Event) -> dict:
    p = incident.payload
    return {
        "report_id": p["report_id"],
        "handled_on_spot": p["handled_on_spot"],
        "possible_duplicates": p["possible_duplicates"],
    }


def _reported_event(case: dict, incident: Event, *, now: datetime, ids: Ids) -> Event:
    return case_event(
        "case.reported",
        case,
        _report_fields(incident),
        event_id=ids.event(),
        actor=incident.actor,
        now=now,
        causation_id=incident.event_id,
    )


def _reported(incident: Event, *, category: dict, now: datetime, calendar, policy: dict | None, ids: Ids) -> dict:
    """The case as reported, or resolved if handled on the spot."""
    p = incident.payload
    on_spot = p["handled_on_spot"]
    case = {
        "_id": p["case_id"],
        "status": REPORTED,
        "category": p["category"],
        "priority": category["priority"],
        "priority_rank": PRIORITY_RANK[category["priority"]],
        "grid": p["grid"],
        "community": p["community"],
        "street": p["street"],
        "grid_mismatch": p["grid_mismatch"],
        "located_grid": p["located_grid"],
        "location": p["location"],
        "description": p["description"],
        "attributes": p["attributes"],
        "attachments": p["attachments"],
        "reporter": p["reporter"],
        "reporters": [p["reporter"]],
        "report_ids": [p["report_id"]],
        "handled_on_spot": on_spot,
        "possible_duplicates": p["possible_duplicates"],
        "department": None,
        "assisting_departments": [],
        "deadline": None,
        "suggestion": None,
        "returned": False,
        "suspended": False,
        "suspended_at": None,
        "paused_seconds": 0.0,
        "extension": None,
        "extensions": 0,
        "rework_count": 0,
        "reported_at": p["reported_at"],
        "created_at": now,
        "updated_at": now,
        "version": 1,
        "correlation_id": incident.correlation_id,
        "history": [],
        "policy": {"policy_id": policy["policy_id"], "version": policy["version"]} if policy else None,
        "supervised": False,
        "failed_checks": 0,
        **timing.STOPPED,
        "source": p["source"],
    }
    if p["source"] == "public":  # listed by Open311 (services/cases/domain/open311.py)
        case.update({PUBLIC_SINCE: p["reported_at"], "address": p["address"], "media_url": p["media_url"]})
    entries = [
        history_entry(
            case,
            0,
            action="report",
            to_status=REPORTED,
            actor=incident.actor,
            at=p["reported_at"],
            attachments=p["attachments"],
        )
    ]
    entries[0]["from_status"] = None
    if on_spot:
        case["status"] = RESOLVED
        case["resolution"] = {
            "note": p["result_note"],
            "attachments": p["attachments"],
            "by": incident.actor,
            "at": p["reported_at"],
        }
        case["resolved_at"] = p["reported_at"]
        entries.append(
            history_entry(
                {**case, "status": REPORTED},
                1,
                action="handle_on_spot",
                to_status=RESOLVED,
                actor=incident.actor,
                at=p["reported_at"],
                note=p["result_note"],
                attachments=p["attachments"],
            )
        )
    case["history"] = entries
    if not on_spot:  # the registration-and-dispatch clock runs from the report
        case.update(
            timing.enter(
                case, "dispatch", now=p["reported_at"], category=category, calendar=calendar, policy=policy, ids=ids
            )
        )
    case.update(derived(case))
    return case


def apply_routing(
    case: dict, decision: Event, *, category: dict, now: datetime, calendar, policy: dict | None, ids: Ids
) -> Change | None:
    """A ``routing.decided`` from a dispatch service older than routing at intake, still in flight during a rolling
    update (docs/deployment.md): register and dispatch the case as the system, or suggest a department — only if
    the case is still reported."""
    if case["status"] != REPORTED:
        return None
    p = decision.payload
    if not p["automatic"]:
        return Change(
            None,
            {"suggestion": {"department": p["department"], "rule_id": p["rule_id"]}},
            [],
            bump_version=False,
            guard={"status": REPORTED},
        )
    return _dispatch_by_rule(
        case, p, causation_id=decision.event_id, category=category, now=now, calendar=calendar, policy=policy, ids=ids
    )


def _dispatch_by_rule(
    case: dict,
    rule: dict,
    *,
    causation_id: str,
    category: dict,
    now: datetime,
    calendar,
    policy: dict | None,
    ids: Ids,
    report: dict | None = None,
) -> Change:
    """A reported case registered and dispatched as the system by ``rule`` (department, assisting departments,
    rule id); ``report``: what ``case.reported`` would have said, when the case is born so and that event is not
    published (shared/events/stages.py)."""
    p = rule
    system = dict(SYSTEM_ACTOR)
    registered = {"status": REGISTERED, "registered_at": now}
    dispatched = {
        "status": DISPATCHED,
        "department": p["department"],
        "assisting_departments": p["assisting_departments"],
        "dispatched_at": now,
        "updated_at": now,
    }
    dispatched.update(
        timing.enter(
            {**case, **dispatched},
            "sign_for",
            now=now,
            category=category,
            calendar=calendar,
            policy=policy,
            ids=ids,
            with_disposal=True,
        )
    )
    deadline = dispatched["deadline"]
    entries = [
        history_entry(
            case,
            0,
            action="register",
            to_status=REGISTERED,
            actor=system,
            at=now,
            note_key="note.by_rule",
            note_params={"rule_id": p["rule_id"]},
        ),
        history_entry(
            {**case, "status": REGISTERED},
            1,
            action="dispatch",
            to_status=DISPATCHED,
            actor=system,
            at=now,
            department=p["department"],
            deadline=deadline,
            note_key="note.by_rule",
            note_params={"rule_id": p["rule_id"]},
        ),
    ]
    set_fields = with_derived(case, {**registered, **dispatched})
    final = after(case, set_fields, entries)
    # One decision, one event: the dispatch carries the registration it made (``registration``), and every
    # consumer takes it as both transitions (docs/architecture.md, "Events"). The history keeps both stages.
    event = case_event(
        "case.dispatched",
        final,
        {
            "decided_by": system,
            "rule_id": p["rule_id"],
            "rework": False,
            "registration": {"report_id": case["report_ids"][0], "registered_by": "system", "registered_at": now},
            **({"report": report} if report else {}),
        },
        event_id=ids.event(),
        actor=system,
        now=now,
        causation_id=causation_id,
    )
    return Change(case["version"], set_fields, entries, [event])
