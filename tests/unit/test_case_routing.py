"""Routing at intake: the rule for a case (services/cases/domain/routing.py), and a case born as its rule says —
registered and dispatched in one write, announced once; a suggestion; or waiting as reported."""

from services.cases import domain
from services.cases.domain.escalation import DEFAULT_POLICY
from services.cases.domain.model import after
from services.cases.domain.routing import route, unseen
from shared.events.stages import stages
from shared.workcalendar import WorkCalendar
from tests.support import district
from tests.support.ids import counting
from tests.support.samples import CATEGORIES, NOW, sample_event

RULES = district.ROUTING_RULES + [
    {
        "rule_id": "sanitation-c1",
        "category": "sanitation",
        "community": "610102002001",
        "department": "municipal",
        "automatic": False,
    },
]
CALENDAR = WorkCalendar()
POLICY = {**DEFAULT_POLICY, "version": 1}


def rule_for(category, street=None, community=None):
    rule = route(RULES, category=category, street=street, community=community)
    return rule and rule["rule_id"]


def test_the_district_wide_rule_applies_when_nothing_more_specific_does():
    assert rule_for("sanitation", street="610102001", community="610102001001") == "sanitation"


def test_a_street_rule_beats_the_district_wide_rule():
    assert rule_for("sanitation", street="610102002", community="610102002002") == "sanitation-610102002"


def test_a_community_rule_beats_a_street_rule():
    assert rule_for("sanitation", street="610102002", community="610102002001") == "sanitation-c1"


def test_a_category_without_a_rule_waits_for_an_operator():
    assert rule_for("greening") is None


def test_the_publics_reports_go_through_only_where_the_rule_says_so():
    rule = {"rule_id": "r", "category": "sanitation", "department": "sanitation", "automatic": True}
    assert unseen(rule, "field") and not unseen(rule, "public")
    assert unseen({**rule, "dispatch_public_reports": True}, "public")
    assert not unseen({**rule, "automatic": False}, "field")


def opened(rules, **incident):
    return domain.open_case(
        sample_event("incident.reported", **incident),
        category=CATEGORIES["sanitation"],
        rules=rules,
        now=NOW,
        calendar=CALENDAR,
        policy=POLICY,
        ids=counting(),
    )


def test_an_automatic_rule_makes_the_case_born_registered_and_dispatched_announced_once():
    incident = sample_event("incident.reported")
    case, (event,) = domain.open_case(
        incident,
        category=CATEGORIES["sanitation"],
        rules=RULES,
        now=NOW,
        calendar=CALENDAR,
        policy=POLICY,
        ids=counting(),
    )
    assert (case["status"], case["department"], case["version"]) == ("dispatched", "sanitation", 2)
    assert [(h["seq"], h["action"], h["actor"]["user_id"]) for h in case["history"]] == [
        (1, "report", "officer-1"),
        (2, "register", "system"),
        (3, "dispatch", "system"),
    ]
    assert [h.get("note_key") for h in case["history"][1:]] == ["note.by_rule", "note.by_rule"]
    assert event.type == "case.dispatched" and event.causation_id == incident.event_id
    p = event.payload
    assert p["registration"] == {"report_id": "R1", "registered_by": "system", "registered_at": NOW}
    assert p["report"] == {
        "report_id": "R1",
        "handled_on_spot": False,
        "possible_duplicates": [],
        "occurred_at": NOW,
        "actor": incident.actor,
        "version": 1,
        "stage": "dispatch",
        "stage_deadline": p["report"]["stage_deadline"],
    }
    assert p["report"]["stage_deadline"] is not None and p["stage"] == "sign_for"


def _without_ids(case):
    escalation = case.get("escalation") and {k: v for k, v in case["escalation"].items() if k != "ladder_id"}
    return {**case, "escalation": escalation, "_seen": None}


def test_a_case_born_dispatched_is_the_case_opened_then_routed_today():
    """Compose, not copy: the same fields, deadlines, timing and history as opening it and applying the rule's
    decision after (``apply_routing``, kept for decisions in flight during a rolling update)."""
    born, (event,) = opened(RULES)
    reported, (told,) = opened([])
    change = domain.apply_routing(
        reported,
        sample_event("routing.decided"),
        category=CATEGORIES["sanitation"],
        now=NOW,
        calendar=CALENDAR,
        policy=POLICY,
        ids=counting(),
    )
    routed = after(reported, change.set_fields, change.history)
    assert _without_ids(born) == _without_ids(routed)
    (dispatched,) = change.events
    facts_of = {k: v for k, v in dispatched.payload.items() if k != "report"}
    assert {k: v for k, v in event.payload.items() if k != "report"} == facts_of
    # the report it carries is what the case.reported it replaces said
    (as_reported, _, _) = stages(event)
    assert as_reported.type == "case.reported" and as_reported.occurred_at == told.occurred_at
    assert as_reported.actor == told.actor
    assert as_reported.payload == told.payload


def test_a_rule_that_only_suggests_leaves_the_case_reported_with_its_suggestion():
    case, (event,) = opened(RULES, category="dispute")
    assert case["status"] == "reported" and case["suggestion"] == {"department": "justice", "rule_id": "dispute"}
    assert event.type == "case.reported" and case["version"] == 1


def test_a_publics_report_is_screened_by_a_person_unless_the_rule_lets_it_through():
    case, (event,) = opened(RULES, source="public", address=None, media_url=None)
    assert case["status"] == "reported" and case["suggestion"]["department"] == "sanitation"
    assert event.type == "case.reported"
    through = [{**r, "dispatch_public_reports": True} for r in RULES]
    case, (event,) = opened(through, source="public", address=None, media_url=None)
    assert case["status"] == "dispatched" and event.type == "case.dispatched"


def test_without_a_rule_or_handled_on_the_spot_the_case_is_opened_as_before():
    case, (event,) = opened(RULES, category="greening")
    assert (case["status"], case["suggestion"], event.type) == ("reported", None, "case.reported")
    case, (event,) = opened(RULES, handled_on_spot=True, result_note="swept", attachments=["P" + "0" * 26])
    assert (case["status"], event.type) == ("resolved", "case.reported")
