"""Notifications on the real bus and store, with a real SMTP server and a department's HTTP receiver.

Time is moved with CLOCK_FILE and the courier's scan is triggered by hand: no test waits
for a back-off or a digest window to pass.
"""

import json

import pytest
from cryptography.fernet import Fernet
from nameko.amqp.publish import Publisher
from nameko.standalone.events import get_event_exchange
from nameko.testing.services import entrypoint_hook

from services.notifications import signing
from services.notifications.domain import digest as digest_rule
from services.notifications.secretbox import SecretBox
from services.notifications.service import NotificationsService
from services.notifications.storage import deliveries as deliveries_storage
from shared.bus import standalone_rpc
from shared.clock import write_clock_offset
from shared.errors import Unprocessable
from shared.events import to_message
from shared.refdata import COLLECTION as REFERENCE
from tests.support.auth import token_for
from tests.support.infra import wait_for
from tests.support.notify import SmtpServer, WebhookReceiver, reference_data, users_with_contacts
from tests.support.samples import sample_event

USERS = {u["user_id"]: u for u in users_with_contacts()}


@pytest.fixture
def smtp(tmp_path):
    server = SmtpServer(tmp_path)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def clock_file(tmp_path):
    path = str(tmp_path / "clock")
    write_clock_offset(path, 0)
    return path


@pytest.fixture
def config(service_config, smtp, clock_file):
    return {
        **service_config,
        "EMAIL_TRANSPORT": "smtp",
        "SMTP_HOST": "127.0.0.1",
        "SMTP_PORT": smtp.port,
        "SMTP_SECURITY": "none",
        "CLOCK_FILE": clock_file,
        "NOTIFY_HTTP_TIMEOUT_SECONDS": 0.5,
        # these tests drive the courier's scan by hand; sending at once is tested in test_outgoing.py
        "DELIVERY_SEND_AT_ONCE": "0",
        "DELIVERY_SCAN_SECONDS": 3600,
        "DELIVERY_MAX_ATTEMPTS": 3,
        "DELIVERY_RETRY_BASE_SECONDS": 60,
        "DELIVERY_RETRY_MAX_SECONDS": 600,
        "DIGEST_THRESHOLD": 3,
        "DIGEST_WINDOW_SECONDS": 60,
        "PUBLIC_BASE_URL": "https://grid.example.cn",
    }


@pytest.fixture
def db(databases):
    return databases("notifications")


def started(container_factory, config, db, users=()):
    """The notifications service, with the directory's data already in its stored copy (no directory needed);
    ``users`` changed or added in that copy."""
    for kind, data in reference_data().items():
        if kind == "users" and users:
            changed = {u["user_id"]: u for u in (*data["items"], *users)}
            data = {"items": list(changed.values())}
        db[REFERENCE].insert_one({"_id": kind, "revision": 1, "data": data})
    container = container_factory(NotificationsService, config)
    container.start()
    return container


@pytest.fixture
def service(container_factory, config, db):
    return started(container_factory, config, db)


def publish(config, event):
    Publisher(config["AMQP_URI"]).publish(
        to_message(event), exchange=get_event_exchange("cases", {}), routing_key=event.type
    )


def scan(container):
    with entrypoint_hook(container, "send_due") as send_due:
        return send_due()


def move_clock(clock_file, seconds):
    write_clock_offset(clock_file, seconds)


def rpc_as(config, auth_keys, user_id, user=None):
    user = user or USERS[user_id]
    return standalone_rpc(config, timeout=10, context_data={"auth_token": token_for(auth_keys[0], user)})


def deliveries(db, **query):
    return list(db.deliveries.find(query))


