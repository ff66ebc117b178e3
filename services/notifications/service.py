"""NotificationsService: who is told what, on which channel, exactly once; and the live feed.

Events come in through the handlers of ``EVENT_HANDLERS`` (acknowledged after the writes; redeliveries
file nothing twice). Each one is filed as inbox entries and outgoing deliveries by the
recipient rules (``rules.py``), and appended to the live feed. What can go out now is
filed already claimed and sent at once by the process that filed it (``outgoing.py``);
the courier's scan claims the rest when due — retries, digests, claims whose process
died — and sends it (``courier.py``), with dead letters (``delivery.py``,
``digest.py``). The scan, and the pruning of the feed, run in one replica at a time,
each under its lease (``shared.lease``).
"""

import logging
import time

from eventlet import GreenPool

from services.notifications import courier
from services.notifications.channels import INSIDE, Senders, webhook_bytes
from services.notifications.domain import audiences, choices, digest, feed, planning, public
from services.notifications.domain.delivery import CLAIMABLE, attempt_record
from services.notifications.domain.rules import KINDS, PERSON_CHANNELS
from services.notifications.live import LivePublisher
from services.notifications.outgoing import Outgoing
from services.notifications.settings import Settings
from services.notifications.signing import new_secret, signed_headers
from services.notifications.storage import COURIER, FEED_PRUNING, Filing, NotificationStore
from shared.api.common import PageQuerySchema
from shared.api.notifications import (
    DeliveryPageSchema,
    DeliveryQuerySchema,
    DeliverySchema,
    InboxPageSchema,
    InboxQuerySchema,
    PreferencesSchema,
    PreferencesWriteSchema,
    SubscriptionListSchema,
    SubscriptionSchema,
    SubscriptionWriteSchema,
    WebhookListSchema,
    WebhookSchema,
    WebhookTestedSchema,
    WebhookWithSecretSchema,
    WebhookWriteSchema,
)
from shared.auth import case_filters, may
from shared.clock import Clock
from shared.errors import Forbidden, NotFound, Unprocessable, ValidationFailed
from shared.events import Event
from shared.events.contracts.notifications import FeedAppended
from shared.events.stages import stages as case_stages
from shared.faults import crash_if_armed
from shared.ids import FRESH, new_id
from shared.messaging import event_handlers
from shared.operable import Operable
from shared.refdata import FollowsDirectory, ReferenceData
from shared.rpc import TimedRpcProxy, rpc
from shared.timer import timer
from shared.validation import load, load_query

_log = logging.getLogger(__name__)
_inbox_query, _inbox_page = InboxQuerySchema(), InboxPageSchema()
_subscription_in, _subscription, _subscriptions = (
    SubscriptionWriteSchema(),
    SubscriptionSchema(),
    SubscriptionListSchema(),
)
_preferences_in, _preferences = PreferencesWriteSchema(), PreferencesSchema()
_webhook_in, _webhook, _webhook_secret, _webhooks = (
    WebhookWriteSchema(),
    WebhookSchema(),
    WebhookWithSecretSchema(),
    WebhookListSchema(),
)
_delivery_query, _delivery_page, _delivery = DeliveryQuerySchema(), DeliveryPageSchema(), DeliverySchema()
_page_query = PageQuerySchema()
_webhook_tested = WebhookTestedSchema()
TEST_EVENT = "webhook.test"
_feed_entry = FeedAppended()
REFERENCE_KINDS = ("categories", "departments", "users", "grid_map")


# One consumer (one queue) per case event the rules know.
#: Which event goes to which handler: the service's whole subscription, one queue per event (shared.messaging).
#: Every case event that has notification rules (rules.RULES) is planned, filed and sent by ``notify``.
EVENT_HANDLERS = {
    "cases": {
        "case.reported": "notify",
        "case.registered": "notify",
        "case.rejected": "notify",
        "case.merged": "notify",
        "case.dispatched": "notify",
        "case.accepted": "notify",
        "case.returned": "notify",
        "case.extension_requested": "notify",
        "case.extension_approved": "notify",
        "case.extension_denied": "notify",
        "case.suspended": "notify",
        "case.resumed": "notify",
        "case.supervised": "notify",
        "case.resolved": "notify",
        "case.reworked": "notify",
        "case.verified": "notify",
        "case.closed": "notify",
        "case.cancelled": "notify",
        "case.commented": "notify",
        "case.rated": "notify",
        "case.escalated": "notify",
    },
    "reporting": {
        "reporter.notice_due": "notify_public",
    },
}


