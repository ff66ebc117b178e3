"""From recipients and channels to what gets stored: inbox entries and outgoing deliveries. Pure.

Every document carries ``dedup_key = event × recipient × channel`` under a unique
index, so a redelivered event files nothing twice. Messages are rendered here, once,
in the recipient's language; a webhook's JSON body is built here and signed when sent.
The ids are passed in (``shared.ids.Ids``): a plan follows from its input alone.
"""

from dataclasses import asdict, dataclass, field

from services.notifications.domain import rules
from services.notifications.domain.audiences import Addressed, Recipient, Shared, shared_owner
from services.notifications.domain.delivery import DELIVERY_PREFIX, HELD, INBOX_PREFIX, PENDING, SKIPPED
from services.notifications.domain.digest import BurstRule, is_urgent
from services.notifications.domain.messages import Messages
from shared.events import Event, to_message
from shared.ids import Ids

_ROLE = {rules.DEPARTMENT: "lead", rules.ASSISTING: "assisting"}


@dataclass
class Plan:
    inbox: list[dict] = field(default_factory=list)
    deliveries: list[dict] = field(default_factory=list)


def dedup_key(event: Event, recipient: Recipient, channel: str) -> str:
    return f"{event.event_id}:{recipient.key}:{channel}"


def burst_keys(chosen: list[Addressed]) -> list[tuple[str, str]]:
    """The (recipient, channel) pairs whose recent traffic decides whether to hold a message."""
    return [
        (a.recipient.key, c)
        for a in chosen
        if a.recipient.kind == "user"
        for c in sorted(a.channels & {rules.EMAIL, rules.SMS})
    ]


def plan(
    event: Event,
    chosen: list[Addressed],
    *,
    messages: Messages,
    reference,
    recent: dict,
    burst: BurstRule,
    now,
    ids: Ids,
    shared: list[Shared] = (),
) -> Plan:
    """``recent``: (recipient key, channel) -> messages made for it within the burst window. ``shared``: the shared
    inboxes the event names as a whole (``audiences.shared_named``): a member told only as one of them, in their
    inbox, is told by the one entry of that inbox, filed once for all its members (docs/notifications.md, "Shared
    inboxes"); their e-mail and SMS are still their own."""
    result = Plan()
    urgent = is_urgent(event.payload, reference.categories)
    wire_payload = to_message(event)["payload"]
    # What a message says depends on the event, the reader's language and, where its template asks, why they are
    # told: the department's handlers e-mailed of a dispatch read the same message, rendered once per language.
    titles, rendered = {}, {}
    by_audience = messages.reads_audiences(event.type)

    def said_to(audiences) -> frozenset:
        return frozenset(audiences) if by_audience else frozenset()

    def titles_for(audiences):
        key = said_to(audiences)
        if key not in titles:
            titles[key] = messages.titles(event, reference, audiences)
        return titles[key]

    def render(language, audiences):
        key = (language, said_to(audiences))
        if key not in rendered:
            rendered[key] = asdict(messages.render(event, language, reference, audiences))
        return dict(rendered[key])

    told_shared: dict[str, set[str]] = {s.audience: set() for s in shared}
    for entry in chosen:
        r = entry.recipient
        via = next((s for s in shared if r.kind == "user" and r.id in s.members and entry.audiences == s.via), None)
        if rules.INBOX in entry.channels and via is not None:
            told_shared[via.audience].add(r.id)
        elif rules.INBOX in entry.channels:
            result.inbox.append(_inbox_entry(event, entry, messages, titles_for(entry.audiences), now, ids))
        for channel in sorted(entry.channels & rules.OUTGOING):
            doc = delivery(event, r, channel, urgent, now, ids)
            if channel == rules.WEBHOOK:
                doc["body"] = _webhook_body(event, doc, wire_payload, messages, reference)
                doc["target"] = None  # the department's endpoint, looked up when sent
            else:
                doc["message"] = render(r.language, entry.audiences)
                doc["target"] = r.email if channel == rules.EMAIL else r.phone
                if not doc["target"]:
                    doc.update(state=SKIPPED, error=f"no {'e-mail address' if channel == rules.EMAIL else 'phone'}")
                else:
                    held = burst.hold_until(recent.get((r.key, channel), 0), urgent, now, f"{r.key}/{channel}")
                    if held is not None:
                        doc.update(state=HELD, due_at=held)
            result.deliveries.append(doc)
    for s in shared:
        if told_shared[s.audience]:
            # the members not told by it when it was filed (the actor, those with an entry of their own, those who
            # silenced this kind in their inbox) never see it; members who join later do
            not_for = sorted(s.members - told_shared[s.audience])
            result.inbox.append(_shared_entry(event, s, not_for, messages, titles_for(s.via), now, ids))
    return result