def test_a_redelivered_event_is_filed_once_per_recipient_and_channel(service, config, db):
    event = sample_event("case.dispatched", case_id="C-redelivered")
    for _ in range(3):
        publish(config, event)
    wait_for(lambda: db.feed.count_documents({"event_id": event.event_id}) == 1, message="handled")
    wait_for(lambda: db.inbox.count_documents({"case_id": "C-redelivered"}) == 4, message="inbox entries")
    assert sorted((d["recipient_key"], d["channel"]) for d in deliveries(db, case_id="C-redelivered")) == [
        ("user:handler-sanitation-1", "email"),
        ("user:head-sanitation", "email"),
    ]
    # 2 departments, the handlers' shared inbox, the head
    assert db.inbox.count_documents({"case_id": "C-redelivered"}) == 4
    assert db.feed.count_documents({}) == 1


def test_a_redelivered_routed_dispatch_files_its_registration_and_its_dispatch_once_each(service, config, db):
    from tests.support.samples import REGISTRATION

    event = sample_event("case.dispatched", case_id="C-routed", registration=REGISTRATION)
    for _ in range(3):
        publish(config, event)
    wait_for(lambda: db.feed.count_documents({"case.case_id": "C-routed"}) == 2, message="both stages in the feed")
    wait_for(lambda: db.inbox.count_documents({"case_id": "C-routed"}) == 5, message="inbox entries")
    kinds = sorted((e.get("user_id") or e["department"], e["kind"]) for e in db.inbox.find({"case_id": "C-routed"}))
    assert kinds == [
        ("@department_handlers:sanitation", "case.dispatched"),  # the department's handlers' shared inbox
        ("head-sanitation", "case.dispatched"),
        ("officer-1", "case.registered"),  # its reporter: 立案
        ("sanitation", "case.dispatched"),
        ("urban_management", "case.dispatched"),
    ]
    assert [e["event_type"] for e in db.feed.find({"case.case_id": "C-routed"}).sort("seq", 1)] == [
        "case.registered",
        "case.dispatched",
    ]


def test_e_mail_arrives_in_each_readers_language(service, config, db, smtp):
    publish(config, sample_event("case.dispatched", case_id="C-mail"))
    wait_for(lambda: len(deliveries(db, case_id="C-mail")) == 2, message="deliveries filed")
    assert scan(service) == 2
    zh, en = USERS["handler-sanitation-1"]["email"], USERS["head-sanitation"]["email"]
    (chinese,) = wait_for(lambda: smtp.to(zh), message="Chinese e-mail")
    (english,) = wait_for(lambda: smtp.to(en), message="English e-mail")
    assert chinese["Subject"] == "新派遣 C-mail：环境卫生" and chinese["Content-Language"] == "zh-CN"
    assert english["Subject"] == "New case C-mail: Environmental sanitation"
    html = english.get_body(("html",)).get_content()
    assert "https://grid.example.cn/cases/C-mail" in html
    assert "处置时限" in chinese.get_body(("plain",)).get_content()
    assert english["Message-ID"] == f"<{english['X-Civicgrid-Delivery']}@civicgrid>"
    assert {d["state"] for d in deliveries(db, case_id="C-mail")} == {"delivered"}


def _webhook(config, auth_keys, url, db=None):
    with rpc_as(config, auth_keys, "admin") as admin:
        answer = admin.notifications.put_webhook("sanitation", {"url": url})
        created = answer["webhook"]
        assert answer["created"] and created["secret"].startswith("whsec_")
        listed = admin.notifications.list_webhooks()["items"]
    assert "secret" not in listed[0] and listed[0]["secret_hint"] == "…" + created["secret"][-4:]
    if db is not None:  # kept sealed: the database alone does not give it away
        stored = db.webhooks.find_one({"_id": "sanitation"})["secret"]
        assert stored.startswith("fernet:") and created["secret"] not in stored
    return created["secret"]


