"""The notifications' store: ``services.notifications.storage.NotificationRepository`` and
``tests.service.fakes.FakeNotifications``."""

from datetime import timedelta

import pytest

from services.notifications.domain.delivery import DELIVERY_PREFIX, INBOX_PREFIX
from services.notifications.domain.feed import entry_for
from services.notifications.secretbox import box_from_config
from services.notifications.storage import NotificationRepository, NotificationStore
from shared.errors import NotFound, ValidationFailed
from shared.ids import new_id
from tests.service.fakes import FakeNotifications
from tests.support.samples import NOW, sample_event


@pytest.fixture
def store(backend, database, webhook_secrets_key):
    if backend == "fake":
        return FakeNotifications()
    repository = NotificationRepository(database("notifications", NotificationStore), None)
    repository.secrets = box_from_config({"WEBHOOK_SECRETS_KEY_FILE": webhook_secrets_key})
    return repository


_LAST: dict[str, str] = {}


def later_id(prefix: str) -> str:
    """A new id after every one made before here: ids made within a millisecond are in no order."""
    made = new_id(prefix)
    while made <= _LAST.get(prefix, ""):
        made = new_id(prefix)
    _LAST[prefix] = made
    return made


def entry(key, **fields):
    return {"_id": later_id(INBOX_PREFIX), "dedup_key": key, "read": False, "created_at": NOW, **fields}


def delivery(key, recipient="user:u1", channel="email", case_id="C1", created_at=NOW):
    return {
        "_id": later_id(DELIVERY_PREFIX),
        "dedup_key": key,
        "recipient_key": recipient,
        "channel": channel,
        "case_id": case_id,
        "state": "pending",
        "due_at": created_at,
        "created_at": created_at,
        "body": "the body",
        "message": {"subject": "s", "html": "<p>h</p>"},
    }


def ids(docs):
    return [d["_id"] for d in docs]


def test_what_an_event_produced_is_filed_once_and_a_redelivery_stores_nothing_new(store):
    inbox, deliveries = [entry("e1:u1", user_id="u1")], [delivery("e1:u1:email")]
    assert ids(store.file(inbox, deliveries)) == ids(deliveries)
    again = [delivery("e1:u1:email"), delivery("e1:u2:email", recipient="user:u2")]
    assert ids(store.file([entry("e1:u1", user_id="u1")], again)) == ids(again[1:])
    assert ids(store.personal_inbox("u1", 10, None)["items"]) == ids(inbox)


def test_a_personal_inbox_shows_unread_first_newest_first_a_page_at_a_time(store):
    made = [entry(f"e{i}", user_id="u1", read=i in (1, 3)) for i in range(5)]
    store.file(made, [])
    store.file([entry("other", user_id="u2")], [])
    first = store.personal_inbox("u1", 2, None)
    assert ids(first["items"]) == ids([made[4], made[2]]) and first["next"]
    second = store.personal_inbox("u1", 2, first["next"])
    assert ids(second["items"]) == ids([made[0], made[3]]) and second["next"]
    last = store.personal_inbox("u1", 2, second["next"])
    assert ids(last["items"]) == ids([made[1]]) and last["next"] is None


def test_a_departments_inbox_is_newest_first_a_page_at_a_time(store):
    made = [entry(f"e{i}", department="sanitation") for i in range(3)]
    store.file([*made, entry("other", department="municipal")], [])
    first = store.department_inbox("sanitation", 2, None)
    assert ids(first["items"]) == ids([made[2], made[1]]) and first["next"]
    last = store.department_inbox("sanitation", 5, first["next"])
    assert ids(last["items"]) == ids([made[0]]) and last["next"] is None


CENTRE = ("command_centre",)  # what an operator reads besides their own (audiences.shared_inboxes_of)


def centre_entry(key, not_for=()):
    """The command centre's one entry for an event (planning._shared_entry): read or unread per person."""
    return {
        "_id": later_id(INBOX_PREFIX),
        "dedup_key": key,
        "audience": "command_centre",
        "user_id": "@command_centre",
        "read": False,
        "not_for": list(not_for),
        "created_at": NOW,
    }


def read_state(store, user_id, shared=CENTRE):
    return [(e["_id"], e["read"]) for e in store.personal_inbox(user_id, 50, None, shared)["items"]]


