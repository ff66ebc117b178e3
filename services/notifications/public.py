"""Notices to members of the public (``reporter.notice_due``): filed like any delivery, sent without an address.

The reporting service keeps the reporter's contact details; the notice names the
report, the channels and the language. A delivery here carries no address
(``target`` stays empty, in every attempt too): when it is sent, the courier asks
reporting for the address with the notice's capability (``address_for``), uses it
for that one send and forgets it. Once reporting has let the contact go (the
retention sweep), the delivery is skipped with the reason. Pure: no I/O.
"""

from dataclasses import asdict

from services.notifications.delivery import DELIVERY_PREFIX, PENDING
from services.notifications.messages import RATING_LINK_MARK, Messages
from shared.events import Event
from shared.ids import new_id

PUBLIC = "public"  # the recipient kind: a report's reporter, known here only by the report's id


def deliveries(event: Event, messages: Messages, reference, now) -> list[dict]:
    """One pending delivery per channel the reporter can be reached on."""
    notice = event.payload
    message = asdict(messages.render_public(notice, reference))
    found = []
    for channel in notice["channels"]:
        found.append({
            "_id": new_id(DELIVERY_PREFIX),
            "dedup_key": f"{event.event_id}:{PUBLIC}:{notice['report_id']}:{channel}",
            "event_id": event.event_id,
            "event_type": notice["about"],
            "case_id": notice["case_id"],
            "recipient": {"kind": PUBLIC, "id": notice["report_id"]},
            "recipient_key": f"{PUBLIC}:{notice['report_id']}",
            "channel": channel,
            "language": notice["language"],
            "urgent": False,
            "state": PENDING,
            "due_at": now,
            "created_at": now,
            "tries": 0,
            "attempts": [],
            "correlation_id": event.correlation_id,
            "target": None,
            "message": message,
            "notice": {"notice_id": notice["notice_id"], "capability": notice["capability"]},
        })
    return found


def with_rating_link(message: dict, link: str | None) -> dict:
    """The message as sent: the rating link in place of its mark (or the mark's sentence gone without one)."""
    return {key: (value.replace(RATING_LINK_MARK, link or "—") if isinstance(value, str) else value)
            for key, value in message.items()}