def test_a_webhook_that_fails_twice_then_succeeds_is_delivered_once_and_signed(
    service, config, db, auth_keys, clock_file
):
    receiver = WebhookReceiver(plan=[500, 503]).start()
    try:
        secret = _webhook(config, auth_keys, receiver.url, db)
        publish(config, sample_event("case.dispatched", case_id="C-hook"))
        wait_for(lambda: deliveries(db, case_id="C-hook", channel="webhook"), message="webhook filed")
        for attempt in range(3):
            move_clock(clock_file, attempt * 700)  # past the longest back-off
            scan(service)
        (hook,) = deliveries(db, case_id="C-hook", channel="webhook")
        assert hook["state"] == "delivered"
        assert [a["outcome"] for a in hook["attempts"]] == ["failed", "failed", "delivered"]
        assert hook["attempts"][0]["error"].startswith("HTTP 500") and hook["attempts"][0]["target"] == receiver.url
        assert len(receiver.requests) == 3
        last = receiver.requests[-1]
        assert {r["headers"][signing.DELIVERY_HEADER] for r in receiver.requests} == {hook["_id"]}
        headers = last["headers"]
        assert signing.verify(
            secret,
            last["body"],
            headers[signing.TIMESTAMP_HEADER],
            headers[signing.SIGNATURE_HEADER],
            now=int(headers[signing.TIMESTAMP_HEADER]),
        )
        body = json.loads(last["body"])
        assert body["event_type"] == "case.dispatched" and body["case"]["case_id"] == "C-hook"
        assert not signing.verify(
            "whsec_wrong",
            last["body"],
            headers[signing.TIMESTAMP_HEADER],
            headers[signing.SIGNATURE_HEADER],
            now=int(headers[signing.TIMESTAMP_HEADER]),
        )
    finally:
        receiver.stop()


def test_a_receiver_that_never_answers_is_dead_lettered_and_an_administrator_replays_it(
    service, config, db, auth_keys, clock_file
):
    receiver = WebhookReceiver(plan=["hang", "hang", "hang"], hang_seconds=3).start()
    try:
        _webhook(config, auth_keys, receiver.url)
        publish(config, sample_event("case.dispatched", case_id="C-dead"))
        wait_for(lambda: deliveries(db, case_id="C-dead", channel="webhook"), message="webhook filed")
        for attempt in range(3):
            move_clock(clock_file, attempt * 700)
            scan(service)
        (hook,) = deliveries(db, case_id="C-dead", channel="webhook")
        assert hook["state"] == "dead" and len(hook["attempts"]) == 3
        assert hook["attempts"][-1]["error"] == "no answer within the timeout"
        with rpc_as(config, auth_keys, "admin") as admin:
            (dead,) = admin.notifications.dead_deliveries({})["items"]
            assert dead["delivery_id"] == hook["_id"]
            replayed = admin.notifications.replay_delivery(hook["_id"])
            assert replayed["state"] == "pending" and replayed["tries"] == 0
        scan(service)  # the receiver answers now
        (hook,) = deliveries(db, case_id="C-dead", channel="webhook")
        assert hook["state"] == "delivered" and len(hook["attempts"]) == 4
        with rpc_as(config, auth_keys, "admin") as admin:
            assert admin.notifications.dead_deliveries({})["items"] == []
            on_record = admin.notifications.deliveries_for_case("C-dead", {})["items"]
            assert {d["channel"] for d in on_record} == {"email", "webhook"}
    finally:
        receiver.stop()


def test_an_address_inside_the_platforms_networks_is_refused_at_registration_unless_allowed(service, config, auth_keys):
    with rpc_as(config, auth_keys, "admin") as admin:
        with pytest.raises(Unprocessable) as refused:  # localhost is loopback, and not listed by that name
            admin.notifications.put_webhook("sanitation", {"url": "http://localhost:9/hook"})
        assert refused.value.reason == "webhook.inside_networks" and refused.value.params["host"] == "localhost"
        assert "WEBHOOK_ALLOWED_HOSTS" in refused.value.message
        assert admin.notifications.list_webhooks()["items"] == []
        assert admin.notifications.put_webhook("sanitation", {"url": "http://127.0.0.1:9/hook"})[
            "created"
        ]  # WEBHOOK_ALLOWED_HOSTS lists 127.0.0.1 (the tests' receivers)