def test_an_operator_reads_the_centres_entries_with_their_own_unread_first_newest_first_a_page_at_a_time(store):
    own = [entry(f"own{i}", user_id="op1", read=i == 1) for i in range(2)]
    centre = [centre_entry(f"c{i}") for i in range(3)]
    store.file([own[0], centre[0], centre[1], own[1], centre[2]], [])
    store.mark_read("op1", centre[1]["_id"], NOW, CENTRE)
    pages, cursor = [], None
    while True:
        page = store.personal_inbox("op1", 2, cursor, CENTRE)
        pages.append(ids(page["items"]))
        cursor = page["next"]
        if cursor is None:
            break
    # unread: the centre's two and their own, newest first; then read: the centre's one, their own
    assert pages == [ids([centre[2], centre[0]]), ids([own[0], centre[1]]), ids([own[1]])]
    assert ids(store.personal_inbox("op1", 50, None)["items"]) == ids([own[0], own[1]])  # not an operator now


def test_a_centre_entry_read_by_one_operator_is_still_unread_for_another(store):
    made = [centre_entry(f"c{i}") for i in range(2)]
    store.file(made, [])
    store.mark_read("op1", made[0]["_id"], NOW, CENTRE)
    store.mark_read("op1", made[0]["_id"], NOW, CENTRE)  # twice: read once
    assert read_state(store, "op1") == [(made[1]["_id"], False), (made[0]["_id"], True)]
    assert read_state(store, "op2") == [(made[1]["_id"], False), (made[0]["_id"], False)]
    assert (store.unread_count("op1", CENTRE), store.unread_count("op2", CENTRE)) == (1, 2)
    (read,) = [e for e in store.personal_inbox("op1", 50, None, CENTRE)["items"] if e["read"]]
    assert read["read_at"] == NOW


def test_marking_all_read_is_one_operators_and_what_comes_after_is_unread(store):
    before = [centre_entry(f"c{i}") for i in range(3)]
    store.file([*before, entry("own", user_id="op1")], [])
    store.mark_read("op1", before[2]["_id"], NOW, CENTRE)
    assert store.mark_all_read("op1", NOW, CENTRE) == 3  # two of the centre's, one of their own
    assert store.mark_all_read("op1", NOW, CENTRE) == 0
    assert store.unread_count("op1", CENTRE) == 0 and store.unread_count("op2", CENTRE) == 3
    after = centre_entry("c-after")
    store.file([after], [])
    assert store.unread_count("op1", CENTRE) == 1 and store.unread_count("op2", CENTRE) == 4
    assert read_state(store, "op1")[0] == (after["_id"], False)
    store.mark_read("op1", after["_id"], NOW, CENTRE)
    assert {read for _, read in read_state(store, "op1")} == {True} and store.unread_count("op1", CENTRE) == 0


def test_a_centre_entry_is_nobodys_outside_the_centre_nor_theirs_who_were_told_otherwise(store):
    made = centre_entry("c", not_for=["op1"])  # the operator who acted, say
    store.file([made], [])
    assert read_state(store, "op1") == [] and store.unread_count("op1", CENTRE) == 0
    assert store.unread_count("handler", ()) == 0 and read_state(store, "handler", ()) == []
    for user_id, shared in (("op1", CENTRE), ("handler", ())):
        with pytest.raises(NotFound):
            store.mark_read(user_id, made["_id"], NOW, shared)
    assert store.mark_all_read("op1", NOW, CENTRE) == 0 and read_state(store, "op2") == [(made["_id"], False)]


def test_who_was_told_what_is_newest_first_by_case_or_recipient_without_the_message_body(store):
    made = [delivery(f"d{i}", recipient=f"user:u{i % 2}", case_id=f"C{i % 3}") for i in range(4)]
    store.file([], made)
    by_recipient = store.deliveries("recipient", "user:u1", 10, None)["items"]
    assert ids(by_recipient) == ids([made[3], made[1]])
    assert "body" not in by_recipient[0] and "html" not in by_recipient[0]["message"]
    first = store.deliveries("case", "C0", 1, None)
    assert ids(first["items"]) == ids([made[3]])
    assert ids(store.deliveries("case", "C0", 5, first["next"])["items"]) == ids([made[0]])


def test_messages_made_recently_for_a_recipient_and_channel_are_counted_up_to_the_cap(store):
    store.file(
        [],
        [delivery(f"d{i}", created_at=NOW - timedelta(minutes=i)) for i in range(5)] + [delivery("sms", channel="sms")],
    )
    counts = store.recent_counts(
        [("user:u1", "email"), ("user:u1", "sms"), ("user:u9", "email")], NOW - timedelta(minutes=2, seconds=30), 2
    )
    assert counts == {("user:u1", "email"): 2, ("user:u1", "sms"): 1, ("user:u9", "email"): 0}


