"""Open311 on the wire (gateway/open311.py): the specification's XML and JSON, its forms and queries."""

from datetime import UTC, datetime, timedelta
from xml.etree import ElementTree

import pytest

from gateway import open311 as wire

NOW = datetime(2026, 12, 6, 10, 0, tzinfo=UTC)
LIGHT = {
    "code": "street_light",
    "name_zh": "路灯损坏",
    "name_en": "Broken street light",
    "keywords": ["路灯", "lamp"],
    "group": {"code": "municipal_facilities", "name_zh": "市政设施", "name_en": "Municipal facilities"},
    "attributes": [
        {
            "code": "fault",
            "description": "What is wrong",
            "description_zh": "故障现象",
            "datatype": "singlevaluelist",
            "required": True,
            "order": 2,
            "values": [{"key": "flickering", "name": "Flickering", "name_zh": "闪烁"}],
        },
        {
            "code": "pole_number",
            "description": "Number on the pole",
            "description_zh": None,
            "datatype": "string",
            "required": False,
            "order": 1,
            "values": [],
        },
    ],
}


def test_a_service_list_in_xml_has_the_specifications_elements_and_no_namespace():
    body = wire.to_xml("services", [wire.service_entry(LIGHT, "zh-CN")])
    assert body.startswith(b'<?xml version="1.0" encoding="utf-8"?>\n<services><service>')
    root = ElementTree.fromstring(body)
    (service,) = root
    assert (root.tag, service.tag) == ("services", "service")
    assert {child.tag: child.text for child in service} == {
        "service_code": "street_light",
        "service_name": "路灯损坏",
        "description": "路灯损坏",
        "metadata": "true",
        "type": "realtime",
        "keywords": "路灯,lamp",
        "group": "市政设施",
    }


def test_a_definition_lists_attributes_in_order_with_their_values_in_both_languages():
    definition = wire.service_definition(LIGHT, "zh-CN")
    assert [a["code"] for a in definition["attributes"]] == ["pole_number", "fault"]
    fault = definition["attributes"][1]
    assert fault == {
        "variable": True,
        "code": "fault",
        "datatype": "singlevaluelist",
        "required": True,
        "datatype_description": None,
        "order": 2,
        "description": "故障现象",
        "values": [{"key": "flickering", "name": "闪烁"}],
    }
    assert wire.service_definition(LIGHT, "en")["attributes"][1]["values"] == [
        {"key": "flickering", "name": "Flickering"}
    ]
    root = ElementTree.fromstring(wire.to_xml("service_definition", definition))
    assert root.tag == "service_definition"
    attributes = root.find("attributes").findall("attribute")
    assert [a.find("code").text for a in attributes] == ["pole_number", "fault"]
    assert attributes[1].find("values/value/key").text == "flickering"
    assert attributes[1].find("required").text == "true" and attributes[0].find("datatype_description").text is None


def test_errors_are_a_list_of_code_and_description():
    body = wire.errors_body(403, ["Unknown or revoked api_key."])
    assert body == [{"code": 403, "description": "Unknown or revoked api_key."}]
    root = ElementTree.fromstring(wire.to_xml("errors", body))
    assert [(e.find("code").text, e.find("description").text) for e in root] == [("403", "Unknown or revoked api_key.")]


def test_the_answer_to_a_post_is_the_request_id_at_once():
    assert wire.created({"case_id": "C1", "possible_duplicates": []}, "acct") == [
        {"service_request_id": "C1", "service_notice": None, "account_id": "acct"}
    ]
    notice = wire.created({"case_id": "C1", "possible_duplicates": [{"case_id": "C0"}]}, None)[0]["service_notice"]
    assert "already reported" in notice


# -- reading a POST -------------------------------------------------------------------------


def form(**fields):
    return [(k, v if isinstance(v, list) else [v]) for k, v in fields.items()]


def test_attributes_single_and_multi_valued():
    pairs = [
        ("attribute[fault]", ["flickering"]),
        ("attribute[kinds][]", ["household", "bulky"]),
        ("attribute[empty]", [""]),
        ("description", ["x"]),
    ]
    assert wire.attributes_of(pairs) == {"fault": "flickering", "kinds": ["household", "bulky"]}


def test_a_repeated_multi_value_key_gathers_every_value():
    pairs = [("attribute[kinds][]", ["household"]), ("attribute[kinds][]", ["bulky"])]
    assert wire.attributes_of(pairs) == {"kinds": ["household", "bulky"]}


@pytest.mark.parametrize("key", ["attribute[]", "attribute[a[b]]", "attribute[x"])
def test_a_malformed_attribute_key_is_a_400_naming_it(key):
    with pytest.raises(wire.Open311Error) as caught:
        wire.attributes_of([(key, ["v"])])
    assert caught.value.status == 400 and key in caught.value.descriptions[0]


