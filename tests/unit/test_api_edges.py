"""The API's edges: whatever a client sends, the answer is the result or a 4xx naming the field — never a 500.

Property tests (hypothesis) over the gateway's JSON body reader and the validation of every schema in
``shared/api``, and the cases the fuzzing of the running API found (issue 14, items 8 and 9).
"""

import importlib
import inspect
import json
import pkgutil

import bson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from marshmallow import Schema, fields
from werkzeug.test import EnvironBuilder

import shared.api
from gateway.errors import error_body
from gateway.http import json_response, read_json
from shared.api.cases import EscalationPolicySchema, NoteSchema
from shared.api.reports import ReportSubmissionSchema
from shared.errors import Conflict, ValidationFailed
from shared.validation import MAX_DEPTH, json_problems, load, load_query

PROPERTY = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
PER_SCHEMA = settings(PROPERTY, max_examples=60)  # sixty-odd schemas: a few thousand bodies in all

# text as a fuzzer sends it: every code point, unpaired surrogates and control characters included
any_text = st.text(st.characters(codec=None, exclude_categories=()), max_size=12)
json_scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=True, allow_infinity=True)
    | any_text
)
json_values = st.recursive(
    json_scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(any_text, inner, max_size=4),
    max_leaves=20,
)


def request_with(raw: bytes, content_type: str | None = "application/json"):
    return EnvironBuilder(method="POST", path="/api/v1/x", data=raw, content_type=content_type).get_request()


def answer_for(exc: Exception) -> dict:
    """The HTTP answer the gateway would give: it must be buildable and be JSON."""
    status, body = error_body(exc, "X1")
    response = json_response(status, body)
    return {"status": status, **json.loads(response.get_data())}


def all_strings(value):
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from all_strings(key)
            yield from all_strings(item)
    elif isinstance(value, (list, tuple)):
        for item in value:
            yield from all_strings(item)


def assert_storable(document: dict) -> None:
    json.dumps(document, ensure_ascii=False, allow_nan=False).encode("utf-8")
    bson.encode({"doc": document})


# -- the body reader ---------------------------------------------------------------------------


def _deep(depth: int) -> bytes:
    return b'{"a":' + b"[" * depth + b"]" * depth + b"}"


def _json_text(value) -> bytes:
    return json.dumps(value, ensure_ascii=True).encode("ascii")  # \ud800 escapes survive as such


@PROPERTY
@given(
    st.one_of(
        json_values.map(_json_text),
        st.binary(max_size=64),
        st.integers(min_value=0, max_value=5000).map(_deep),
        st.text(alphabet='{}[]":,0123456789.eE-+ \\ud8ntrufalse', max_size=40).map(str.encode),
    )
)
def test_the_body_reader_answers_an_object_or_a_400_for_any_bytes(raw):
    try:
        body = read_json(request_with(raw))
    except ValidationFailed as exc:
        answer = answer_for(exc)
        assert answer["status"] == 400 and answer["fields"]
        return
    assert isinstance(body, dict)
    assert_storable(body)
    assert json_problems(body) == {}


@pytest.mark.parametrize(
    "raw, field",
    [
        (_deep(5000), "_body"),  # deeper than Python's recursion limit
        (_deep(MAX_DEPTH + 1), "a"),  # deep enough to trouble what comes after
        (b'{"description": "\\ud800"}', "description"),  # an unpaired surrogate in a value
        (b'{"\\udc00x": 1}', "\\udc00x"),  # … in a field name: the answer names it, escaped
        (b'{"lat": NaN}', "_body"),
        (b'{"lat": 1e999}', "lat"),
        (b'{"order": 123456789012345678901234567890}', "order"),
        (b'{"note": "a\\u0000b"}', "note"),
        (b"[]", "_body"),
    ],
)
def test_a_body_that_cannot_be_read_or_stored_is_a_400_naming_the_field(raw, field):
    with pytest.raises(ValidationFailed) as caught:
        read_json(request_with(raw))
    answer = answer_for(caught.value)
    assert answer["status"] == 400
    assert field in answer["fields"]


def test_an_empty_body_is_an_empty_object():
    assert read_json(request_with(b"", None)) == {}
    assert read_json(request_with(b"  \n", "application/json")) == {}


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded", None])
def test_a_body_that_is_not_sent_as_json_is_a_400_saying_so(content_type):
    with pytest.raises(ValidationFailed) as caught:
        read_json(request_with(b'{"note": "ok"}', content_type))
    assert "application/json" in caught.value.details["fields"]["_body"][0]


