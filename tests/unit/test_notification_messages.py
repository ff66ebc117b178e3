"""What notifications say: every event in both languages, escaped HTML, digests, the plan of what is filed."""

import dataclasses
import sys
from datetime import timedelta

import pytest

from services.notifications.domain import audiences, planning, rules
from services.notifications.domain.digest import BurstRule
from services.notifications.domain.messages import Messages
from shared.events.stages import stages
from tests.support.ids import counting
from tests.support.notify import reference
from tests.support.samples import NOW, sample_event

REFERENCE = reference()
MESSAGES = Messages("https://grid.example.cn")
BURST = BurstRule(threshold=3, window=timedelta(seconds=60))


@pytest.mark.parametrize("language", ["zh-CN", "en"])
@pytest.mark.parametrize("event_type", list(rules.RULES))
def test_every_event_reads_well_in_both_languages(event_type, language):
    message = MESSAGES.render(sample_event(event_type), language, REFERENCE, {rules.REPORTERS})
    assert "C1" in message.subject and message.subject.strip() == message.subject
    assert "https://grid.example.cn/cases/C1" in message.text and message.sms  # the web app's case page
    assert "None" not in message.text and "{{" not in message.text
    assert len(message.sms) <= 160


def test_the_message_names_category_place_deadline_and_link_in_the_readers_language():
    event = sample_event("case.dispatched", grid="610102001001001")
    zh = MESSAGES.render(event, "zh-CN", REFERENCE)
    en = MESSAGES.render(event, "en", REFERENCE)
    assert "环境卫生" in zh.subject and "一社区 第1网格" in zh.text and "2026年11月23日 17:00 (UTC+8)" in zh.text
    assert "Environmental sanitation" in en.subject and "23 Nov 2026, 17:00 (UTC+8)" in en.text
    assert "环卫所" in zh.text and "Environmental sanitation" in en.text


def test_an_escalation_names_its_rung_in_the_readers_language():
    subjects, bodies = MESSAGES.titles(sample_event("case.escalated", rung=2, rung_name="overdue"), REFERENCE)
    assert "已升级到第2级（超时）" in bodies["zh-CN"] and "overdue" not in bodies["zh-CN"]
    assert "escalation rung 2 (overdue)" in bodies["en"]


def test_an_unknown_language_falls_back_to_chinese():
    assert MESSAGES.render(sample_event("case.closed"), "fr", REFERENCE).subject.startswith("案件")


def test_peoples_words_are_escaped_in_html_but_kept_in_text():
    event = sample_event("case.commented", text="<script>alert(1)</script> & more")
    message = MESSAGES.render(event, "en", REFERENCE)
    assert "<script>" not in message.html and "&lt;script&gt;" in message.html
    assert "<script>alert(1)</script> & more" in message.text


def test_a_digest_lists_what_it_stands_for():
    items = [{"subject": f"New case C{i}", "link": f"https://x/C{i}"} for i in range(12)]
    message = MESSAGES.digest(items, "en")
    assert message.subject == "12 new notifications" and "New case C11" in message.text
    assert MESSAGES.digest(items, "zh-CN").subject == "您有 12 条新通知"
    assert "more" not in message.text


def test_a_digest_of_many_lists_the_first_and_counts_the_rest():
    items = [{"subject": f"New case C{i}", "link": f"https://x/C{i}"} for i in range(3)]
    message = MESSAGES.digest(items, "en", count=40)
    assert message.subject == "40 new notifications" and message.sms.startswith("40 new notifications")
    assert "New case C2" in message.text and "and 37 more: see your inbox" in message.text
    assert "and 37 more" in message.html
    chinese = MESSAGES.digest(items, "zh-CN", count=40)
    assert chinese.subject == "您有 40 条新通知" and "另有 37 条，请查看收件箱" in chinese.text


def chosen_for(event, webhooks=frozenset({"sanitation"})):
    addressed = audiences.address(event, audiences.people_of(REFERENCE), [])
    return audiences.choose_channels(addressed, event.type, {}, set(webhooks))