def test_a_post_becomes_the_report_and_keeps_contact_details_apart():
    report = wire.read_new_request(
        form(
            api_key="k",
            service_code="street_light",
            lat="34.26",
            long="108.95",
            description=" 不亮 ",
            address_string="东新街 12 号",
            media_url="https://example.cn/p.jpg",
            device_id="d1",
            account_id="a1",
            email="x@example.cn",
            phone="13900000000",
            first_name="Ming",
            last_name="Wang",
            **{"attribute[fault]": "on"},
        )
    )
    assert report == {
        "category": "street_light",
        "description": "不亮",
        "location": {"lat": 34.26, "lon": 108.95},
        "address": "东新街 12 号",
        "media_url": "https://example.cn/p.jpg",
        "attributes": {"fault": "on"},
        "device_id": "d1",
        "account_id": "a1",
        "contact": {"email": "x@example.cn", "phone": "13900000000", "first_name": "Ming", "last_name": "Wang"},
        "language": None,
    }
    assert "api_key" not in report


def test_the_reporters_locale_is_the_language_of_their_notices():
    given = {"api_key": "k", "service_code": "s", "lat": "34.26", "long": "108.95"}
    assert wire.read_new_request(form(**given, locale="en-US"))["language"] == "en"
    assert wire.read_new_request(form(**given, locale="zh_CN"))["language"] == "zh-CN"
    assert wire.read_new_request(form(**given))["language"] is None  # the district's own, decided by reporting


@pytest.mark.parametrize(
    "fields, words",
    [
        ({"lat": "34.2", "long": "108.9"}, "service_code: required."),
        ({"service_code": "s", "lat": "34.2"}, "lat and long: give both."),
        ({"service_code": "s", "address_id": "17"}, "A location is required"),
        ({"service_code": "s", "lat": "north", "long": "108.9"}, "lat: not a number"),
        ({"service_code": "s", "lat": "34.2", "long": "200"}, "long: must be between -180 and 180."),
    ],
)
def test_a_post_without_what_it_needs_is_a_400_saying_what(fields, words):
    with pytest.raises(wire.Open311Error) as caught:
        wire.read_new_request(form(**fields))
    assert caught.value.status == 400 and any(d.startswith(words) for d in caught.value.descriptions)


def test_a_json_body_reads_like_the_form():
    pairs = wire.pairs_of_json(
        {
            "service_code": "s",
            "lat": 34.2,
            "long": 108.9,
            "api_key": "k",
            "attribute": {"kinds": ["a", "b"], "bags": 3},
            "email": None,
        }
    )
    report = wire.read_new_request(pairs)
    assert report["attributes"] == {"kinds": ["a", "b"], "bags": "3"}
    assert report["location"] == {"lat": 34.2, "lon": 108.9} and report["contact"] == {}


@pytest.mark.parametrize("body", [{"attribute": ["a"]}, {"lat": {"x": 1}}, {"lat": True}])
def test_a_json_body_of_the_wrong_shape_is_a_400(body):
    with pytest.raises(wire.Open311Error):
        wire.pairs_of_json(body)


# -- reading GET requests ---------------------------------------------------------------------


def test_without_dates_the_last_ninety_days():
    query = wire.read_request_query({}, NOW)
    assert (query["start"], query["end"]) == ((NOW - timedelta(days=90)).isoformat(), NOW.isoformat())
    assert (query["ids"], query["categories"], query["status"], query["page"], query["page_size"]) == (
        [],
        [],
        [],
        1,
        50,
    )


def test_one_date_gives_ninety_days_from_or_to_it():
    start = wire.read_request_query({"start_date": "2026-11-01T00:00:00Z"}, NOW)
    assert (start["start"], start["end"]) == ("2026-11-01T00:00:00+00:00", NOW.isoformat())
    end = wire.read_request_query({"end_date": "2026-11-01T00:00:00+08:00"}, NOW)
    assert end["start"] == (datetime.fromisoformat("2026-11-01T00:00:00+08:00") - timedelta(days=90)).isoformat()


def test_lists_are_comma_separated_and_a_plus_in_an_offset_survives_the_query_string():
    query = wire.read_request_query(
        {
            "service_request_id": "C1, C2",
            "service_code": "a,b",
            "status": "open,closed",
            "start_date": "2026-11-01T00:00:00 08:00",
            "locale": "en-US",
        },
        NOW,
    )
    assert (query["ids"], query["categories"], query["status"]) == (["C1", "C2"], ["a", "b"], ["open", "closed"])
    assert query["start"] == "2026-11-01T00:00:00+08:00" and query["language"] == "en"


@pytest.mark.parametrize(
    "args, words",
    [
        ({"start_date": "2026-01-01T00:00:00Z", "end_date": "2026-06-01T00:00:00Z"}, "at most 90 days"),
        ({"start_date": "2026-06-01T00:00:00Z", "end_date": "2026-01-01T00:00:00Z"}, "end_date: before start_date"),
        ({"start_date": "2026-06-01"}, "start_date: give the time zone"),
        ({"end_date": "soon"}, "end_date: not a W3C datetime"),
        ({"status": "open,pending"}, "status: open or closed, not pending"),
        ({"page": "0"}, "page: a whole number"),
        ({"page_size": "1000"}, "page_size: a whole number from 1 to 200"),
    ],
)
def test_a_bad_query_is_a_400_naming_the_parameter(args, words):
    with pytest.raises(wire.Open311Error) as caught:
        wire.read_request_query(args, NOW)
    assert caught.value.status == 400 and words in caught.value.descriptions[0]
