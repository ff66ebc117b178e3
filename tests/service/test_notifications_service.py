"""The notifications service's entrypoints with an in-memory store: what is filed, who may ask what."""

import time

import pytest
from nameko.testing.services import worker_factory

from services.notifications.channels import Channels, WebhookPoster
from services.notifications.service import NotificationsService
from services.notifications.settings import settings_from_config
from services.notifications.signing import verify
from shared.auth import Identity
from shared.errors import Forbidden, NotFound, Unprocessable, ValidationFailed
from shared.refdata import Reference
from tests.service.fakes import FakeCaller, FakeNotifications, FixedClock
from tests.support.notify import reference, reference_data
from tests.support.samples import sample_event

OPERATOR = Identity("operator1", frozenset({"operator"}))
HANDLER = Identity("handler-sanitation-1", frozenset({"handler"}), department="sanitation")
OFFICER = Identity("officer-1", frozenset({"grid_officer"}), grids=frozenset({"610102001001001"}))
ADMIN = Identity("admin", frozenset({"admin"}))


class Announcements:
    def __init__(self):
        self.sent = []

    def announce(self, payload, cause, now):
        self.sent.append(payload)


def _resolve(host, port, proto=0):
    table = {"dept.example": "93.184.216.34", "intranet.example": "10.1.2.3", "localhost": "127.0.0.1"}
    if host not in table:
        raise OSError("Name or service not known")
    return [(2, 1, 6, "", (table[host], port))]


def make(identity=OPERATOR, store=None, allowed_hosts=frozenset()):
    channels = Channels(None, None, WebhookPoster(None, 1.0, allowed_hosts, resolve=_resolve))
    return worker_factory(
        NotificationsService,
        store=store or FakeNotifications(),
        clock=FixedClock(),
        caller=FakeCaller(identity),
        reference=reference(),
        live=Announcements(),
        settings=settings_from_config({"SSE_BACKLOG_LIMIT": 2}),
        channels=channels,
    )


def test_an_event_files_inbox_entries_deliveries_and_one_feed_entry_whatever_the_redeliveries():
    service = make()
    event = sample_event("case.dispatched")
    service.notify(event)
    service.notify(event)
    store = service.store
    assert len(store.inbox) == 4 and len(store.outgoing) == 2 and len(store.feed) == 1
    assert [p["seq"] for p in service.live.sent] == [1, 1]  # announced again: gateways drop what they have


def test_a_departments_webhook_gets_a_delivery_once_an_endpoint_exists():
    store = FakeNotifications()
    store.hooks["sanitation"] = {"_id": "sanitation", "url": "http://x", "secret": "s", "active": True}
    service = make(store=store)
    service.notify(sample_event("case.dispatched"))
    assert [d["recipient_key"] for d in store.outgoing.values() if d["channel"] == "webhook"] == [
        "department:sanitation"
    ]


def test_people_read_their_own_inbox_and_only_their_departments_shared_one():
    store = FakeNotifications()
    make(store=store).notify(sample_event("case.dispatched"))
    handler = make(HANDLER, store)
    assert [i["kind"] for i in handler.list_inbox({})["items"]] == ["case.dispatched"]
    assert handler.list_inbox({"department": "sanitation"})["items"]
    with pytest.raises(Forbidden):
        handler.list_inbox({"department": "municipal"})


def test_only_administrators_manage_webhooks_and_a_secret_is_shown_once():
    with pytest.raises(Forbidden):
        make(OPERATOR).list_webhooks()
    admin = make(ADMIN)
    answer = admin.put_webhook("sanitation", {"url": "https://dept.example/hook"})
    created = answer["webhook"]
    assert answer["created"] and created["secret"].startswith("whsec_")
    answer = admin.put_webhook("sanitation", {"url": "https://dept.example/v2"})
    changed = answer["webhook"]
    assert not answer["created"] and "secret" not in changed and changed["secret_hint"] == "…" + created["secret"][-4:]
    with pytest.raises(ValidationFailed):
        admin.put_webhook("sanitation", {"url": "ftp://dept.example"})


