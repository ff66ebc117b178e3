"""Retries with back-off and jitter, the burst rule, and webhook signatures."""

import hashlib
import hmac
from datetime import UTC, datetime, timedelta

from services.notifications import courier, signing
from services.notifications.domain.delivery import Outcome, RetryPolicy, attempt_record
from services.notifications.domain.digest import LISTED, BurstRule, digest_for, is_urgent
from services.notifications.domain.messages import Messages
from shared.ids import new_id

NOW = datetime(2026, 11, 23, 9, 0, 30, tzinfo=UTC)
POLICY = RetryPolicy(max_attempts=4, base_seconds=10, max_seconds=60)


def test_back_off_doubles_per_attempt_up_to_the_ceiling_with_jitter_in_the_upper_half():
    low = [POLICY.delay(n, rand=lambda: 0).total_seconds() for n in range(1, 6)]
    high = [POLICY.delay(n, rand=lambda: 1).total_seconds() for n in range(1, 6)]
    assert low == [5, 10, 20, 30, 30]
    assert high == [10, 20, 40, 60, 60]


def test_a_failed_attempt_is_due_again_later_until_the_last_one_dead_letters_it():
    retry = POLICY.after_attempt(1, Outcome.failed("HTTP 500"), NOW, rand=lambda: 0.5)
    assert retry == {"state": "pending", "due_at": NOW + timedelta(seconds=7.5)}
    assert POLICY.after_attempt(4, Outcome.failed("HTTP 500"), NOW)["state"] == "dead"


def test_success_delivers_and_an_impossible_send_is_skipped_not_retried():
    assert POLICY.after_attempt(1, Outcome(True), NOW)["state"] == "delivered"
    assert POLICY.after_attempt(1, Outcome.impossible("no endpoint"), NOW)["state"] == "skipped"


def test_a_send_the_platform_refuses_is_dead_at_once_where_an_administrator_sees_and_replays_it():
    refused = Outcome.refused_by_rule("refused: localhost resolves to 127.0.0.1")
    assert POLICY.after_attempt(1, refused, NOW) == {"state": "dead", "dead_at": NOW, "due_at": NOW}
    record = attempt_record({"channel": "webhook"}, "http://localhost/hook", refused, NOW)
    assert record["outcome"] == "refused" and record["error"].startswith("refused: localhost")


def test_the_burst_rule_holds_messages_beyond_the_threshold_until_the_window_ends():
    rule = BurstRule(threshold=5, window=timedelta(seconds=60))
    assert rule.hold_until(4, urgent=False, now=NOW) is None
    assert rule.hold_until(5, urgent=False, now=NOW) == datetime(2026, 11, 23, 9, 1, tzinfo=UTC)
    assert rule.hold_until(500, urgent=True, now=NOW) is None


def test_each_recipients_window_ends_at_its_own_moment_so_digests_do_not_all_fall_due_at_once():
    rule = BurstRule(threshold=5, window=timedelta(minutes=1))
    keys = [f"user:u{i}/email" for i in range(200)]
    ends = {key: rule.hold_until(9, urgent=False, now=NOW, key=key) for key in keys}
    assert all(NOW < end <= NOW + timedelta(minutes=1) for end in ends.values())
    assert len({end.second for end in ends.values()}) > 40  # spread over the minute
    for key, end in list(ends.items())[:20]:  # the same window for every message until it ends, then the next
        assert rule.hold_until(9, urgent=False, now=end - timedelta(milliseconds=1), key=key) == end
        assert rule.hold_until(9, urgent=False, now=end, key=key) == end + timedelta(minutes=1)
        assert rule.hold_until(9, urgent=False, now=NOW, key=key) == end  # the same in any process


def test_urgency_comes_from_the_case_or_its_category():
    categories = {"fire": {"priority": "urgent"}, "litter": {"priority": "low"}}
    assert is_urgent({"category": "fire", "priority": "normal"}, categories)
    assert is_urgent({"category": "litter", "priority": "urgent"}, categories)
    assert not is_urgent({"category": "litter", "priority": "normal"}, categories)


def test_a_digest_is_addressed_as_the_messages_it_gathers():
    held = {
        "recipient": {"kind": "user", "id": "a"},
        "recipient_key": "user:a",
        "channel": "email",
        "target": "a@x",
        "language": "en",
        "ids": ["D1", "D2"],
    }
    digest = digest_for(held, new_id, NOW, NOW + timedelta(minutes=2))
    assert digest["state"] == "assembling" and digest["digest"] and digest["due_at"] == NOW + timedelta(minutes=2)
    assert {k: digest[k] for k in ("recipient", "recipient_key", "channel", "target", "language")} == {
        k: held[k] for k in ("recipient", "recipient_key", "channel", "target", "language")
    }
    assert "ids" not in digest  # its members name it (digest_id), not the other way round


class _Digests:
    """The store as the courier reads a digest: three members listed, ``size`` in all."""

    def __init__(self, size):
        self.size, self.asked = size, []

    def digest_members(self, digest_id, limit):
        self.asked.append(limit)
        return [{"message": {"subject": f"New case C{i}"}, "case_id": f"C{i}"} for i in range(3)]

    def digest_size(self, digest_id):
        return self.size


class _Email:
    def __init__(self):
        self.sent = []

    def send(self, target, message, headers):
        self.sent.append(message)
        return Outcome(True)


def _send_digest(digest, store):
    email = _Email()
    channels = type("Channels", (), {"email": email})()
    courier.send(digest, channels, store, Messages("https://grid.example.cn"))
    return email.sent[0]


def test_a_digest_lists_its_first_members_and_counts_them_all():
    held = {"recipient": {"kind": "user", "id": "a"}, "recipient_key": "user:a", "channel": "email"}
    digest = {**digest_for({**held, "target": "a@x", "language": "en"}, new_id, NOW, NOW), "members": 40}
    store = _Digests(size=None)  # the count the gatherer kept is the one told
    assert _send_digest(digest, store)["subject"] == "40 new notifications" and store.asked == [LISTED]
    # a digest whose gatherer died before it counted its members: counted when it is sent
    orphan = {k: v for k, v in digest.items() if k != "members"}
    assert _send_digest(orphan, _Digests(size=17))["subject"] == "17 new notifications"


def test_a_receiver_verifies_the_signature_and_refuses_tampering_and_replays():
    secret, body, ts = signing.new_secret(), b'{"case":"C1"}', 1_800_000_000
    headers = signing.signed_headers(secret, body, ts, "D1", "case.dispatched")
    signed = headers[signing.SIGNATURE_HEADER]
    expected = hmac.new(secret.encode(), f"{ts}.".encode() + body, hashlib.sha256).hexdigest()
    assert signed == f"sha256={expected}"
    assert signing.verify(secret, body, headers[signing.TIMESTAMP_HEADER], signed, now=ts + 10)
    assert not signing.verify(secret, body + b" ", str(ts), signed, now=ts)
    assert not signing.verify("whsec_other", body, str(ts), signed, now=ts)
    assert not signing.verify(secret, body, str(ts), signed, now=ts + 301)  # replayed later
    assert not signing.verify(secret, body, "yesterday", signed, now=ts)
