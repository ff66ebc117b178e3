"""Notices to members of the public (``reporter.notice_due``): filed like any delivery, sent without an address.

The reporting service keeps the reporter's contact details; the notice names the
report, the channels and the language. A delivery here carries no address
(``target`` stays empty, in every attempt too): when it is sent, the courier asks
reporting for the address with the notice's capability (``address_for``), uses it
for that one send and forgets it. Once reporting has let the contact go (the
retention sweep), the delivery is skipped with the reason. Pure: no I/O.
"""

from dataclasses import asdict

from services.notifications.domain import planning
from services.notifications.domain.audiences import Recipient
from services.notifications.domain.messages import RATING_LINK_MARK, Messages
from shared.events import Event
from shared.ids import Ids

PUBLIC = "public"  # the recipient kind: a report's reporter, known here only by the report's id


def deliveries(event: Event, messages: Messages, reference, now, ids: Ids) -> list[dict]:
    """One pending delivery per channel the reporter can be reached on."""
    notice = event.payload
    message = asdict(messages.render_public(notice, reference))
    found = []
    recipient = Recipient(PUBLIC, notice["report_id"], notice["language"])
    for channel in notice["channels"]:
        doc = planning.delivery(event, recipient, channel, False, now, ids)
        # what the notice is about names it in lists; no target: the address is asked for when it is sent
        doc.update(
            event_type=notice["about"],
            target=None,
            message=message,
            notice={"notice_id": notice["notice_id"], "capability": notice["capability"]},
        )
        found.append(doc)
    return found


def with_rating_link(message: dict, link: str | None) -> dict:
    """The message as sent: the rating link in place of its mark (or the mark's sentence gone without one)."""
    return {
        key: (value.replace(RATING_LINK_MARK, link or "—") if isinstance(value, str) else value)
        for key, value in message.items()
    }