def test_an_address_inside_the_platforms_networks_is_refused_at_registration_unless_its_host_is_allowed():
    store = FakeNotifications()
    with pytest.raises(Unprocessable) as refused:
        make(ADMIN, store).put_webhook("sanitation", {"url": "https://intranet.example/hook"})
    assert refused.value.reason == "webhook.inside_networks"
    assert refused.value.params == {"host": "intranet.example", "addresses": "10.1.2.3"}
    assert "WEBHOOK_ALLOWED_HOSTS" in refused.value.message and store.hooks == {}
    allowed = make(ADMIN, store, allowed_hosts=frozenset({"intranet.example"}))
    assert allowed.put_webhook("sanitation", {"url": "https://intranet.example/hook"})["created"]
    assert not make(ADMIN, store).put_webhook("sanitation", {"url": "https://not-yet.example/hook"})[
        "created"
    ]  # not resolving yet is no reason to refuse: its sends are retried


class Receiver:
    """A department's endpoint: records each request and answers ``status``."""

    def __init__(self, status=204):
        self.status, self.requests = status, []

    def post(self, url, data, headers, timeout, allow_redirects):
        self.requests.append((url, data, headers))
        return type("Answer", (), {"status_code": self.status, "text": "nope"})()


def _with_receiver(receiver, store):
    service = make(ADMIN, store)
    service.channels = Channels(None, None, WebhookPoster(receiver, 1.0, resolve=_resolve))
    return service


def test_a_webhook_test_is_one_signed_message_whose_outcome_is_answered_and_kept_nowhere():
    store = FakeNotifications()
    created = make(ADMIN, store).put_webhook("sanitation", {"url": "https://dept.example/hook"})["webhook"]
    receiver = Receiver()
    tried = _with_receiver(receiver, store).test_webhook("sanitation")
    assert tried["delivered"] is True and tried["error"] is None and tried["url"] == "https://dept.example/hook"
    [(url, body, headers)] = receiver.requests
    assert headers["X-Civicgrid-Event"] == "webhook.test" and headers["X-Civicgrid-Delivery"] == tried["test_id"]
    assert verify(
        created["secret"], body, headers["X-Civicgrid-Timestamp"], headers["X-Civicgrid-Signature"], time.time()
    )
    assert store.outgoing == {}  # no delivery filed: it neither retries nor lands among the dead

    refused = _with_receiver(Receiver(status=500), store).test_webhook("sanitation")
    assert refused["delivered"] is False and refused["error"].startswith("HTTP 500")


def test_only_administrators_test_a_webhook_and_only_one_that_exists():
    with pytest.raises(Forbidden):
        make(OPERATOR).test_webhook("sanitation")
    with pytest.raises(NotFound):
        make(ADMIN).test_webhook("sanitation")


def test_deliveries_are_shown_to_their_recipient_their_department_and_the_command_centre():
    store = FakeNotifications()
    make(store=store).notify(sample_event("case.dispatched"))
    handler = make(HANDLER, store)
    assert handler.deliveries_for_recipient({})["items"][0]["channel"] == "email"
    assert handler.deliveries_for_recipient({"recipient": "department:sanitation"})["items"] == []
    with pytest.raises(Forbidden):
        handler.deliveries_for_recipient({"recipient": "user:head-sanitation"})
    with pytest.raises(Forbidden):
        handler.deliveries_for_case("C1", {})
    assert len(make(OPERATOR, store).deliveries_for_case("C1", {})["items"]) == 2


def test_preferences_name_known_kinds_and_channels_only():
    service = make(HANDLER)
    with pytest.raises(ValidationFailed) as refused:
        service.set_preferences({"channels": {"case.unknown": ["inbox"], "case.closed": ["pigeon"]}})
    assert set(refused.value.details["fields"]["channels"]) == {"case.unknown", "case.closed"}