def test_a_webhook_refused_at_send_time_is_dead_at_once_and_delivered_when_replayed(service, config, db, auth_keys):
    receiver = WebhookReceiver(plan=[]).start()
    try:
        _webhook(config, auth_keys, receiver.url)
        # registered at an allowed address, the endpoint now leads inside the platform's networks by another
        # name, as after a change to the host's DNS
        db.webhooks.update_one({"_id": "sanitation"}, {"$set": {"url": receiver.url.replace("127.0.0.1", "localhost")}})
        publish(config, sample_event("case.dispatched", case_id="C-refused"))
        wait_for(lambda: deliveries(db, case_id="C-refused", channel="webhook"), message="webhook filed")
        scan(service)
        (hook,) = deliveries(db, case_id="C-refused", channel="webhook")
        assert hook["state"] == "dead" and [a["outcome"] for a in hook["attempts"]] == ["refused"]
        assert "inside the platform's networks" in hook["attempts"][0]["error"] and receiver.requests == []
        with rpc_as(config, auth_keys, "admin") as admin:
            (dead,) = admin.notifications.dead_deliveries({})["items"]
            assert dead["delivery_id"] == hook["_id"]
            admin.notifications.put_webhook("sanitation", {"url": receiver.url})  # the address put right
            assert admin.notifications.replay_delivery(hook["_id"])["state"] == "pending"
        scan(service)
        (hook,) = deliveries(db, case_id="C-refused", channel="webhook")
        assert hook["state"] == "delivered" and [a["outcome"] for a in hook["attempts"]] == ["refused", "delivered"]
        assert len(receiver.requests) == 1
    finally:
        receiver.stop()


def test_a_burst_to_one_person_becomes_a_digest(service, config, db, smtp, clock_file):
    handler = USERS["handler-sanitation-1"]["email"]
    for n in range(8):
        publish(config, sample_event("case.dispatched", case_id=f"C-storm-{n}"))
        wait_for(lambda n=n: deliveries(db, case_id=f"C-storm-{n}"), message="filed in turn")
    mails = deliveries(db, recipient_key="user:handler-sanitation-1")
    assert sorted(d["state"] for d in mails) == ["held"] * 5 + ["pending"] * 3
    scan(service)
    assert len(wait_for(lambda: len(smtp.to(handler)) == 3 and smtp.to(handler), message="first three")) == 3
    move_clock(clock_file, 61)  # the window closes
    scan(service)
    digest = wait_for(lambda: [m for m in smtp.to(handler) if "条新通知" in m["Subject"]], message="digest")
    assert digest[0]["Subject"] == "您有 5 条新通知"
    assert len(smtp.to(handler)) == 4
    assert all(f"C-storm-{n}" in digest[0].get_body(("plain",)).get_content() for n in range(3, 8))


def test_a_window_held_beyond_the_courier_batch_is_still_one_digest_each(
    container_factory, config, db, smtp, clock_file, monkeypatch
):
    # a batch of two: the courier took two held messages a pass, so a busy window went out as several digests;
    # moved two a command, and listing three (the rest counted), as a busy window of hundreds is
    monkeypatch.setattr(deliveries_storage, "GATHER_CHUNK", 2)
    monkeypatch.setattr(digest_rule, "LISTED", 3)
    service = started(container_factory, {**config, "DELIVERY_BATCH": 2}, db)
    for n in range(8):
        publish(config, sample_event("case.dispatched", case_id=f"C-gust-{n}"))
        wait_for(lambda n=n: deliveries(db, case_id=f"C-gust-{n}"), message="filed in turn")
    people = ("user:handler-sanitation-1", "user:head-sanitation")
    assert all(len(deliveries(db, recipient_key=p, state="held")) == 5 for p in people)
    move_clock(clock_file, 61)  # the window closes
    scan(service)  # one pass gathers every held message of both people
    for person in people:
        (digest,) = deliveries(db, recipient_key=person, digest=True)
        members = deliveries(db, recipient_key=person, state="digested")
        assert len(members) == 5 and {m["digest_id"] for m in members} == {digest["_id"]}
        assert digest["members"] == 5
    while scan(service):  # two a pass: the three sent at once and the digest, each person
        pass
    # in each reader's language: the handler reads Chinese, the head English
    for person, subject in (("handler-sanitation-1", "您有 5 条新通知"), ("head-sanitation", "5 new notifications")):
        address = USERS[person]["email"]
        mails = wait_for(lambda a=address: len(smtp.to(a)) == 4 and smtp.to(a), message="three and a digest")
        (gathered,) = [m for m in mails if "C-gust" not in m["Subject"]]
        assert gathered["Subject"] == subject
        listed = gathered.get_body(("plain",)).get_content()
        assert sum(f"C-gust-{n}" in listed for n in range(3, 8)) == 3 and ("2 more" in listed or "另有 2 条" in listed)


