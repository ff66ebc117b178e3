from services.dispatch import domain
from tests.support import district
from tests.support.samples import NOW, sample_event

RULES = district.ROUTING_RULES + [
    {
        "rule_id": "sanitation-c1",
        "category": "sanitation",
        "community": "610102002001",
        "department": "municipal",
        "automatic": False,
    },
]


def route(category, street=None, community=None):
    rule = domain.route(RULES, category=category, street=street, community=community)
    return rule and rule["rule_id"]


def test_the_district_wide_rule_applies_when_nothing_more_specific_does():
    assert route("sanitation", street="610102001", community="610102001001") == "sanitation"


def test_a_street_rule_beats_the_district_wide_rule():
    assert route("sanitation", street="610102002", community="610102002002") == "sanitation-610102002"


def test_a_community_rule_beats_a_street_rule():
    assert route("sanitation", street="610102002", community="610102002001") == "sanitation-c1"


def test_a_category_without_a_rule_waits_for_an_operator():
    assert route("greening") is None


def test_a_decision_names_the_department_and_whether_to_dispatch_at_once():
    rule = {"rule_id": "sanitation", "category": "sanitation", "department": "sanitation", "automatic": True}
    reported = sample_event("case.reported")
    event = domain.decide(reported, rule, now=NOW)
    assert event.type == "routing.decided" and event.causation_id == reported.event_id
    assert event.payload == {
        "case_id": "C1",
        "department": "sanitation",
        "assisting_departments": [],
        "rule_id": "sanitation",
        "automatic": True,
    }


def test_an_assignment_records_who_decided():
    by_rule = domain.assignment(sample_event("case.dispatched"), now=NOW)
    assert (by_rule["decided_by"], by_rule["rule_id"], by_rule["department"]) == ("rule", "sanitation", "sanitation")
    person = {"user_id": "op", "role": "operator", "name": "x"}
    by_person = domain.assignment(sample_event("case.dispatched", rule_id=None, decided_by=person), now=NOW)
    assert (by_person["decided_by"], by_person["actor"]["user_id"]) == ("person", "op")


def test_a_case_counts_for_its_department_only_while_in_hand():
    assert domain.workload_entry(sample_event("case.dispatched"))["department"] == "sanitation"
    assert domain.workload_entry(sample_event("case.resolved"))["department"] is None