def _inbox_entry(event: Event, entry: Addressed, messages: Messages, titles: tuple[dict, dict], now, ids: Ids) -> dict:
    r = entry.recipient
    doc = {
        "_id": ids.new(INBOX_PREFIX),
        "dedup_key": dedup_key(event, r, rules.INBOX),
        "recipient": {"kind": r.kind, "id": r.id},
        **_what_it_says(event, messages, titles, now),
        "read": False,
        "read_at": None,
    }
    if r.kind == "user":
        doc["user_id"] = r.id
    else:
        # the department's shared inbox (``?department=``): lead or assisting
        doc["department"] = r.id
        doc["role"] = next((_ROLE[a] for a in (rules.DEPARTMENT, rules.ASSISTING) if a in entry.audiences), "lead")
    return doc


def _shared_entry(event: Event, s: Shared, not_for, messages: Messages, titles, now, ids: Ids) -> dict:
    """The one entry of a shared inbox for ``event``: read or unread per person (storage/inbox.py)."""
    return {
        "_id": ids.new(INBOX_PREFIX),
        "dedup_key": f"{event.event_id}:audience:{s.audience}:{rules.INBOX}",
        "recipient": {"kind": "audience", "id": s.audience},
        "audience": s.audience,
        "user_id": shared_owner(s.audience),  # never read, never marked: each reader's marks say (storage/inbox.py)
        "read": False,
        "not_for": list(not_for),
        **_what_it_says(event, messages, titles, now),
    }


def _what_it_says(event: Event, messages: Messages, titles: tuple[dict, dict], now) -> dict:
    """What an inbox entry of ``event`` says, whoever's inbox it is in."""
    p = event.payload
    title, body = titles
    return {
        "kind": event.type,
        "case_id": p["case_id"],
        "title": title,
        "body": body,
        "link": messages.case_link(p["case_id"]),
        "priority": p["priority"],
        "deadline": p.get("deadline"),
        "created_at": now,
        "correlation_id": event.correlation_id,
        "event_occurred_at": event.occurred_at,
    }


def delivery(event: Event, r: Recipient, channel: str, urgent: bool, now, ids: Ids) -> dict:
    """An outgoing delivery, pending from ``now``, before its message and target are added."""
    return {
        "_id": ids.new(DELIVERY_PREFIX),
        "dedup_key": dedup_key(event, r, channel),
        "event_id": event.event_id,
        "event_type": event.type,
        "case_id": event.payload["case_id"],
        "recipient": {"kind": r.kind, "id": r.id},
        "recipient_key": r.key,
        "channel": channel,
        "language": r.language,
        "urgent": urgent,
        "state": PENDING,
        "due_at": now,
        "created_at": now,
        "tries": 0,
        "attempts": [],
        "correlation_id": event.correlation_id,
    }


def _webhook_body(event: Event, doc: dict, wire_payload: dict, messages: Messages, reference) -> dict:
    subjects, _ = messages.titles(event, reference, {rules.DEPARTMENT})
    return {
        "delivery_id": doc["_id"],
        "event_id": event.event_id,
        "event_type": event.type,
        "occurred_at": event.occurred_at.isoformat(),
        "department": doc["recipient"]["id"],
        "case": wire_payload,
        "link": messages.case_link(event.payload["case_id"]),
        "message": subjects,
    }