def test_an_urgent_case_is_sent_at_once_even_in_a_burst(service, config, db):
    for n in range(5):
        publish(config, sample_event("case.dispatched", case_id=f"C-urgent-{n}", priority="urgent"))
        wait_for(lambda n=n: deliveries(db, case_id=f"C-urgent-{n}"), message="filed in turn")
    assert {d["state"] for d in deliveries(db, recipient_key="user:handler-sanitation-1")} == {"pending"}


def test_two_replicas_scanning_at_once_send_each_message_once(container_factory, service, config, db, smtp):
    second = container_factory(NotificationsService, config)
    second.start()
    for n in range(6):
        publish(
            config, sample_event("case.resolved", case_id=f"C-twice-{n}", grid="610102001001001", priority="urgent")
        )
    wait_for(lambda: len(deliveries(db, channel="sms")) == 6, message="SMS filed")
    import eventlet

    pile = eventlet.GreenPile()
    for container in (service, second):
        pile.spawn(scan, container)
    assert sum(pile) == 6
    sms = deliveries(db, channel="sms")
    assert {d["state"] for d in sms} == {"delivered"} and all(len(d["attempts"]) == 1 for d in sms)


def test_people_read_and_mark_their_own_inbox_unread_first(service, config, db, auth_keys):
    for n in range(3):
        publish(config, sample_event("case.reported", case_id=f"C-inbox-{n}", department=None))
        # filed in turn: one entry of the command centre's inbox each, which the operator reads as theirs
        wait_for(lambda n=n: db.inbox.count_documents({"audience": "command_centre"}) == n + 1, message="filed")
    with rpc_as(config, auth_keys, "operator1") as operator:
        newest, middle = operator.notifications.list_inbox({"limit": 2})["items"]
        operator.notifications.mark_read(newest["notification_id"])
        assert operator.notifications.unread_count() == {"unread": 2}
        page = operator.notifications.list_inbox({"limit": 2})
        assert [i["case_id"] for i in page["items"]] == ["C-inbox-1", "C-inbox-0"]  # unread first, newest first
        rest = operator.notifications.list_inbox({"limit": 2, "cursor": page["next"]})
        assert [(i["case_id"], i["read"]) for i in rest["items"]] == [("C-inbox-2", True)]
        assert rest["next"] is None
        assert operator.notifications.mark_all_read() == {"marked": 2}
        assert operator.notifications.unread_count() == {"unread": 0}
        assert "新上报" in page["items"][0]["title"]["zh-CN"]


def test_an_sms_goes_through_the_http_gateway_to_the_officer_asked_to_verify(container_factory, config, db):
    gateway = WebhookReceiver().start()
    try:
        for kind, data in reference_data().items():
            db[REFERENCE].insert_one({"_id": kind, "revision": 1, "data": data})
        container = container_factory(
            NotificationsService,
            {**config, "SMS_PROVIDER": "http", "SMS_GATEWAY_URL": gateway.url, "SMS_GATEWAY_TOKEN": "sms-token"},
        )
        container.start()
        publish(config, sample_event("case.resolved", case_id="C-sms", grid="610102001001001"))
        wait_for(lambda: deliveries(db, case_id="C-sms", channel="sms"), message="SMS filed")
        scan(container)
        (request,) = gateway.requests
        body = json.loads(request["body"])
        assert body["to"] == USERS["officer-1"]["phone"] and body["text"].startswith("【核查】C-sms")
        assert request["headers"]["Authorization"] == "Bearer sms-token"
        assert body["reference"] == deliveries(db, case_id="C-sms", channel="sms")[0]["_id"]
    finally:
        gateway.stop()