def plan_of(event, *, chosen=None, reference=REFERENCE, recent=None):
    """The plan for ``event``: to everyone the rules name by default, ids counted from 1."""
    return planning.plan(
        event,
        chosen_for(event) if chosen is None else chosen,
        messages=MESSAGES,
        reference=reference,
        recent=recent or {},
        burst=BURST,
        now=NOW,
        ids=counting(),
    )


def test_the_plan_files_one_entry_per_recipient_and_channel_with_a_key_that_survives_redelivery():
    event = sample_event("case.dispatched")
    first = plan_of(event)
    again = plan_of(event)
    assert sorted(d["dedup_key"] for d in first.inbox + first.deliveries) == sorted(
        d["dedup_key"] for d in again.inbox + again.deliveries
    )
    assert {(d["recipient_key"], d["channel"]) for d in first.deliveries} == {
        ("department:sanitation", "webhook"),
        ("user:handler-sanitation-1", "email"),
        ("user:head-sanitation", "email"),
    }
    department = next(e for e in first.inbox if e.get("department") == "sanitation")
    assert department["role"] == "lead" and "环境卫生" in department["title"]["zh-CN"]
    head_mail = next(d for d in first.deliveries if d["recipient_key"] == "user:head-sanitation")
    assert head_mail["language"] == "en" and head_mail["message"]["subject"].startswith("New case")


def test_a_webhook_body_carries_the_case_and_its_message():
    event = sample_event("case.dispatched")
    plan = plan_of(event)
    (hook,) = [d for d in plan.deliveries if d["channel"] == "webhook"]
    assert hook["body"]["delivery_id"] == hook["_id"] and hook["body"]["case"]["case_id"] == "C1"
    assert hook["body"]["case"]["deadline"] == "2026-11-23T09:00:00+00:00"
    assert set(hook["body"]["message"]) == {"zh-CN", "en"}


def test_beyond_the_threshold_a_message_is_held_for_the_digest():
    event = sample_event("case.dispatched")
    recent = {("user:handler-sanitation-1", "email"): 3}
    plan = plan_of(event, recent=recent)
    states = {d["recipient_key"]: (d["state"], d["due_at"]) for d in plan.deliveries if d["channel"] == "email"}
    # until the end of the handler's own window for e-mail: within the minute after now
    state, due = states["user:handler-sanitation-1"]
    assert state == "held" and NOW < due <= NOW + timedelta(seconds=60)
    assert due == BurstRule(5, timedelta(seconds=60)).window_end(NOW, "user:handler-sanitation-1/email")
    assert states["user:head-sanitation"] == ("pending", NOW)


def test_urgent_cases_are_never_held_back():
    event = sample_event("case.dispatched", priority="urgent")
    recent = {("user:handler-sanitation-1", "email"): 100}
    plan = plan_of(event, recent=recent)
    assert {d["state"] for d in plan.deliveries} == {"pending"}


def test_a_person_without_an_address_gets_a_skipped_delivery_that_says_why():
    from tests.service.fakes import reference_with
    from tests.support.notify import reference_data

    data = reference_data()
    data["users"]["items"] = [{**u, "email": None} for u in data["users"]["items"]]
    ref = reference_with(**data)
    event = sample_event("case.dispatched")
    addressed = audiences.address(event, audiences.people_of(ref), [])
    plan = plan_of(event, chosen=audiences.choose_channels(addressed, event.type, {}, set()), reference=ref)
    assert {(d["state"], d["error"]) for d in plan.deliveries} == {("skipped", "no e-mail address")}


