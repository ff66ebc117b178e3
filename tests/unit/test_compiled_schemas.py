"""A compiled schema (``shared.events.compiled``) answers as marshmallow does: the same result, or the same errors.

Checked over every event contract and the envelope, with their samples as they arrive (JSON) and spoilt every way
a message from outside could spoil them: a field missing, null, of another type, out of its range, an unknown key
at the top and inside nested objects.
"""

import copy
import json
from datetime import UTC, datetime

import pytest
from marshmallow import EXCLUDE, RAISE, Schema, ValidationError, fields, post_load

from shared.events import to_message
from shared.events.catalogue import all_contracts
from shared.events.compiled import Dumper, Loader
from shared.events.envelope import EnvelopeSchema
from tests.support.samples import PAYLOADS, sample_event

ODD_VALUES = (None, 0, 7, -1.5, True, "", "x", "2026-11-23T09:00:00", "not-a-date", [], ["x"], {}, {"x": 1})


def _outcome(load, data):
    try:
        return "loaded", load(data)
    except ValidationError as exc:
        return "refused", exc.messages


def _spoilt(data: dict):
    """The sample, and one copy per way of spoiling one of its fields (recursively into nested objects and lists)."""
    yield data
    yield {**data, "an_unknown_field": 1}
    for key, value in data.items():
        yield {k: v for k, v in data.items() if k != key}
        for odd in ODD_VALUES:
            yield {**data, key: odd}
        if isinstance(value, dict):
            for inner in _spoilt(value):
                yield {**data, key: inner}
        if isinstance(value, list) and value and isinstance(value[0], dict):
            for inner in _spoilt(value[0]):
                yield {**data, key: [inner, *value[1:]]}
        if isinstance(value, list):
            yield {**data, key: [*value, None]}
            yield {**data, key: [*value, 5]}


def _wire(event_type: str) -> dict:
    return json.loads(json.dumps(to_message(sample_event(event_type)), ensure_ascii=False))


def _compare(schema: Schema, unknown, data: dict) -> int:
    compiled = Loader(schema, unknown)
    checked = 0
    for variant in _spoilt(data):
        expected = _outcome(lambda d: schema.load(copy.deepcopy(d), unknown=unknown), variant)
        assert _outcome(compiled, variant) == expected, variant
        checked += 1
    return checked


@pytest.mark.parametrize("event_type", sorted(all_contracts()))
def test_every_contract_loads_as_marshmallow_loads_it(event_type):
    assert event_type in PAYLOADS, f"no sample of {event_type} in tests/support/samples.py: add one"
    schema = all_contracts()[event_type][0]
    payload = _wire(event_type)["payload"]
    if event_type.startswith(("case.", "incident.", "routing.", "feed.")):
        assert Loader(schema, EXCLUDE)._plan is not None, "the events of every report compile"
    # as a consumer takes it (unknown fields dropped) and as its producer checks it (unknown fields refused)
    assert _compare(schema, EXCLUDE, payload) > 20
    _compare(schema, RAISE, payload)


def test_a_dispatch_born_with_its_report_and_registration_loads_and_dumps_as_marshmallow_does():
    from tests.support.samples import BORN_REPORT, REGISTRATION

    schema = all_contracts()["case.dispatched"][0]
    event = sample_event("case.dispatched", registration=REGISTRATION, report=BORN_REPORT)
    payload = json.loads(json.dumps(to_message(event), ensure_ascii=False))["payload"]
    assert Loader(schema, EXCLUDE)._plan is not None, "the event of a routed report compiles"
    assert _compare(schema, EXCLUDE, payload) > 20
    _compare(schema, RAISE, payload)
    loaded = Loader(schema, EXCLUDE)(payload)
    for variant in _spoilt(loaded):
        assert _dumped(Dumper(schema), variant) == _dumped(schema.dump, variant), variant


def test_the_envelope_loads_as_marshmallow_loads_it():
    schema = EnvelopeSchema()
    assert Loader(schema)._plan is not None
    for event_type in ("case.dispatched", "feed.appended", "incident.reported"):
        _compare(schema, None, _wire(event_type))


def test_a_value_marshmallow_converts_is_converted_as_marshmallow_converts_it():
    class Shape(Schema):
        count = fields.Integer()
        share = fields.Float()
        flag = fields.Boolean()

    loaded = Loader(Shape())({"count": "3", "share": 2, "flag": "yes"})
    assert loaded == {"count": 3, "share": 2.0, "flag": True}
    assert type(loaded["share"]) is float