def test_secrets_stored_plain_or_under_an_old_key_are_sealed_under_the_first_key_at_start(
    container_factory, config, db, tmp_path
):
    old_key, new_key = Fernet.generate_key(), Fernet.generate_key()
    under_old = SecretBox([old_key]).seal("whsec_under_old_key")
    lost = SecretBox([Fernet.generate_key()]).seal("whsec_key_lost")
    db.webhooks.insert_many(
        [
            {"_id": "sanitation", "url": "http://127.0.0.1:9/a", "active": True, "secret": "whsec_stored_plain"},
            {"_id": "water", "url": "http://127.0.0.1:9/b", "active": True, "secret": under_old},
            # sealed under a key nobody kept: its webhooks will fail, saying why; the service starts all the same
            {"_id": "police", "url": "http://127.0.0.1:9/c", "active": True, "secret": lost},
        ]
    )
    key_file = tmp_path / "rotated.key"
    key_file.write_bytes(new_key + b"\n" + old_key + b"\n")  # a new key first, the old one still there
    container_factory(NotificationsService, {**config, "WEBHOOK_SECRETS_KEY_FILE": str(key_file)}).start()

    box = SecretBox([new_key])  # the old key could go now
    stored = {d["_id"]: d for d in db.webhooks.find()}
    assert box.open(stored["sanitation"]["secret"]) == "whsec_stored_plain"
    assert box.open(stored["water"]["secret"]) == "whsec_under_old_key"
    assert (stored["sanitation"]["secret_hint"], stored["water"]["secret_hint"]) == ("lain", "_key")
    assert stored["police"]["secret"] == lost


def test_feed_entries_stored_before_they_had_a_seq_are_numbered_at_start_and_the_feed_goes_on(
    container_factory, config, db
):
    db.feed.insert_many([{"_id": n, "event_id": f"old-{n}", "case_id": "C-old"} for n in (1, 2, 3)])
    started(container_factory, config, db)
    assert sorted((d["_id"], d.get("seq")) for d in db.feed.find()) == [(1, 1), (2, 2), (3, 3)]
    publish(config, sample_event("case.reported", case_id="C-after-old"))
    (entry,) = wait_for(lambda: list(db.feed.find({"case.case_id": "C-after-old"})), message="appended")
    assert entry["seq"] == 4


SECOND_OPERATOR = {**USERS["operator1"], "user_id": "operator2", "email": "operator2@example.org"}
# the token still says operator (signed before the change); the service's copy of the directory says otherwise
DEMOTED = {**USERS["handler-municipal-1"], "roles": ["operator"]}


def test_the_command_centre_gets_one_entry_per_new_case_and_each_operator_their_own_read_marks(
    container_factory, config, db, auth_keys
):
    started(container_factory, config, db, users=[SECOND_OPERATOR])
    for n in range(2):
        publish(config, sample_event("case.reported", case_id=f"C-centre-{n}", department=None))
        wait_for(lambda n=n: db.inbox.count_documents({"case_id": f"C-centre-{n}"}) == 1, message="the centre's")
    assert db.inbox.count_documents({"audience": "command_centre"}) == 2
    assert db.inbox.count_documents({"user_id": {"$in": ["operator1", "operator2"]}}) == 0
    with (
        rpc_as(config, auth_keys, "operator1") as one,
        rpc_as(config, auth_keys, "operator2", SECOND_OPERATOR) as other,
        rpc_as(config, auth_keys, "handler-municipal-1", DEMOTED) as demoted,
    ):
        newest = one.notifications.list_inbox({"limit": 5})["items"][0]
        assert newest["case_id"] == "C-centre-1"
        one.notifications.mark_read(newest["notification_id"])
        assert one.notifications.unread_count() == {"unread": 1}
        assert other.notifications.unread_count() == {"unread": 2}  # A read it, B has not
        assert [(i["case_id"], i["read"]) for i in other.notifications.list_inbox({"limit": 5})["items"]] == [
            ("C-centre-1", False),
            ("C-centre-0", False),
        ]
        assert one.notifications.mark_all_read() == {"marked": 1}
        assert one.notifications.unread_count() == {"unread": 0} and other.notifications.unread_count() == {"unread": 2}
        assert demoted.notifications.list_inbox({"limit": 5})["items"] == []
        assert demoted.notifications.unread_count() == {"unread": 0}


