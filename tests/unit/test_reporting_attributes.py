import pytest

from services.reporting.attributes import check_attributes
from shared.errors import ValidationFailed

CATEGORY = {
    "code": "c",
    "attributes": [
        {"code": "note", "description": "", "datatype": "string", "required": False},
        {"code": "people", "description": "", "datatype": "number", "required": True},
        {"code": "seen_at", "description": "", "datatype": "datetime", "required": False},
        {"code": "kinds", "description": "", "datatype": "multivaluelist", "required": False,
         "values": [{"key": "a", "name": "A"}, {"key": "b", "name": "B"}]},
    ],
}


def test_valid_fields_pass_and_empty_optional_ones_are_dropped():
    given = {"people": 2, "note": "", "seen_at": "2026-11-23T08:00:00+08:00", "kinds": ["a", "b"]}
    assert check_attributes(given, CATEGORY) == {"people": 2, "seen_at": "2026-11-23T08:00:00+08:00",
                                                  "kinds": ["a", "b"]}


@pytest.mark.parametrize(
    "given, field",
    [
        ({"people": "two"}, "people"),
        ({"people": True}, "people"),
        ({"people": 1, "seen_at": "yesterday"}, "seen_at"),
        ({"people": 1, "kinds": ["c"]}, "kinds"),
        ({"people": 1, "kinds": "a"}, "kinds"),
        ({"people": 1, "note": {"$gt": ""}}, "note"),
        ({}, "people"),
    ],
)
def test_each_wrong_field_is_named(given, field):
    with pytest.raises(ValidationFailed) as refused:
        check_attributes(given, CATEGORY)
    assert field in refused.value.details["fields"]["attributes"]
