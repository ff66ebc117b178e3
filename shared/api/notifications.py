"""Notifications (owned by the notifications service): inboxes, subscriptions, channel
preferences, departments' webhooks, deliveries and their attempts."""

from marshmallow import Schema, fields, validate

from shared.api.common import PageQuerySchema, code_field, identifier, page_of


def _texts():
    return fields.Dict(keys=fields.String(), values=fields.String(), metadata={"description": "By language."})


class InboxQuerySchema(PageQuerySchema):
    department = code_field(
        load_default=None, allow_none=True, metadata={"description": "A department's shared inbox instead of your own."}
    )


class InboxEntrySchema(Schema):
    notification_id = fields.String(attribute="_id")
    kind = fields.String(metadata={"description": "The event type."})
    case_id = fields.String()
    department = fields.String()
    title = _texts()
    body = _texts()
    link = fields.String()
    priority = fields.String()
    deadline = fields.AwareDateTime(allow_none=True)
    created_at = fields.AwareDateTime()
    read = fields.Boolean()
    read_at = fields.AwareDateTime(allow_none=True)
    correlation_id = fields.String()


InboxPageSchema = page_of(InboxEntrySchema, "InboxPageSchema")


class UnreadCountSchema(Schema):
    unread = fields.Integer()


class MarkedReadSchema(Schema):
    marked = fields.Integer()


class SubscriptionWriteSchema(Schema):
    kind = fields.String(
        required=True,
        validate=validate.OneOf(("case", "grid", "community", "street", "category")),
        metadata={"description": "Follow one case, or watch a grid, community, street or category."},
    )
    target = identifier(required=True, metadata={"description": "The case id or the code watched."})


class SubscriptionSchema(Schema):
    subscription_id = fields.String(attribute="_id")
    kind = fields.String()
    target = fields.String()
    created_at = fields.AwareDateTime()


class SubscriptionListSchema(Schema):
    items = fields.List(fields.Nested(SubscriptionSchema))


class PreferencesWriteSchema(Schema):
    channels = fields.Dict(
        keys=fields.String(),
        values=fields.List(fields.String()),
        required=True,
        metadata={
            "description": "Kind of notification (an event type) → channels (`inbox`, `email`, `sms`); "
            "a kind left out keeps its default; an empty list silences it."
        },
    )


class PreferencesSchema(PreferencesWriteSchema):
    kinds = fields.List(fields.String(), metadata={"description": "Every kind of notification."})
    available_channels = fields.List(fields.String())


class WebhookWriteSchema(Schema):
    url = fields.Url(required=True, schemes={"http", "https"}, require_tld=False, validate=validate.Length(max=2000))
    active = fields.Boolean(load_default=True)
    description = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=200))


class WebhookSchema(Schema):
    department = fields.String(attribute="_id")
    url = fields.String()
    active = fields.Boolean()
    description = fields.String(allow_none=True)
    secret_hint = fields.Method("_hint", metadata={"description": "The secret's last four characters."})
    created_at = fields.AwareDateTime()
    updated_at = fields.AwareDateTime()

    def _hint(self, doc):
        hint = doc.get("secret_hint") or doc.get("secret", "")[-4:]  # a secret from before hints were kept
        return "…" + hint


class WebhookWithSecretSchema(WebhookSchema):
    secret = fields.String(metadata={"description": "Shown once, when made or rotated: keep it."})


class WebhookTestedSchema(Schema):
    """What became of a test message (event `webhook.test`), sent once, signed like every message, kept nowhere."""

    department = fields.String(required=True)
    url = fields.String(required=True)
    test_id = fields.String(required=True, metadata={"description": "Its `X-Civicgrid-Delivery` header."})
    delivered = fields.Boolean(required=True, metadata={"description": "The endpoint answered 2xx."})
    error = fields.String(allow_none=True, metadata={"description": "Why not, when not."})
    at = fields.AwareDateTime(required=True)


class WebhookListSchema(Schema):
    items = fields.List(fields.Nested(WebhookSchema))


class AttemptSchema(Schema):
    at = fields.AwareDateTime()
    channel = fields.String()
    target = fields.String(allow_none=True)
    outcome = fields.String(metadata={"description": "`delivered`, `failed` or `skipped`."})
    error = fields.String(allow_none=True)


class DeliverySchema(Schema):
    delivery_id = fields.String(attribute="_id")
    event_id = fields.String(allow_none=True)
    event_type = fields.String()
    case_id = fields.String(allow_none=True)
    recipient = fields.Dict()
    channel = fields.String()
    target = fields.String(allow_none=True)
    subject = fields.Function(lambda d: (d.get("message") or {}).get("subject"), allow_none=True)
    state = fields.String(metadata={"description": "pending, sending, delivered, held, digested, skipped, dead."})
    tries = fields.Integer()
    due_at = fields.AwareDateTime()
    created_at = fields.AwareDateTime()
    delivered_at = fields.AwareDateTime(allow_none=True)
    dead_at = fields.AwareDateTime(allow_none=True)
    replayed_at = fields.AwareDateTime(allow_none=True)
    digest_id = fields.String(allow_none=True, metadata={"description": "Sent as part of this digest."})
    error = fields.String(allow_none=True)
    attempts = fields.List(fields.Nested(AttemptSchema))


class DeliveryQuerySchema(PageQuerySchema):
    recipient = fields.String(
        load_default=None,
        allow_none=True,
        validate=validate.Regexp(r"^(user|department):.+$"),
        metadata={"description": "`user:<id>` or `department:<code>`; yourself if left out."},
    )


DeliveryPageSchema = page_of(DeliverySchema, "DeliveryPageSchema")