SECOND_HANDLER = {**USERS["handler-sanitation-1"], "user_id": "handler-sanitation-2", "email": "h2@example.org"}
# the token still says sanitation (signed before the move); the service's copy of the directory says municipal
MOVED = {**USERS["handler-sanitation-1"], "department": "municipal"}


def test_a_dispatch_is_one_entry_for_the_departments_handlers_each_with_their_own_read_marks(
    container_factory, config, db, auth_keys
):
    started(container_factory, config, db, users=[SECOND_HANDLER])
    for n in range(2):
        publish(config, sample_event("case.dispatched", case_id=f"C-handlers-{n}"))
        wait_for(lambda n=n: db.inbox.count_documents({"case_id": f"C-handlers-{n}"}) == 4, message="filed")
    # one entry per dispatch for the department's two handlers, an e-mail each
    assert db.inbox.count_documents({"audience": "department_handlers:sanitation"}) == 2
    assert db.inbox.count_documents({"user_id": {"$in": ["handler-sanitation-1", "handler-sanitation-2"]}}) == 0
    assert db.deliveries.count_documents({"channel": "email", "recipient_key": {"$regex": "^user:handler-"}}) == 4
    with (
        rpc_as(config, auth_keys, "handler-sanitation-1") as one,
        rpc_as(config, auth_keys, "handler-sanitation-2", SECOND_HANDLER) as other,
    ):
        newest = one.notifications.list_inbox({"limit": 5})["items"][0]
        assert (newest["case_id"], newest["kind"]) == ("C-handlers-1", "case.dispatched")
        one.notifications.mark_read(newest["notification_id"])
        assert one.notifications.unread_count() == {"unread": 1}
        assert other.notifications.unread_count() == {"unread": 2}
        assert [(i["case_id"], i["read"]) for i in one.notifications.list_inbox({"limit": 5})["items"]] == [
            ("C-handlers-0", False),
            ("C-handlers-1", True),
        ]
        assert other.notifications.mark_all_read() == {"marked": 2}
        assert one.notifications.unread_count() == {"unread": 1} and other.notifications.unread_count() == {"unread": 0}


def test_a_handler_moved_to_another_department_no_longer_sees_the_departments_entries(
    container_factory, config, db, auth_keys
):
    first = started(container_factory, config, db)
    publish(config, sample_event("case.dispatched", case_id="C-moved"))
    (entry,) = wait_for(
        lambda: list(db.inbox.find({"audience": "department_handlers:sanitation", "case_id": "C-moved"})),
        message="the handlers' entry",
    )
    with rpc_as(config, auth_keys, "handler-sanitation-1") as handler:
        assert [i["case_id"] for i in handler.notifications.list_inbox({"limit": 5})["items"]] == ["C-moved"]
    # the directory moves them to municipal; the service's copy has it (a replica started after the change)
    first.stop()
    users = {u["user_id"]: u for u in reference_data()["users"]["items"]} | {MOVED["user_id"]: MOVED}
    db[REFERENCE].update_one({"_id": "users"}, {"$set": {"revision": 2, "data": {"items": list(users.values())}}})
    container_factory(NotificationsService, config).start()
    with rpc_as(config, auth_keys, "handler-sanitation-1") as moved:  # the token still says sanitation
        assert moved.notifications.list_inbox({"limit": 5})["items"] == []
        assert moved.notifications.unread_count() == {"unread": 0}
        with pytest.raises(Exception, match="No notification"):
            moved.notifications.mark_read(entry["_id"])
