"""Events produced by the notifications service."""

from marshmallow import Schema, fields

from shared.events.catalogue import contract
from shared.events.contracts.cases import CaseFacts


@contract("feed.appended", producer="notifications")
class FeedAppended(Schema):
    """A case event took its place in the live feed, under ``seq`` (gap-free, increasing).

    Gateways push it to open streams. Published without an outbox: the feed in the
    notifications store is the record, and a gateway that misses one fills the gap
    from there (``docs/notifications.md``).
    """

    seq = fields.Integer(required=True)
    event_id = fields.String(required=True)
    event_type = fields.String(required=True)
    occurred_at = fields.AwareDateTime(required=True)
    case = fields.Nested(CaseFacts, required=True)
