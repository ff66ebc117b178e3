"""The event envelope every service publishes and consumes.

Delivery guarantee: an event leaves its producer at least once (transactional
outbox + publisher confirms) and takes effect at most once in each consumer
(processed ids kept in the consumer's store). Consumers must therefore tolerate
redelivery and duplicates; they never see an event whose producer's state change
was rolled back.

On the wire an event is a JSON object: ``event_id`` (UUID), ``type`` (``noun.verb``,
past tense), ``version`` (of the payload contract), ``occurred_at`` (UTC, ISO 8601),
``producer`` (service name), ``correlation_id`` (follows one report through every
service), ``causation_id`` (the event that caused this one, if any), ``actor`` (who
did it) and ``payload`` (validated by the contract schema registered for the type).
"""

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from marshmallow import EXCLUDE, Schema, ValidationError, fields, validate

from shared.events.catalogue import contract_for
from shared.events.compiled import Dumper, Loader
from shared.ids import new_event_id

EVENT_TYPE_PATTERN = r"^[a-z][a-z_]*\.[a-z][a-z_]*$"
SYSTEM_ACTOR = {"user_id": "system", "role": "system"}


class InvalidEvent(Exception):
    """A message that is not a valid event: it can never be processed, only dead-lettered."""

    def __init__(self, message: str, errors: dict | None = None):
        super().__init__(message)
        self.errors = errors or {}


class ActorSchema(Schema):
    class Meta:
        unknown = EXCLUDE

    user_id = fields.String(required=True)
    role = fields.String(required=True)
    name = fields.String(allow_none=True)


class EnvelopeSchema(Schema):
    class Meta:
        unknown = EXCLUDE

    event_id = fields.UUID(required=True)
    type = fields.String(required=True, validate=validate.Regexp(EVENT_TYPE_PATTERN))
    version = fields.Integer(required=True, validate=validate.Range(min=1))
    occurred_at = fields.AwareDateTime(required=True)
    producer = fields.String(required=True, validate=validate.Length(min=1))
    correlation_id = fields.String(required=True, validate=validate.Length(min=1, max=128))
    causation_id = fields.String(load_default=None, allow_none=True)
    actor = fields.Nested(ActorSchema, load_default=lambda: dict(SYSTEM_ACTOR))
    payload = fields.Dict(required=True)


_envelope = EnvelopeSchema()
_load_envelope, _dump_envelope = Loader(_envelope), Dumper(_envelope)


@dataclass(frozen=True)
class _Compiled:
    """An event type's contract, compiled (``shared.events.compiled``) for each use: loaded as a consumer takes it
    (unknown fields dropped), checked as its producer checks it (unknown fields refused), dumped."""

    load: Loader
    check: Loader
    dump: Dumper


_compiled: dict[str, _Compiled] = {}


def _compiled_for(event_type: str) -> _Compiled:
    found = _compiled.get(event_type)
    if found is None:
        schema = contract_for(event_type)[0]
        found = _compiled[event_type] = _Compiled(Loader(schema, EXCLUDE), Loader(schema), Dumper(schema))
    return found


@dataclass(frozen=True)
class Event:
    event_id: str
    type: str
    version: int
    occurred_at: datetime
    producer: str
    correlation_id: str
    payload: dict[str, Any]
    causation_id: str | None = None
    actor: dict[str, Any] = field(default_factory=lambda: dict(SYSTEM_ACTOR))
    # The payload as its contract dumps it, made when ``new_event`` checked it, so that ``to_message`` does not make it
    # again (nothing changes a payload once its event is made).
    wire_payload: dict[str, Any] | None = field(default=None, compare=False, repr=False)


def new_event(
    event_type: str,
    payload: dict[str, Any],
    *,
    producer: str,
    occurred_at: datetime,
    correlation_id: str,
    causation_id: str | None = None,
    actor: dict[str, Any] | None = None,
    event_id: str | None = None,
) -> Event:
    """Build an event, checking the payload against its contract (a bug if it fails); a new id unless given."""
    _, version, owner = contract_for(event_type)
    if owner != producer:
        raise ValueError(f"{producer} may not publish {event_type}; its producer is {owner}")
    compiled = _compiled_for(event_type)
    wire = compiled.dump(payload)
    errors = compiled.check.errors(wire)
    if errors:
        raise ValueError(f"payload of {event_type} breaks its contract: {errors}")
    return Event(
        event_id=event_id or new_event_id(),
        type=event_type,
        version=version,
        occurred_at=occurred_at,
        producer=producer,
        correlation_id=correlation_id,
        causation_id=causation_id,
        actor=dict(actor or SYSTEM_ACTOR),
        payload=payload,
        wire_payload=wire,
    )


def to_message(event: Event) -> dict[str, Any]:
    """The JSON-ready wire form."""
    body = _dump_envelope(
        {
            "event_id": event.event_id,
            "type": event.type,
            "version": event.version,
            "occurred_at": event.occurred_at,
            "producer": event.producer,
            "correlation_id": event.correlation_id,
            "causation_id": event.causation_id,
            "actor": event.actor,
            "payload": {},
        }
    )
    body["payload"] = (
        _compiled_for(event.type).dump(event.payload) if event.wire_payload is None else dict(event.wire_payload)
    )
    return body


def from_message(body: Any) -> Event:
    """Validate a received message, envelope and payload; unknown fields are dropped."""
    if not isinstance(body, dict):
        raise InvalidEvent("event body is not a JSON object")
    try:
        data = _load_envelope(body)
    except ValidationError as exc:
        raise InvalidEvent("invalid event envelope", exc.messages) from exc
    try:
        _, _, owner = contract_for(data["type"])
    except KeyError as exc:
        raise InvalidEvent(f"unknown event type {data['type']}") from exc
    if owner != data["producer"]:
        raise InvalidEvent(f"{data['producer']} is not the producer of {data['type']}")
    try:
        payload = _compiled_for(data["type"]).load(data["payload"])
    except ValidationError as exc:
        raise InvalidEvent(f"invalid payload for {data['type']}", exc.messages) from exc
    return Event(
        event_id=str(data["event_id"]),
        type=data["type"],
        version=data["version"],
        occurred_at=data["occurred_at"],
        producer=data["producer"],
        correlation_id=data["correlation_id"],
        causation_id=data["causation_id"],
        actor=data["actor"],
        payload=payload,
    )