def test_json_with_a_charset_or_a_json_suffix_is_read():
    assert read_json(request_with(b'{"a": 1}', "application/json; charset=utf-8")) == {"a": 1}
    assert read_json(request_with(b'{"a": 1}', "application/merge-patch+json")) == {"a": 1}


def test_an_answer_with_text_that_is_not_unicode_is_still_an_answer():
    response = json_response(400, {"fields": {"\udc00": ["bad"]}})
    assert json.loads(response.get_data()) == {"fields": {"\udc00": ["bad"]}}


# -- every schema --------------------------------------------------------------------------------


def _schemas() -> list[type[Schema]]:
    found = {}
    for module in pkgutil.iter_modules(shared.api.__path__):
        loaded = importlib.import_module(f"shared.api.{module.name}")
        for _, cls in inspect.getmembers(loaded, inspect.isclass):
            if issubclass(cls, Schema) and cls.__module__.startswith("shared."):
                found[f"{cls.__module__}.{cls.__name__}"] = cls
    return [found[name] for name in sorted(found)]


# shared/api/operations.py holds the shapes of answers the gateway builds itself: nothing a client sends is loaded
# through them (their free-form `body` is the message as it was sent, whatever it holds).
SCHEMAS = [cls for cls in _schemas() if cls.__module__ != "shared.api.operations"]
QUERY_SCHEMAS = [cls for cls in SCHEMAS if "Query" in cls.__name__]


def _plausible(field: fields.Field, depth: int = 0):
    """Values near what ``field`` takes, so generated inputs get past the first check and reach the others."""
    if depth > 3:
        return json_scalars
    if isinstance(field, fields.Nested):
        one = _document_for(field.schema, depth + 1)
        return st.lists(one, max_size=2) if field.many else one
    if isinstance(field, fields.List):
        return st.lists(_plausible(field.inner, depth + 1), max_size=3)
    if isinstance(field, fields.Mapping):
        keys = _plausible(field.key_field, depth + 1) if field.key_field else any_text
        values = _plausible(field.value_field, depth + 1) if field.value_field else json_values
        return st.dictionaries(keys.filter(lambda k: isinstance(k, str)), values, max_size=3)
    if isinstance(field, fields.Number):
        return (
            st.integers(-1000, 1000)
            | st.floats(-1000, 1000)
            | st.floats(allow_nan=False)
            | st.sampled_from(["34.2", "1", " ", 1e30, 2**64, 1.5])
        )
    if isinstance(field, fields.Boolean):
        return st.booleans() | st.sampled_from(["true", "yes", 1, 0])
    if isinstance(field, (fields.DateTime, fields.Date)):
        return st.sampled_from(["2026-12-06T08:00:00+08:00", "2026-12-06", "yesterday", ""])
    return any_text | st.sampled_from(["sanitation", "ok", "   ", "a\x00b", "\ud800", "F" + "0" * 26, None])


def _document_for(schema: Schema, depth: int = 0):
    keyed = {(f.data_key or name): _plausible(f, depth) for name, f in schema.load_fields.items()}
    known = st.fixed_dictionaries({}, optional=keyed) if keyed else st.just({})
    return st.tuples(known, st.dictionaries(any_text, json_values, max_size=2)).map(
        lambda parts: {**parts[1], **parts[0]}
    )


@pytest.mark.parametrize("schema_class", SCHEMAS, ids=lambda c: c.__name__)
def test_every_schema_loads_any_body_or_names_the_faulty_fields(schema_class):
    schema = schema_class()

    @PER_SCHEMA
    @given(st.one_of(_document_for(schema), json_values))
    def check(data):
        try:
            loaded = load(schema, data)
        except ValidationFailed as exc:
            answer = answer_for(exc)
            assert answer["status"] == 400 and answer["fields"]
            return
        for text in all_strings(loaded):
            assert text == "" or text.strip(), "blank text got through"
            assert json_problems({"t": text}) == {}
        if isinstance(loaded, dict):
            bson.encode({"doc": json.loads(json.dumps(loaded, default=str))})

    check()


