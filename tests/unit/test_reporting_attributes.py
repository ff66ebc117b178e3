import pytest

from services.reporting.domain.attributes import check_attributes
from shared.errors import ValidationFailed

CATEGORY = {
    "code": "c",
    "attributes": [
        {"code": "note", "description": "", "datatype": "string", "required": False},
        {"code": "people", "description": "", "datatype": "number", "required": True},
        {"code": "seen_at", "description": "", "datatype": "datetime", "required": False},
        {
            "code": "kinds",
            "description": "",
            "datatype": "multivaluelist",
            "required": False,
            "values": [{"key": "a", "name": "A"}, {"key": "b", "name": "B"}],
        },
    ],
}


def test_valid_fields_pass_and_empty_optional_ones_are_dropped():
    given = {"people": 2, "note": "", "seen_at": "2026-11-23T08:00:00+08:00", "kinds": ["a", "b"]}
    assert check_attributes(given, CATEGORY) == {
        "people": 2,
        "seen_at": "2026-11-23T08:00:00+08:00",
        "kinds": ["a", "b"],
    }


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


LISTS = {
    **CATEGORY,
    "attributes": CATEGORY["attributes"]
    + [
        {
            "code": "level",
            "description": "",
            "datatype": "singlevaluelist",
            "required": False,
            "values": [{"key": "high", "name": "High"}],
        }
    ],
}


@pytest.mark.parametrize(
    "given, field",
    [
        ({"people": 1, "level": ["high"]}, "level"),  # a list where one key was asked: was a TypeError, a 500
        ({"people": 1, "level": {"high": 1}}, "level"),
        ({"people": 1, "kinds": [["a"]]}, "kinds"),
        ({"people": 1, "kinds": [{}]}, "kinds"),
        ({"people": 1, "note": "   "}, "note"),  # text that is only spaces
    ],
)
def test_values_of_the_wrong_shape_or_blank_text_are_named_not_a_crash(given, field):
    with pytest.raises(ValidationFailed) as refused:
        check_attributes(given, LISTS)
    assert field in refused.value.details["fields"]["attributes"]


def test_any_json_value_for_any_attribute_is_taken_or_named():
    from hypothesis import given, settings
    from hypothesis import strategies as st

    values = st.recursive(
        st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=5),
        lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=3), inner, max_size=3),
        max_leaves=8,
    )
    codes = [a["code"] for a in LISTS["attributes"]]

    @settings(max_examples=300, deadline=None)
    @given(st.dictionaries(st.sampled_from(codes), values | st.sampled_from(["a", "high", ["a"], 2])))
    def check(given_values):
        try:
            check_attributes(given_values, LISTS)
        except ValidationFailed as refused:
            assert set(refused.details["fields"]["attributes"]) <= set(given_values) | {"people"}

    check()
