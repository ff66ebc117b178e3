"""Events produced by the notifications service."""

from marshmallow import Schema, fields

from shared.events.catalogue import contract
from shared.events.contracts.cases import CaseFacts


class FeedEntry(Schema):
    """A case event in the live feed, under ``seq`` (gap-free, increasing)."""

    seq = fields.Integer(required=True)
    event_id = fields.String(required=True)
    event_type = fields.String(required=True)
    occurred_at = fields.AwareDateTime(required=True)
    case = fields.Nested(CaseFacts, required=True)


@contract("feed.appended", producer="notifications")
class FeedAppended(FeedEntry):
    """Case events took their place in the live feed: the newest at the top level, the others of the same moment
    in ``earlier`` (one announcement for all of them).

    Gateways push them to open streams. Published without an outbox: the feed in the
    notifications store is the record, and a gateway that misses one — or reads only
    the top-level entry — fills the gap from there (``docs/notifications.md``).
    """

    earlier = fields.List(fields.Nested(FeedEntry), load_default=list)
