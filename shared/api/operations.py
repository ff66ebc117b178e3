"""Answers about the platform itself (owned by the gateway and every service's operations RPC):
health, readiness, dead letters, metrics, workload."""

from marshmallow import Schema, fields


class HealthSchema(Schema):
    status = fields.String(required=True, metadata={"description": "Always `ok`."})


class ReadinessSchema(Schema):
    status = fields.String(required=True, metadata={"description": "`ready` or `not ready` (then 503)."})
    checks = fields.Dict(
        keys=fields.String(),
        values=fields.Boolean(),
        required=True,
        metadata={"description": "`bus` and each service: reachable with its store."},
    )
    reference = fields.Dict(
        keys=fields.String(),
        values=fields.Dict(keys=fields.String(), values=fields.Integer()),
        required=True,
        metadata={"description": "Per service, the revision of each kind of directory data it holds (0: none yet)."},
    )
    reference_complete = fields.Boolean(required=True)


class DeadLetterSchema(Schema):
    message_id = fields.String(allow_none=True)
    queue = fields.String(allow_none=True, metadata={"description": "The queue it failed in."})
    error = fields.String(allow_none=True)
    failed_at = fields.String(allow_none=True)
    attempts = fields.Integer(allow_none=True)
    event_type = fields.String(allow_none=True)
    event_id = fields.String(allow_none=True)
    body = fields.Raw(metadata={"description": "The message as it was sent."})


class DeadLettersSchema(Schema):
    items = fields.Dict(
        keys=fields.String(),
        values=fields.List(fields.Nested(DeadLetterSchema)),
        metadata={"description": "Per service, its dead letters (at most 100)."},
    )


class DeadLetterReplayedSchema(Schema):
    replayed = fields.String(required=True, metadata={"description": "The message id."})
    queue = fields.String(required=True)


class MetricsSchema(Schema):
    items = fields.Dict(
        keys=fields.String(),
        values=fields.List(fields.Dict()),
        metadata={"description": "Per service, its samples (see docs/benchmarks.md)."},
    )


WORKLOAD = {
    "type": "object",
    "additionalProperties": {"type": "integer"},
    "description": "Department code → cases dispatched to it or signed for, not yet resolved.",
}
