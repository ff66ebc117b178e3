import pytest

from services.reporting import domain
from shared.errors import UnknownCategory, ValidationFailed
from tests.support.samples import CATEGORIES, NOW

SUBMISSION = {
    "category": "sanitation",
    "description": "垃圾堆积",
    "location": {"lat": 34.265, "lon": 108.955},
    "grid": None,
    "reporter": None,
    "idempotency_key": "device-42-0001",
    "attributes": {},
}
PLACE = {
    "grid": "610102001001001",
    "community": "610102001001",
    "street": "610102001",
    "grid_source": "located",
    "grid_mismatch": False,
    "located_grid": "610102001001001",
}
OFFICER = {"user_id": "officer-1", "role": "grid_officer", "name": "王芳"}


def accept(reporter="officer-1", **overrides):
    return domain.accept_report(
        {**SUBMISSION, **overrides},
        reporter=reporter,
        filed_by=OFFICER,
        place=PLACE,
        categories=CATEGORIES,
        now=NOW,
        correlation_id="X9",
    )


def test_accepting_a_report_reserves_its_case_and_announces_it():
    report, event = accept()
    assert report["_id"].startswith("R") and report["case_id"].startswith("C")
    assert event.type == "incident.reported"
    assert event.payload["case_id"] == report["case_id"]
    assert (event.payload["grid"], event.payload["community"], event.payload["street"]) == (
        "610102001001001",
        "610102001001",
        "610102001",
    )
    assert event.payload["reported_at"] == NOW
    assert event.correlation_id == "X9"
    assert event.actor == OFFICER


def test_an_unknown_category_is_refused_naming_it():
    with pytest.raises(UnknownCategory, match="'bogus'") as refused:
        accept(category="bogus")
    assert refused.value.details == {"category": "bogus"}


def test_an_inactive_category_takes_no_new_reports():
    categories = {**CATEGORIES, "sanitation": {**CATEGORIES["sanitation"], "active": False}}
    with pytest.raises(UnknownCategory):
        domain.accept_report(
            SUBMISSION,
            reporter="officer-1",
            filed_by=OFFICER,
            place=PLACE,
            categories=categories,
            now=NOW,
            correlation_id="X",
        )


def test_a_categorys_required_field_must_be_given():
    with pytest.raises(ValidationFailed) as refused:
        accept(category="drainage")
    assert refused.value.details["fields"] == {"attributes": {"severity": ["Missing data for required field."]}}


def test_category_fields_are_checked_against_their_definition():
    with pytest.raises(ValidationFailed) as refused:
        accept(category="drainage", attributes={"severity": "apocalyptic", "colour": "brown"})
    problems = refused.value.details["fields"]["attributes"]
    assert set(problems) == {"severity", "colour"}
    report, event = accept(category="drainage", attributes={"severity": "flooding"})
    assert event.payload["attributes"] == {"severity": "flooding"}


def test_the_same_key_from_the_same_reporter_finds_the_first_report():
    first, _ = accept()
    retry, _ = accept()
    assert first["dedup_key"] == retry["dedup_key"]
    assert first["fingerprint"] == retry["fingerprint"]
    assert first["_id"] != retry["_id"]


def test_the_same_key_from_another_reporter_is_another_report():
    assert accept()[0]["dedup_key"] != accept(reporter="officer-2")[0]["dedup_key"]


def test_reports_without_a_key_never_collide():
    assert accept(idempotency_key=None)[0]["dedup_key"] != accept(idempotency_key=None)[0]["dedup_key"]


def test_a_reused_key_with_other_content_has_another_fingerprint():
    assert accept()[0]["fingerprint"] != accept(description="something else")[0]["fingerprint"]
