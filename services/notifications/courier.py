"""Sending one claimed delivery through its channel: (target, outcome). Never raises for a failed send."""

import time
from dataclasses import asdict

from services.notifications.channels import Channels, webhook_bytes
from services.notifications.domain import digest, public, rules
from services.notifications.domain.delivery import Outcome
from services.notifications.domain.messages import Messages
from services.notifications.signing import signed_headers


def send(delivery: dict, channels: Channels, store, messages: Messages, address_for=None) -> tuple[str | None, Outcome]:
    """``address_for(delivery)``: for a notice to the public, ``(address, rating token or None)`` from the reporting
    service, or None once it keeps no address for it."""
    channel = delivery["channel"]
    if channel == rules.WEBHOOK:
        return _webhook(delivery, channels, store)
    if delivery["recipient"]["kind"] == public.PUBLIC:
        return None, _to_the_public(delivery, channels, messages, address_for)
    message = delivery.get("message")
    if delivery.get("digest"):
        items = [
            {"subject": m["message"]["subject"], "link": messages.case_link(m["case_id"])}
            for m in store.digest_members(delivery["_id"], digest.LISTED)
        ]
        if not items:
            return delivery["target"], Outcome.impossible("the digest gathered nothing")
        count = delivery.get("members")
        if count is None:  # its gatherer died before it counted them: it goes with what it got
            count = store.digest_size(delivery["_id"])
        message = asdict(messages.digest(items, delivery["language"], count=count))
    target = delivery["target"]
    if channel == rules.EMAIL:
        headers = {"X-Civicgrid-Delivery": delivery["_id"], "Content-Language": delivery["language"]}
        return target, channels.email.send(target, message, headers)
    return target, channels.sms.send(target, message["sms"], delivery["_id"])


def _webhook(delivery: dict, channels: Channels, store) -> tuple[str | None, Outcome]:
    endpoint = store.webhook(delivery["recipient"]["id"])
    if not endpoint or not endpoint.get("active", True):
        return None, Outcome.impossible("the department has no active webhook endpoint")
    body = webhook_bytes(delivery["body"])
    # wall time, not the platform clock: the receiver checks freshness against its own clock
    headers = signed_headers(endpoint["secret"], body, int(time.time()), delivery["_id"], delivery["event_type"])
    return endpoint["url"], channels.webhook.post(endpoint["url"], body, headers)


def _to_the_public(delivery: dict, channels: Channels, messages: Messages, address_for) -> Outcome:
    """Sent to an address asked for now and forgotten after: the attempt records no target."""
    found = address_for(delivery)
    if found is None:
        return Outcome.impossible("the reporter's contact details are no longer kept")
    address, token = found
    message = public.with_rating_link(
        delivery["message"], messages.rating_link(token, delivery["language"]) if token else None
    )
    if delivery["channel"] == rules.EMAIL:
        headers = {"X-Civicgrid-Delivery": delivery["_id"], "Content-Language": delivery["language"]}
        return channels.email.send(address, message, headers)
    return channels.sms.send(address, message["sms"], delivery["_id"])
