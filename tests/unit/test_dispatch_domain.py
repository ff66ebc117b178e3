from services.dispatch import domain
from tests.support.samples import NOW, sample_event


def test_an_assignment_records_who_decided():
    by_rule = domain.assignment(sample_event("case.dispatched"), now=NOW)
    assert (by_rule["decided_by"], by_rule["rule_id"], by_rule["department"]) == ("rule", "sanitation", "sanitation")
    person = {"user_id": "op", "role": "operator", "name": "x"}
    by_person = domain.assignment(sample_event("case.dispatched", rule_id=None, decided_by=person), now=NOW)
    assert (by_person["decided_by"], by_person["actor"]["user_id"]) == ("person", "op")


def test_a_case_counts_for_its_department_only_while_in_hand():
    assert domain.workload_entry(sample_event("case.dispatched"))["department"] == "sanitation"
    assert domain.workload_entry(sample_event("case.resolved"))["department"] is None