class NotificationsService(Operable, FollowsDirectory, event_handlers(EVENT_HANDLERS)):
    name = "notifications"

    store = NotificationStore()
    clock = Clock()
    settings = Settings()
    channels = Senders()
    live = LivePublisher()
    outgoing = Outgoing()
    reference = ReferenceData(*REFERENCE_KINDS)
    # a public reporter's address, asked for one send with the notice's capability (notifications/domain/public.py)
    reporting = TimedRpcProxy("reporting")

    # -- from the bus ------------------------------------------------------------------
    def notify(self, event: Event) -> None:
        """File what ``event`` means for everyone the rules name, and put it in the live feed. An event that stands for
        several stages (a dispatch that also registered the case, or opened it: ``shared/events/stages.py``) is
        planned as each of them, with one read of each kind and one filing, and is an entry of the feed for each."""
        for kind in REFERENCE_KINDS:
            self.reference.require(kind)
        now, facts = self.clock.now(), event.payload
        people = audiences.people_of(self.reference)
        stages = case_stages(event)
        subscribers = self.store.subscribers(audiences.subscription_keys(facts))
        addressed = [audiences.address(stage, people, subscribers) for stage in stages]
        recipients = [a.recipient for found in addressed for a in found]
        preferences = self.store.preferences_of(list(dict.fromkeys(r.id for r in recipients if r.kind == "user")))
        webhooks = self.store.departments_with_webhooks(
            list(dict.fromkeys(r.id for r in recipients if r.kind == "department"))
        )
        chosen = [
            audiences.choose_channels(found, stage.type, preferences, webhooks)
            for stage, found in zip(stages, addressed, strict=True)
        ]
        recent = self.store.recent_counts(
            list(dict.fromkeys(k for c in chosen for k in planning.burst_keys(c))),
            since=now - self.settings.burst.window,
            cap=self.settings.burst.threshold,
        )
        plan = planning.Plan()
        for stage, stage_chosen in zip(stages, chosen, strict=True):
            part = planning.plan(
                stage,
                stage_chosen,
                messages=self.settings.messages,
                reference=self.reference,
                recent=recent,
                burst=self.settings.burst,
                now=now,
                ids=FRESH,
                shared=audiences.shared_named(stage, people),
            )
            plan.inbox += part.inbox
            plan.deliveries += part.deliveries
        claimed = self.outgoing.claim(plan.deliveries, now, self.settings.lease)
        # with the other events this process is filing now, in one set of writes (storage/filing.py)
        filed = self.store.file_event(Filing(plan.inbox, plan.deliveries, [feed.entry_for(s) for s in stages]))
        claimed = [d for d in claimed if d["_id"] in filed.stored]  # a redelivered event's were sent the first time
        if claimed:
            crash_if_armed(self.name, "before_sending")
        self.outgoing.hand_over(claimed, self._send, self.settings.lease)
        if event.type == "case.merged":
            self.store.move_followers(facts["case_id"], facts["target_case_id"], now, lambda: new_id("S"))
        # the live feed shows each stage, as its readers (the SSE API) knew them
        for stage, entry in zip(stages, filed.feed, strict=True):
            self.live.announce(feed.published(entry), stage, now)

    def notify_public(self, event: Event) -> None:
        """File a member of the public's notice, one delivery per channel, for the courier's scan to send: the scan
        runs in a worker, which can ask reporting for the address (the at-once sender runs outside any worker)."""
        self.reference.require("categories")
        self.store.file([], public.deliveries(event, self.settings.messages, self.reference, self.clock.now(), FRESH))

    def _public_address(self, delivery: dict):
        notice = delivery["notice"]
        try:
            found = self.reporting.notice_address(
                delivery["recipient"]["id"], notice["notice_id"], notice["capability"], delivery["channel"]
            )
        except NotFound:
            return None
        return found["address"], found.get("rating_token")

    # -- the courier -------------------------------------------------------------------
    @timer("DELIVERY_SCAN_SECONDS", 1.0)
    def send_due(self) -> int:
        """Gather the held messages due into digests, one per recipient and channel (at most a batch of digests),
        then claim and send what is due, earliest due first and at most a batch of each; returns how many were tried.
        In the one replica holding the courier's lease: the claims keep each message to one sender should two
        replicas ever scan at once, the lease saves the others the reads."""
        if not self.store.lease(COURIER).try_acquire():
            return 0
        s, now = self.settings, self.clock.now()
        lease_until = now + s.lease
        for held in self.store.held_due(now, s.batch):
            if len(held["ids"]) == 1:
                self.store.release(held["ids"][0], now)
            else:
                self.store.gather_digest(digest.digest_for(held, new_id, now, lease_until), held["ids"], now)
        claimed = [c for state in CLAIMABLE for c in self.store.claim_due(state, now, lease_until, s.batch)]
        for _ in GreenPool(s.concurrency).imap(self._send, claimed):
            pass
        return len(claimed)

    @timer("FEED_PRUNE_SECONDS", 60.0)
    def prune_feed(self) -> int:
        """Drop the feed's entries older than the last ``SSE_FEED_KEEP``, in the replica holding the pruning lease;
        returns how many. Streams only ask whether an entry is still kept, so the feed may run a minute over."""
        if not self.store.lease(FEED_PRUNING).try_acquire():
            return 0
        return self.store.prune_feed(self.settings.feed_keep)

    def _send(self, delivery: dict) -> None:
        try:
            target, outcome = courier.send(
                delivery, self.channels, self.store, self.settings.messages, self._public_address
            )
        except Exception as exc:  # a bug must not stop the other deliveries; the attempt says what happened
            _log.exception("delivery %s failed unexpectedly", delivery["_id"])
            target, outcome = delivery.get("target"), courier.Outcome.failed(f"{type(exc).__name__}: {exc}")
        now = self.clock.now()
        fields_ = self.settings.retry.after_attempt(delivery["tries"] + 1, outcome, now)
        if not self.store.settle(delivery, fields_, attempt_record(delivery, target, outcome, now)):
            _log.warning("delivery %s: the claim lapsed before the outcome was recorded", delivery["_id"])

    # -- the inbox -----------------------------------------------------------------------
    @rpc
    def list_inbox(self, query: dict) -> dict:
        """Your own inbox, unread first; or, with ``department``, a department's shared inbox (as before)."""
        q = load_query(_inbox_query, query)
        if q["department"] is None:
            identity = self.caller.require("notifications.read_own")
            return _inbox_page.dump(
                self.store.personal_inbox(
                    identity.user_id, q["limit"], q["cursor"], audiences.shared_inboxes_of(identity)
                )
            )
        identity = self.caller.require("notifications.read_department")
        if q["department"] != identity.department and not may(identity, "notifications.read_any_department"):
            raise Forbidden.of("inbox.other_department")
        return _inbox_page.dump(self.store.department_inbox(q["department"], q["limit"], q["cursor"]))

    @rpc
    def unread_count(self) -> dict:
        identity = self.caller.require("notifications.read_own")
        return {"unread": self.store.unread_count(identity.user_id, audiences.shared_inboxes_of(identity))}

    @rpc
    def mark_read(self, notification_id: str) -> dict:
        identity = self.caller.require("notifications.read_own")
        self.store.mark_read(
            identity.user_id, str(notification_id), self.clock.now(), audiences.shared_inboxes_of(identity)
        )
        return {"marked": 1}

    @rpc
    def mark_all_read(self) -> dict:
        identity = self.caller.require("notifications.read_own")
        return {
            "marked": self.store.mark_all_read(
                identity.user_id, self.clock.now(), audiences.shared_inboxes_of(identity)
            )
        }

    # -- subscriptions and preferences -----------------------------------------------------
    @rpc
    def list_subscriptions(self) -> dict:
        identity = self.caller.require("notifications.subscribe")
        return _subscriptions.dump({"items": self.store.subscriptions_of(identity.user_id)})

    @rpc
    def subscribe(self, body: dict) -> dict:
        """``{"created", "subscription"}``: subscribing twice to the same thing gives the one there is."""
        identity = self.caller.require("notifications.subscribe")
        b = load(_subscription_in, body)
        self.reference.require("grid_map")
        self.reference.require("categories")
        wanted = choices.subscription(
            identity.user_id, b["kind"], b["target"], self.reference, new_id, self.clock.now()
        )
        subscription, created = self.store.subscribe(wanted)
        return {"created": created, "subscription": _subscription.dump(subscription)}

    @rpc
    def unsubscribe(self, subscription_id: str) -> dict:
        identity = self.caller.require("notifications.subscribe")
        self.store.unsubscribe(identity.user_id, str(subscription_id))
        return {"deleted": subscription_id}

    @rpc
    def get_preferences(self) -> dict:
        identity = self.caller.require("notifications.read_own")
        return _preferences.dump(
            {
                "channels": self.store.preferences(identity.user_id),
                "kinds": list(KINDS),
                "available_channels": list(PERSON_CHANNELS),
            }
        )

    @rpc
    def set_preferences(self, body: dict) -> dict:
        identity = self.caller.require("notifications.read_own")
        channels = choices.preferences(load(_preferences_in, body)["channels"])
        self.store.set_preferences(identity.user_id, channels, self.clock.now())
        return self.get_preferences()

    # -- departments' webhooks -------------------------------------------------------------
    @rpc
    def list_webhooks(self) -> dict:
        self.caller.require("notifications.manage_webhooks")
        return _webhooks.dump({"items": self.store.webhooks()})

    @rpc
    def put_webhook(self, department: str, body: dict) -> dict:
        """Create or change a department's endpoint: ``{"created", "webhook"}``, a new one with its secret, shown this
        once. An address inside the
        platform's networks is refused here (422), as every send to it would be, unless ``WEBHOOK_ALLOWED_HOSTS``
        lists its host."""
        self.caller.require("notifications.manage_webhooks")
        b = load(_webhook_in, body)
        self.reference.require("departments")
        if department not in self.reference.departments:
            raise NotFound.of("department.not_found", department=department)
        refused = self.channels.webhook.refusal(b["url"])
        if refused and refused.rule == INSIDE:  # a host that does not resolve yet may later: its sends retry
            raise Unprocessable.of(
                "webhook.inside_networks",
                {"url": b["url"], "rule": "WEBHOOK_ALLOWED_HOSTS"},
                host=refused.host,
                addresses=", ".join(refused.addresses),
            )
        endpoint, created = self.store.put_webhook(str(department), b, new_secret(), self.clock.now())
        return {"created": created, "webhook": (_webhook_secret if created else _webhook).dump(endpoint)}

    @rpc
    def rotate_webhook_secret(self, department: str) -> dict:
        self.caller.require("notifications.manage_webhooks")
        return _webhook_secret.dump(self.store.set_webhook_secret(str(department), new_secret(), self.clock.now()))

    @rpc
    def test_webhook(self, department: str) -> dict:
        """Send the endpoint one signed ``webhook.test`` message now and answer what became of it. A test is tried
        once and kept nowhere: it is no notification, so it neither retries nor lands among the dead deliveries."""
        self.caller.require("notifications.manage_webhooks")
        endpoint = self.store.webhook(str(department))
        if not endpoint:
            raise NotFound.of("webhook.not_found", department=department)
        now = self.clock.now()
        test_id = new_id("T")
        body = webhook_bytes(
            {"type": TEST_EVENT, "test_id": test_id, "department": endpoint["_id"], "sent_at": now.isoformat()}
        )
        # wall time, not the platform clock, as for every webhook: the receiver checks freshness against its own
        headers = signed_headers(endpoint["secret"], body, int(time.time()), test_id, TEST_EVENT)
        outcome = self.channels.webhook.post(endpoint["url"], body, headers)
        return _webhook_tested.dump(
            {
                "department": endpoint["_id"],
                "url": endpoint["url"],
                "test_id": test_id,
                "delivered": outcome.ok,
                "error": outcome.error,
                "at": now,
            }
        )

    @rpc
    def delete_webhook(self, department: str) -> dict:
        self.caller.require("notifications.manage_webhooks")
        self.store.delete_webhook(str(department))
        return {"deleted": department}

    # -- who was told what -----------------------------------------------------------------
    @rpc
    def deliveries_for_case(self, case_id: str, query: dict) -> dict:
        self.caller.require("notifications.read_deliveries")
        q = load_query(_delivery_query, query)
        return self._deliveries("case", str(case_id), q)

    @rpc
    def deliveries_for_recipient(self, query: dict) -> dict:
        """Yours; your department's (its staff); anyone's (command centre, supervision, administrators)."""
        identity = self.caller.require("notifications.read_own")
        q = load_query(_delivery_query, query)
        recipient = q["recipient"] or f"user:{identity.user_id}"
        own = {f"user:{identity.user_id}", *([f"department:{identity.department}"] if identity.department else [])}
        if recipient not in own and not may(identity, "notifications.read_deliveries"):
            raise Forbidden.of("deliveries.not_yours")
        return self._deliveries("recipient", recipient, q)

    def _deliveries(self, by: str, value: str, q: dict) -> dict:
        return _delivery_page.dump(self.store.deliveries(by, value, q["limit"], q["cursor"]))

    @rpc
    def dead_deliveries(self, query: dict) -> dict:
        self.caller.require("operations.manage")
        q = load_query(_page_query, query)
        return _delivery_page.dump(self.store.dead(q["limit"], q["cursor"]))

    @rpc
    def replay_delivery(self, delivery_id: str) -> dict:
        self.caller.require("operations.manage")
        return _delivery.dump(self.store.replay(str(delivery_id), self.clock.now()))

    # -- the live feed -------------------------------------------------------------------
    @rpc
    def open_stream(self, last_event_id) -> dict:
        """What a stream starts with: the entries the caller may see after ``last_event_id``, the feed's head,
        and whether the client must reload instead (``reset``: what it missed is no longer kept, or too much)."""
        identity = self.caller.require("notifications.stream")
        head, reset, backlog = self.store.feed_head(), False, []
        visible = case_filters(identity)
        if last_event_id not in (None, ""):
            try:
                after = int(last_event_id)
            except (TypeError, ValueError):
                raise ValidationFailed.from_messages({"Last-Event-ID": ["Not an id this stream gave out."]}) from None
            limit = self.settings.backlog_limit
            if after > head or (after < head and not self.store.feed_holds(after + 1)):  # pruned meanwhile
                reset = True
            elif visible:
                backlog = self.store.feed_after(after, limit + 1, visible)
                reset, backlog = (True, []) if len(backlog) > limit else (False, backlog)
        return {
            "head": head,
            "reset": reset,
            "entries": [_feed_entry.dump(feed.published(e)) for e in backlog],
            "identity": {
                "user_id": identity.user_id,
                "roles": sorted(identity.roles),
                "grids": sorted(identity.grids),
                "department": identity.department,
            },
        }

    @rpc
    def feed_after(self, after: int, limit: int = 500) -> list[dict]:
        """Feed entries after ``after``, unfiltered: for gateways filling a gap (no person; the bus is the
        trust boundary, as for the events themselves)."""
        entries = self.store.feed_after(int(after), min(max(int(limit), 1), 1000))
        return [_feed_entry.dump(feed.published(e)) for e in entries]
