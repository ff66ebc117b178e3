"""Messages that can go now are sent at once by the process that filed them, on the real bus, store and SMTP
server, with the courier's scan switched off (it runs once an hour here): no scan, yet every message arrives,
each once, and the scan finds nothing left to take."""

# ruff: noqa: F811 - the tests take the imported fixtures by name
import eventlet
import pytest

# the notifications service on the real store, its SMTP server and its database, with this module's config
from tests.integration.test_notifications import USERS, db, deliveries, publish, scan, service, smtp  # noqa: F401
from tests.support.infra import wait_for
from tests.support.samples import sample_event


@pytest.fixture
def config(service_config, smtp):
    return {
        **service_config,
        "EMAIL_TRANSPORT": "smtp",
        "SMTP_HOST": "127.0.0.1",
        "SMTP_PORT": smtp.port,
        "SMTP_SECURITY": "none",
        "DELIVERY_SCAN_SECONDS": 3600,
        "DIGEST_THRESHOLD": 3,
        "DIGEST_WINDOW_SECONDS": 60,
    }


def test_mail_goes_out_at_once_each_once_and_leaves_the_scan_nothing(service, config, db, smtp):
    publish(config, sample_event("case.dispatched", case_id="C-at-once"))
    zh, en = USERS["handler-sanitation-1"]["email"], USERS["head-sanitation"]["email"]
    wait_for(lambda: smtp.to(zh) and smtp.to(en), message="both e-mails, without a scan")
    mails = wait_for(
        lambda: (d := deliveries(db, case_id="C-at-once")) and all(m["state"] == "delivered" for m in d) and d,
        message="recorded as delivered",
    )
    assert [len(m["attempts"]) for m in mails] == [1, 1]
    assert all("claim" not in m for m in mails)  # the claim it was filed with is settled
    assert scan(service) == 0
    assert len(smtp.to(zh)) == len(smtp.to(en)) == 1


def test_a_redelivered_event_sends_nothing_twice(service, config, db, smtp):
    event = sample_event("case.dispatched", case_id="C-at-once-again")
    for _ in range(3):
        publish(config, event)
    wait_for(lambda: len(smtp.messages()) == 2, message="the two e-mails")
    eventlet.sleep(0.5)  # the redeliveries have been handled too
    assert db.feed.count_documents({"event_id": event.event_id}) == 1
    assert len(smtp.messages()) == 2


def test_a_burst_is_held_for_a_digest_and_only_the_first_messages_go_at_once(service, config, db, smtp):
    handler = USERS["handler-sanitation-1"]["email"]
    for n in range(5):
        publish(config, sample_event("case.dispatched", case_id=f"C-at-once-storm-{n}"))
        wait_for(lambda n=n: deliveries(db, case_id=f"C-at-once-storm-{n}"), message="filed in turn")
    wait_for(lambda: len(smtp.to(handler)) == 3, message="the first three at once")
    mails = deliveries(db, recipient_key="user:handler-sanitation-1")
    assert sorted(d["state"] for d in mails) == ["delivered"] * 3 + ["held"] * 2