def test_a_subscription_must_name_something_that_exists():
    with pytest.raises(ValidationFailed):
        make(HANDLER).subscribe({"kind": "grid", "target": "999"})


def test_a_stream_starts_with_what_its_person_missed_and_may_see():
    store = FakeNotifications()
    writer = make(store=store)
    writer.notify(sample_event("case.dispatched", case_id="C-mine", grid="610102001001001"))
    writer.notify(sample_event("case.dispatched", case_id="C-not", grid="610102002001003", reporters=["officer-9"]))
    start = make(OFFICER, store).open_stream("0")
    assert start["head"] == 2 and not start["reset"]
    assert [e["case"]["case_id"] for e in start["entries"]] == ["C-mine"]
    assert start["identity"]["grids"] == ["610102001001001"]


def test_a_stream_brings_what_its_person_reported_outside_their_grids_too():
    store = FakeNotifications()
    writer = make(store=store)
    writer.notify(
        sample_event("case.dispatched", case_id="C-elsewhere", grid="610102002001003", reporters=["officer-1"])
    )
    writer.notify(sample_event("case.dispatched", case_id="C-not", grid="610102002001003", reporters=["o-9"]))
    start = make(OFFICER, store).open_stream("0")
    assert [e["case"]["case_id"] for e in start["entries"]] == ["C-elsewhere"]


def test_a_stream_that_missed_too_much_or_names_an_unknown_id_is_told_to_reload():
    store = FakeNotifications()
    writer = make(store=store)
    for n in range(3):
        writer.notify(sample_event("case.dispatched", case_id=f"C{n}"))
    assert make(OPERATOR, store).open_stream("0")["reset"]  # 3 missed, the limit is 2
    assert make(OPERATOR, store).open_stream("99")["reset"]
    assert not make(OPERATOR, store).open_stream("1")["reset"]
    with pytest.raises(ValidationFailed):
        make(OPERATOR, store).open_stream("yesterday")


def _walk(read, limit):
    """Every page of a list, following ``next``: the items in the order read, and how many pages."""
    items, cursor, pages = [], None, 0
    while True:
        answer = read({"limit": limit, **({"cursor": cursor} if cursor else {})})
        assert set(answer) == {"items", "next"}  # the one paging contract
        items += answer["items"]
        pages += 1
        cursor = answer["next"]
        if cursor is None:
            return items, pages