def test_a_plan_follows_from_its_input_alone_ids_too():
    event = dataclasses.replace(sample_event("case.rejected", reporters=["officer-2"]), event_id="E1")
    addressed = audiences.address(event, audiences.people_of(REFERENCE), [])
    chosen = audiences.choose_channels(addressed, event.type, {}, set())
    plan = planning.plan(
        event, chosen, messages=MESSAGES, reference=REFERENCE, recent={}, burst=BURST, now=NOW, ids=counting()
    )
    case = {"case_id": "C1", "correlation_id": "X1", "created_at": NOW}
    assert plan == planning.Plan(
        inbox=[
            {
                "_id": "N00000000000000000000000001",
                "dedup_key": "E1:user:officer-2:inbox",
                "kind": "case.rejected",
                "recipient": {"kind": "user", "id": "officer-2"},
                **case,
                "title": {"zh-CN": "您上报的 C1 不予立案", "en": "Your report C1 was not registered"},
                "body": {
                    "zh-CN": "您在西一路街道 一社区 第1网格上报的环境卫生问题不予立案。原因：not a problem",
                    "en": "Your Environmental sanitation report in 西一路街道 一社区 第1网格 was not registered. "
                    "Reason: not a problem",
                },
                "link": "https://grid.example.cn/cases/C1",
                "priority": "normal",
                "deadline": NOW,
                "read": False,
                "read_at": None,
                "event_occurred_at": NOW,
                "user_id": "officer-2",
            }
        ],
        deliveries=[
            {
                "_id": "D00000000000000000000000002",
                "dedup_key": "E1:user:officer-2:email",
                "event_id": "E1",
                "event_type": "case.rejected",
                **case,
                "recipient": {"kind": "user", "id": "officer-2"},
                "recipient_key": "user:officer-2",
                "channel": "email",
                "language": "en",
                "urgent": False,
                "state": "pending",
                "due_at": NOW,
                "tries": 0,
                "attempts": [],
                "message": dataclasses.asdict(MESSAGES.render(event, "en", REFERENCE, {rules.REPORTERS})),
                "target": "officer-2@example.org",
            }
        ],
    )


def _told(plans):
    """(recipient, channel, kind) of everything the plans file: what people are told, whatever the ids."""
    return sorted(
        (d["recipient"]["kind"], d["recipient"]["id"], d.get("channel", "inbox"), d.get("event_type") or d["kind"])
        for p in plans
        for d in p.inbox + p.deliveries
    )


def test_an_automatic_dispatch_tells_everyone_the_registration_and_the_dispatch_told_and_nobody_twice():
    from tests.support.samples import REGISTRATION

    event = sample_event("case.dispatched", registration=REGISTRATION)
    registered, dispatched = stages(event)
    assert (registered.type, registered.event_id, dispatched) == (
        "case.registered",
        f"{event.event_id}:registered",
        event,
    )
    assert (registered.payload["report_id"], registered.payload["registered_by"]) == ("R1", "system")
    assert "registration" not in registered.payload and "decided_by" not in registered.payload
    as_before = [sample_event("case.registered", status="dispatched"), sample_event("case.dispatched")]
    now = [plan_of(s) for s in (registered, dispatched)]
    assert _told(now) == _told(plan_of(e) for e in as_before)
    assert ("department", "sanitation", "inbox", "case.dispatched") in _told(now)  # once: in the dispatch's plan
    assert ("user", "officer-1", "inbox", "case.registered") in _told(now)  # its reporter: 立案
    keys = [d["dedup_key"] for p in now for d in p.inbox + p.deliveries]
    assert len(keys) == len(set(keys))  # the two stages' keys never meet, and survive redelivery (ids from the event)


def test_every_other_event_is_its_own_only_stage():
    for event in (sample_event("case.dispatched"), sample_event("case.registered"), sample_event("case.closed")):
        assert stages(event) == [event]


class _PerAudience(Messages):
    """Renders every message once per audience set, whether or not its template asks why its reader is told."""

    def reads_audiences(self, event_type):
        return True


@pytest.mark.parametrize("event_type", list(rules.RULES))
def test_a_message_rendered_once_for_every_audience_says_what_one_per_audience_would(event_type, monkeypatch):
    event = sample_event(event_type, reporters=["officer-1"])
    once = plan_of(event)
    monkeypatch.setattr(sys.modules[__name__], "MESSAGES", _PerAudience("https://grid.example.cn"))
    per_audience = plan_of(event)
    assert once == per_audience


def test_only_a_template_that_asks_why_its_reader_is_told_is_rendered_per_audience():
    asking = [t for t in rules.RULES if MESSAGES.reads_audiences(t)]
    assert asking == ["case.closed"]
    closed = sample_event("case.closed", reporters=["officer-1"])
    assert MESSAGES.titles(closed, REFERENCE, {rules.REPORTERS})[0]["zh-CN"].startswith("您上报的")
    assert MESSAGES.titles(closed, REFERENCE, {rules.DEPARTMENT})[0]["zh-CN"].startswith("案件")