@pytest.mark.parametrize("schema_class", QUERY_SCHEMAS, ids=lambda c: c.__name__)
def test_every_query_schema_loads_any_parameters_or_names_the_faulty_ones(schema_class):
    schema = schema_class()
    names = [f.data_key or n for n, f in schema.load_fields.items()]

    @PER_SCHEMA
    @given(
        st.dictionaries(
            st.sampled_from(names) | any_text, any_text | st.sampled_from(["1", "true", "2026-12-06"]), max_size=4
        )
    )
    def check(query):
        try:
            load_query(schema, query)
        except ValidationFailed as exc:
            assert answer_for(exc)["status"] == 400

    check()


# -- loose validation, refused in the shared layer ---------------------------------------------------

REPORT = {"category": "sanitation", "description": "垃圾堆积", "location": {"lat": 34.2555, "lon": 108.9294}}


@pytest.mark.parametrize(
    "change, path",
    [
        ({"description": "   \t\n"}, ("description",)),
        ({"description": "垃圾\x00堆积"}, ("description",)),
        ({"description": "垃圾\x1b[31m"}, ("description",)),
        ({"location": {"lat": "34.2555", "lon": 108.9294}}, ("location", "lat")),
        ({"handled_on_spot": "yes"}, ("handled_on_spot",)),
        ({"attributes": {"depth": "\x07"}}, ("attributes", "depth")),
    ],
)
def test_loose_input_is_refused_naming_the_field(change, path):
    with pytest.raises(ValidationFailed) as caught:
        load(ReportSubmissionSchema(), {**REPORT, **change})
    node = caught.value.details["fields"]
    for step in path:
        node = node[step]
    assert node


def test_every_faulty_field_is_named_at_once():
    with pytest.raises(ValidationFailed) as caught:
        load(ReportSubmissionSchema(), {**REPORT, "description": " ", "location": {"lat": "1"}})
    named = caught.value.details["fields"]
    assert set(named) == {"description", "location"} and set(named["location"]) == {"lat", "lon"}


def test_a_policy_with_numbers_sent_as_text_is_refused():
    policy = {
        "policy_id": "p",
        "rungs": [{"name": "warn", "at": {"fraction": "0.5"}, "targets": [{"kind": "responsible"}]}],
    }
    with pytest.raises(ValidationFailed) as caught:
        load(EscalationPolicySchema(), policy)
    assert caught.value.details["fields"]["rungs"]["0"]["at"]["fraction"]


def test_a_fraction_or_a_number_too_large_for_an_integer_field_is_refused():
    from shared.api.directory import AttributeSchema

    attribute = {"code": "depth", "description": "Depth", "datatype": "number"}
    for order in (1.5, 1e30, 2**64):
        with pytest.raises(ValidationFailed) as caught:
            load(AttributeSchema(), {**attribute, "order": order})
        assert caught.value.details["fields"]["order"]
    assert load(AttributeSchema(), {**attribute, "order": 2.0})["order"] == 2


def test_what_is_not_text_is_exactly_the_control_characters_but_tab_and_line_breaks_and_the_surrogates():
    import unicodedata

    from shared.validation import text_problem

    for code in range(0x110000):
        char = chr(code)
        refused = unicodedata.category(char) in ("Cc", "Cs") and char not in "\t\n\r"
        assert (text_problem(f"a{char}b") is not None) == refused, hex(code)


def test_text_with_tabs_and_line_breaks_is_text():
    assert load(NoteSchema(), {"note": "第一行\n\t第二行\r\n"})["note"] == "第一行\n\t第二行\r\n"


def test_query_parameters_are_text_and_still_checked():
    from shared.api.directory import LocateQuerySchema

    assert load_query(LocateQuerySchema(), {"lat": "34.2", "lon": "108.9"}) == {"lat": 34.2, "lon": 108.9}
    with pytest.raises(ValidationFailed):
        load_query(LocateQuerySchema(), {"lat": "34.2\x00", "lon": "108.9"})


# -- error details keep their JSON types through RPC -----------------------------------------------------


def test_numbers_in_error_details_keep_their_types_through_rpc():
    from nameko.exceptions import deserialize, serialize

    sent = Conflict("The case changed.", {"version": 2, "lat": 34.2, "on_time": True, "grid": None})
    wire = json.loads(json.dumps(serialize(sent)))  # what RabbitMQ carries
    back = deserialize(wire)
    assert isinstance(back, Conflict)
    assert answer_for(back)["details"] == {"version": 2, "lat": 34.2, "on_time": True, "grid": None}