def test_every_list_walks_to_its_end_through_next_each_item_once():
    store = FakeNotifications()
    for n in range(7):
        make(store=store).notify(sample_event("case.dispatched", case_id=f"C{n:026d}"))
    handler = make(HANDLER, store)
    # the handler's inbox: the entries of the department's handlers' shared inbox, read as theirs
    mine = [e["_id"] for e in store.inbox.values() if e.get("audience") == "department_handlers:sanitation"]
    shared = [e["_id"] for e in store.inbox.values() if e.get("department") == "sanitation" and not e.get("user_id")]
    to_me = [d["_id"] for d in store.outgoing.values() if d["recipient_key"] == f"user:{HANDLER.user_id}"]
    assert len(mine) == len(shared) == len(to_me) == 7
    for read, expected in (
        (handler.list_inbox, mine),
        (lambda q: handler.list_inbox({**q, "department": "sanitation"}), shared),
        (handler.deliveries_for_recipient, to_me),
    ):
        items, pages = _walk(read, 3)
        ids = [i.get("notification_id") or i.get("delivery_id") for i in items]
        assert sorted(ids) == sorted(expected) and len(ids) == len(set(ids)), read
        assert pages == -(-len(expected) // 3)


# -- the command centre's shared inbox ------------------------------------------------------------------------------


def _centre_entries(store):
    return [e for e in store.inbox.values() if e.get("audience") == "command_centre"]


def test_a_new_case_is_one_entry_of_the_command_centres_inbox_not_one_per_operator():
    store = FakeNotifications()
    make(store=store).notify(sample_event("case.reported"))
    (entry,) = _centre_entries(store)
    assert not [e for e in store.inbox.values() if e.get("user_id") == OPERATOR.user_id]
    assert entry["not_for"] == [] and entry["recipient"] == {"kind": "audience", "id": "command_centre"}
    (seen,) = make(OPERATOR, store).list_inbox({})["items"]
    assert (seen["notification_id"], seen["read"], seen["kind"]) == (entry["_id"], False, "case.reported")
    assert "新上报" in seen["title"]["zh-CN"]


def test_an_operator_added_after_the_entry_was_filed_sees_it_and_one_no_longer_an_operator_does_not():
    store = FakeNotifications()
    make(store=store).notify(sample_event("case.verified"))
    # the caller's roles are the directory's now (shared.auth.principal): promoted since, demoted since
    newcomer = make(Identity("handler-municipal-1", frozenset({"operator"})), store)
    former = make(Identity("operator1", frozenset({"handler"}), department="sanitation"), store)
    assert [i["kind"] for i in newcomer.list_inbox({})["items"]] == ["case.verified"]
    assert newcomer.unread_count() == {"unread": 1}
    assert former.list_inbox({})["items"] == [] and former.unread_count() == {"unread": 0}
    with pytest.raises(NotFound):
        former.mark_read(_centre_entries(store)[0]["_id"])


def test_the_operators_read_marks_are_their_own():
    store = FakeNotifications()
    make(store=store).notify(sample_event("case.reported", case_id="C1"))
    make(store=store).notify(sample_event("case.returned", case_id="C2"))
    one, other = make(OPERATOR, store), make(Identity("operator2", frozenset({"operator"})), store)
    newest = one.list_inbox({})["items"][0]
    one.mark_read(newest["notification_id"])
    assert one.unread_count() == {"unread": 1} and other.unread_count() == {"unread": 2}
    assert other.mark_all_read() == {"marked": 2}
    assert one.unread_count() == {"unread": 1} and other.unread_count() == {"unread": 0}


def _with_second_operator():
    data = reference_data()
    data["users"]["items"].append({**data["users"]["items"][0], "user_id": "operator2", "roles": ["operator"]})
    copy = Reference(tuple(data))
    for kind, value in data.items():
        copy.load(kind, 1, value)
    return copy


def test_an_operator_told_otherwise_is_left_out_of_the_centres_entry():
    store = FakeNotifications()
    store.prefs["operator1"] = {"case.reported": ["email"]}  # no inbox for new cases, an e-mail instead
    service = make(store=store)
    service.reference = _with_second_operator()
    service.notify(sample_event("case.reported"))
    (entry,) = _centre_entries(store)
    assert entry["not_for"] == ["operator1"]
    assert make(OPERATOR, store).list_inbox({})["items"] == []
    assert [
        i["notification_id"]
        for i in make(Identity("operator2", frozenset({"operator"})), store).list_inbox({})["items"]
    ] == [entry["_id"]]
    assert [d["recipient_key"] for d in store.outgoing.values()] == ["user:operator1"]


def test_no_operator_taking_it_in_their_inbox_files_no_entry_for_the_centre():
    store = FakeNotifications()
    store.prefs["operator1"] = {"case.reported": []}
    make(store=store).notify(sample_event("case.reported"))
    assert store.inbox == {}


def test_an_escalation_naming_the_centre_is_one_shared_entry_and_an_e_mail_to_each_operator():
    store = FakeNotifications()
    make(store=store).notify(
        sample_event("case.escalated", status="registered", stage="dispatch", targets=[{"kind": "command_centre"}])
    )
    assert len(_centre_entries(store)) == 1 and len(store.inbox) == 1
    assert [(d["recipient_key"], d["channel"]) for d in store.outgoing.values()] == [("user:operator1", "email")]


# -- the department's handlers' shared inbox --------------------------------------------------------------------------

HANDLERS_OF_SANITATION = "department_handlers:sanitation"
SECOND_HANDLER = Identity("handler-sanitation-2", frozenset({"handler"}), department="sanitation")


def _handlers_entries(store, name=HANDLERS_OF_SANITATION):
    return [e for e in store.inbox.values() if e.get("audience") == name]


def _with_users(*users):
    """The tiny district's copy of the directory, with ``users`` (id, roles, department) added."""
    data = reference_data()
    template = data["users"]["items"][0]
    for user_id, roles, department in users:
        data["users"]["items"].append(
            {**template, "user_id": user_id, "roles": roles, "department": department, "email": f"{user_id}@x.org"}
        )
    copy = Reference(tuple(data))
    for kind, value in data.items():
        copy.load(kind, 1, value)
    return copy


def _filing(store, users=(("handler-sanitation-2", ["handler"], "sanitation"),)):
    service = make(store=store)
    service.reference = _with_users(*users)
    return service


def test_a_dispatch_is_one_entry_for_the_departments_handlers_and_an_e_mail_to_each():
    store = FakeNotifications()
    _filing(store).notify(sample_event("case.dispatched"))
    (entry,) = _handlers_entries(store)
    assert entry["recipient"] == {"kind": "audience", "id": HANDLERS_OF_SANITATION} and entry["not_for"] == []
    assert not [e for e in store.inbox.values() if e.get("user_id") in (HANDLER.user_id, SECOND_HANDLER.user_id)]
    # the head is one person: their own entry, as before; the departments' own inboxes, as before
    assert sorted((e["recipient"]["kind"], e["recipient"]["id"]) for e in store.inbox.values() if e is not entry) == [
        ("department", "sanitation"),
        ("department", "urban_management"),
        ("user", "head-sanitation"),
    ]
    assert sorted((d["recipient_key"], d["channel"]) for d in store.outgoing.values()) == [
        ("user:handler-sanitation-1", "email"),
        ("user:handler-sanitation-2", "email"),
        ("user:head-sanitation", "email"),
    ]
    for handler in (HANDLER, SECOND_HANDLER):
        (seen,) = make(handler, store).list_inbox({})["items"]
        assert (seen["notification_id"], seen["read"], seen["kind"]) == (entry["_id"], False, "case.dispatched")
        assert seen["title"] == entry["title"] and "派遣" in seen["title"]["zh-CN"]
    # another department's handler is not told
    assert (
        make(Identity("handler-municipal-1", frozenset({"handler"}), department="municipal"), store).list_inbox({})[
            "items"
        ]
        == []
    )


def test_the_handlers_read_marks_are_their_own():
    store = FakeNotifications()
    service = _filing(store)
    service.notify(sample_event("case.dispatched", case_id="C1"))
    service.notify(sample_event("case.supervised", case_id="C2"))
    assert len(_handlers_entries(store)) == 2
    one, other = make(HANDLER, store), make(SECOND_HANDLER, store)
    newest = one.list_inbox({})["items"][0]
    one.mark_read(newest["notification_id"])
    assert one.unread_count() == {"unread": 1} and other.unread_count() == {"unread": 2}
    assert [(i["case_id"], i["read"]) for i in one.list_inbox({})["items"]] == [("C1", False), ("C2", True)]
    assert other.mark_all_read() == {"marked": 2}
    assert one.unread_count() == {"unread": 1} and other.unread_count() == {"unread": 0}


def test_a_handler_moved_to_another_department_or_no_longer_a_handler_no_longer_sees_the_departments_entries():
    store = FakeNotifications()
    _filing(store).notify(sample_event("case.dispatched"))
    (entry,) = _handlers_entries(store)
    # the caller's roles and department are the directory's now (shared.auth.principal)
    moved = make(Identity(HANDLER.user_id, frozenset({"handler"}), department="municipal"), store)
    # no longer a handler: the department's head now, who keeps entries of their own
    revoked = make(Identity(SECOND_HANDLER.user_id, frozenset({"department_head"}), department="sanitation"), store)
    newcomer = make(Identity("handler-municipal-1", frozenset({"handler"}), department="sanitation"), store)
    for former in (moved, revoked):
        assert former.list_inbox({})["items"] == [] and former.unread_count() == {"unread": 0}
        with pytest.raises(NotFound):
            former.mark_read(entry["_id"])
    assert [i["notification_id"] for i in newcomer.list_inbox({})["items"]] == [entry["_id"]]


def test_a_handler_told_otherwise_is_left_out_of_the_handlers_entry():
    store = FakeNotifications()
    store.prefs[SECOND_HANDLER.user_id] = {"case.dispatched": ["email"]}  # no inbox for dispatches
    store.subscriptions.append({"_id": "S1", "user_id": HANDLER.user_id, "kind": "case", "key": "case:C-TEST"})
    third = ("handler-sanitation-3", ["handler"], "sanitation")
    _filing(store, (("handler-sanitation-2", ["handler"], "sanitation"), third)).notify(
        sample_event("case.dispatched", case_id="C-TEST")
    )
    (entry,) = _handlers_entries(store)
    # a follower of the case too: their own entry, as before, not the shared one besides
    assert entry["not_for"] == [HANDLER.user_id, SECOND_HANDLER.user_id]
    reader = make(Identity("handler-sanitation-3", frozenset({"handler"}), department="sanitation"), store)
    assert [i["notification_id"] for i in reader.list_inbox({})["items"]] == [entry["_id"]]
    (own,) = [e for e in store.inbox.values() if e.get("user_id") == HANDLER.user_id]
    assert [i["notification_id"] for i in make(HANDLER, store).list_inbox({})["items"]] == [own["_id"]]
    assert make(SECOND_HANDLER, store).list_inbox({})["items"] == []


def test_no_handler_taking_it_in_their_inbox_files_no_entry_for_the_handlers():
    store = FakeNotifications()
    store.prefs[HANDLER.user_id] = {"case.dispatched": ["email"]}
    store.prefs[SECOND_HANDLER.user_id] = {"case.dispatched": []}
    _filing(store).notify(sample_event("case.dispatched"))
    assert _handlers_entries(store) == []


def test_an_escalation_naming_the_departments_handlers_is_one_shared_entry_and_an_e_mail_to_each():
    store = FakeNotifications()
    _filing(store).notify(
        sample_event("case.escalated", stage="disposal", targets=[{"kind": "responsible"}, {"kind": "department_head"}])
    )
    assert len(_handlers_entries(store)) == 1
    assert sorted(e["recipient"]["id"] for e in store.inbox.values()) == [HANDLERS_OF_SANITATION, "head-sanitation"]
    assert sorted(d["recipient_key"] for d in store.outgoing.values() if d["channel"] == "email") == [
        "user:handler-sanitation-1",
        "user:handler-sanitation-2",
        "user:head-sanitation",
    ]


def _told(store):
    """(recipient, channel, kind) of every inbox entry and delivery filed, whatever their ids."""
    inbox = [(e["recipient"]["id"], "inbox", e["kind"]) for e in store.inbox.values()]
    return sorted(inbox + [(d["recipient"]["id"], d["channel"], d["event_type"]) for d in store.outgoing.values()])


def test_a_routed_case_announced_once_tells_everyone_its_two_events_told_once_and_the_feed_shows_both():
    from tests.support.samples import REGISTRATION

    apart, once = make(), make()
    apart.notify(sample_event("case.registered", status="dispatched"))
    apart.notify(sample_event("case.dispatched"))
    event = sample_event("case.dispatched", registration=REGISTRATION)
    once.notify(event)
    once.notify(event)  # redelivered: nothing filed twice
    assert _told(once.store) == _told(apart.store)
    assert ("officer-1", "inbox", "case.registered") in _told(once.store)  # the reporter: 立案
    assert [e["event_type"] for e in once.store.feed] == ["case.registered", "case.dispatched"]
    assert [e["event_id"] for e in once.store.feed] == [f"{event.event_id}:registered", event.event_id]