def test_a_schema_with_hooks_is_left_to_marshmallow():
    class Hooked(Schema):
        name = fields.String()

        @post_load
        def shout(self, data, **kwargs):
            return {"name": data["name"].upper()}

    loader = Loader(Hooked())
    assert loader._plan is None
    assert loader({"name": "a"}) == {"name": "A"}


def test_errors_are_marshmallows_own():
    schema = all_contracts()["case.dispatched"][0]
    payload = _wire("case.dispatched")["payload"]
    payload["version"] = "three"
    del payload["case_id"]
    assert Loader(schema, EXCLUDE).errors(payload) == schema.validate(payload, partial=False) != {}


def _dumped(dump, obj):
    try:
        return "dumped", dump(obj)
    except Exception as exc:  # noqa: BLE001 - whatever marshmallow raises, the compiled dump must raise too
        return "raised", type(exc)


@pytest.mark.parametrize("event_type", sorted(all_contracts()))
def test_every_contract_dumps_as_marshmallow_dumps_it(event_type):
    schema = all_contracts()[event_type][0]
    loaded = Loader(schema, EXCLUDE)(_wire(event_type)["payload"])
    compiled = Dumper(schema)
    if event_type.startswith(("case.", "incident.", "routing.", "feed.")):
        assert compiled._plan is not None, "the events of every report compile"
    # what producers hand over: loaded payloads, and the same spoilt (fields missing, null, of other types)
    for variant in _spoilt(loaded):
        assert _dumped(compiled, variant) == _dumped(schema.dump, variant), variant


def test_the_envelope_dumps_as_marshmallow_dumps_it():
    schema = EnvelopeSchema()
    envelope = Loader(schema)(_wire("case.dispatched"))
    for variant in _spoilt(envelope):
        assert _dumped(Dumper(schema), variant) == _dumped(schema.dump, variant), variant


def test_a_producer_dumps_a_payload_once_and_sends_what_it_checked():
    event = sample_event("case.dispatched")
    assert event.wire_payload == all_contracts()["case.dispatched"][0].dump(event.payload)
    assert to_message(event)["payload"] == event.wire_payload
    assert to_message(event)["payload"] is not event.wire_payload, "a message's payload is its own to change"


class _Part(Schema):
    part_id = fields.String()
    at = fields.DateTime()
    size = fields.Integer()


class _Reading(Schema):
    reading_id = fields.String(attribute="_id")
    tags = fields.List(fields.String(), dump_default=list)
    parts = fields.Nested(_Part, many=True, only=("part_id", "at"))
    summary = fields.Method("_summary")
    kind = fields.Function(lambda obj: obj.get("tags", ["none"])[0] if obj.get("tags") else "none")

    def _summary(self, obj):
        return f"{obj.get('_id')}:{len(obj.get('parts') or ())}"


def test_renamed_attributes_defaults_lists_of_nested_objects_and_method_fields_dump_as_marshmallow_dumps_them():
    schema = _Reading()
    compiled = Dumper(schema)
    assert compiled._plan is not None
    part = {"part_id": "P1", "at": datetime(2026, 12, 6, 18, tzinfo=UTC), "size": 3}
    reading = {"_id": "R1", "tags": ["a"], "parts": [part, {**part, "part_id": "P2"}]}
    for variant in _spoilt(reading):
        assert _dumped(compiled, variant) == _dumped(schema.dump, variant), variant
    assert list(compiled(reading)) == list(schema.dump(reading))  # in the fields' order


def test_a_case_that_went_everywhere_dumps_as_marshmallow_dumps_it():
    from shared.api.cases import CasePageSchema, CaseSchema
    from tests.unit.test_cases_lifecycle import a_case_that_went_everywhere

    case = {**a_case_that_went_everywhere(), "light": "green", "allowed_actions": ["comment", "supervise"]}
    schema, compiled = CaseSchema(), Dumper(CaseSchema())
    assert compiled._plan is not None, "every action's answer compiles"
    for variant in _spoilt(case):
        assert _dumped(compiled, variant) == _dumped(schema.dump, variant), variant
    page = {"items": [case, {**case, "history": []}], "next": ["x", 1]}
    assert Dumper(CasePageSchema())(page) == CasePageSchema().dump(page)