def test_subscribers_are_found_by_what_they_follow_and_subscribing_twice_keeps_one(store):
    first, new = store.subscribe({"_id": "S1", "user_id": "u1", "key": "case:C1", "kind": "case", "target": "C1"})
    assert new and first["_id"] == "S1"
    again, new = store.subscribe({"_id": "S2", "user_id": "u1", "key": "case:C1", "kind": "case", "target": "C1"})
    assert not new and again["_id"] == "S1"
    store.subscribe({"_id": "S3", "user_id": "u2", "key": "grid:G1", "kind": "grid", "target": "G1"})
    assert sorted(ids(store.subscribers(["case:C1", "grid:G1", "grid:G2"]))) == ["S1", "S3"]


def test_followers_of_a_merged_case_follow_the_case_it_went_into(store):
    store.subscribe({"_id": "S1", "user_id": "u1", "key": "case:C1", "kind": "case", "target": "C1"})
    store.subscribe({"_id": "S2", "user_id": "u2", "key": "case:C1", "kind": "case", "target": "C1"})
    store.subscribe({"_id": "S3", "user_id": "u2", "key": "case:C0", "kind": "case", "target": "C0"})
    made = iter(["S4", "S5"])
    assert store.move_followers("C1", "C0", NOW, lambda: next(made)) == 1  # u2 follows C0 already
    assert sorted(s["user_id"] for s in store.subscribers(["case:C0"])) == ["u1", "u2"]


def test_channel_choices_are_read_for_those_who_made_them(store):
    store.set_preferences("u1", {"case.dispatched": ["sms"]}, NOW)
    assert store.preferences_of(["u1", "u2"]) == {"u1": {"case.dispatched": ["sms"]}}


def test_a_departments_webhook_is_made_changed_and_read_with_its_secret_and_listed_without(store):
    hook, created = store.put_webhook("sanitation", {"url": "https://x/hook", "active": True}, "s3cret-1234", NOW)
    assert created and (hook["url"], hook["secret"]) == ("https://x/hook", "s3cret-1234")
    hook, created = store.put_webhook("sanitation", {"url": "https://y/hook"}, "ignored", NOW)
    assert not created and (hook["url"], hook["secret"]) == ("https://y/hook", "s3cret-1234")
    store.put_webhook("municipal", {"url": "https://z/hook", "active": False}, "other-5678", NOW)
    assert store.webhook("sanitation")["secret"] == "s3cret-1234" and store.webhook("roads") is None
    listed = store.webhooks()
    assert ids(listed) == ["municipal", "sanitation"] and all("secret" not in h for h in listed)
    assert listed[1]["secret_hint"] == "1234"
    assert store.departments_with_webhooks(["sanitation", "municipal", "roads"]) == {"sanitation"}


def test_the_feed_numbers_each_event_once_in_order_and_answers_each_reader_their_part(store):
    events = [
        sample_event(
            "case.dispatched", case_id=f"C{i}", grid=f"G{i}", department=d, reporters=[r], assisting_departments=[]
        )
        for i, (d, r) in enumerate([("sanitation", "o1"), ("municipal", "o2"), ("sanitation", "o3")])
    ]
    assert store.feed_head() == 0
    numbers = [store.append_feed(entry_for(e))["seq"] for e in events]
    assert numbers == [1, 2, 3] and store.append_feed(entry_for(events[1]))["seq"] == 2
    assert store.feed_head() == 3 and store.feed_holds(2) and not store.feed_holds(4)
    assert [e["seq"] for e in store.feed_after(1, 10)] == [2, 3]
    assert [e["seq"] for e in store.feed_after(0, 2)] == [1, 2]
    scopes = [{"reporters": "o2"}, {"grid": {"$in": ["G0"]}}, {"departments": "sanitation"}]
    assert [e["seq"] for e in store.feed_after(0, 10, scopes)] == [1, 2, 3]
    assert [e["seq"] for e in store.feed_after(0, 10, [{"departments": "municipal"}])] == [2]
    assert [e["seq"] for e in store.feed_after(0, 10, [{"grid": {"$in": ["G2", "G9"]}}])] == [3]


def test_a_cursor_the_store_did_not_give_out_is_refused_naming_the_field(store):
    with pytest.raises(ValidationFailed) as refused:
        store.personal_inbox("u1", 10, "x:N1")
    assert "cursor" in refused.value.details["fields"]
    with pytest.raises(ValidationFailed) as refused:
        store.department_inbox("sanitation", 10, "not-an-id")
    assert "cursor" in refused.value.details["fields"]
