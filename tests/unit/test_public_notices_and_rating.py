"""Telling the public what became of their report, and their rating (回访): the pure rules in reporting,
notifications, cases and the gateway's page."""

from datetime import UTC, datetime, timedelta

import pytest

from gateway import rating_page
from services.cases import domain
from services.cases.domain.actions import Context
from services.cases.domain.open311 import status_notes
from services.notifications import courier
from services.notifications.domain import public
from services.notifications.domain.delivery import Outcome
from services.notifications.domain.messages import RATING_LINK_MARK, Messages
from services.reporting.domain import notices
from shared.events import new_event
from shared.events.stages import stages
from tests.support.ids import counting
from tests.support.notify import reference
from tests.support.samples import CATEGORIES, NOW
from tests.unit.test_cases_lifecycle import CALENDAR, DEPARTMENTS, POLICY, case_in

CONTACT = {"email": "resident@example.cn", "phone": "+86 139 0000 0000", "first_name": "Wang"}


def case_event(event_type, **extra):
    facts = {
        "case_id": "C" + "1" * 26,
        "version": 3,
        "status": event_type.split(".")[1],
        "category": "sanitation",
        "priority": "normal",
        "source": "public",
        **extra,
    }
    return new_event(event_type, facts, producer="cases", occurred_at=NOW, correlation_id="X1")


REPORT = {"_id": "R" + "2" * 26, "case_id": "C" + "1" * 26, "contact": CONTACT, "language": "en"}


# -- reporting: the notice names the report, never the address ----------------------------------------------------


def test_a_notice_carries_channels_language_and_a_capability_never_the_contact():
    kept, event = notices.notice_for(
        case_event("case.rejected", reason="not ours"), REPORT, language="en", now=NOW, rating_days=7
    )
    p = event.payload
    assert (p["channels"], p["language"], p["reason"], p["rating"]) == (["email", "sms"], "en", "not ours", False)
    flat = repr(p)
    assert not any(value in flat for value in CONTACT.values())
    assert kept["capability"] == notices.digest(p["capability"]) and p["capability"] not in repr(kept)
    assert notices.capability_fits({"notices": [kept]}, kept["notice_id"], p["capability"]) == kept
    assert notices.capability_fits({"notices": [kept]}, kept["notice_id"], "guess") is None


def test_only_a_closing_asks_for_a_rating_and_only_reachable_reporters_are_told():
    _, closed = notices.notice_for(
        case_event("case.closed", note="fixed"), REPORT, language="zh-CN", now=NOW, rating_days=7
    )
    assert (closed.payload["rating"], closed.payload["note"], closed.payload["rating_days"]) == (True, "fixed", 7)
    assert notices.channels_of({"phone": "123"}) == ["sms"] and notices.channels_of({"first_name": "x"}) == []


def test_a_rating_link_is_open_once_until_it_expires():
    token = notices.new_rating_token(REPORT["_id"])
    assert notices.report_of_token(token) == REPORT["_id"] and notices.report_of_token("nonsense") is None
    rating = {"tokens": {"email": notices.digest(token)}, "rated_at": None, "expires_at": NOW + timedelta(days=7)}
    report = {**REPORT, "rating": rating}
    assert notices.rating_state(report, token, NOW) == "open"
    assert notices.rating_state(report, token + "x", NOW) == "unknown"
    assert notices.rating_state(report, token, NOW + timedelta(days=8)) == "expired"
    assert notices.rating_state({**report, "rating": {**rating, "rated_at": NOW}}, token, NOW) == "used"


# -- notifications: filed without an address, sent to one asked for -----------------------------------------------


def notice(about="case.closed", **extra):
    _, event = notices.notice_for(case_event(about, note="已清理"), REPORT, language="zh-CN", now=NOW, rating_days=7)
    return event


MESSAGES = Messages("https://grid.example.cn")


def test_a_public_notice_is_one_delivery_per_channel_with_no_target():
    event = notice()
    docs = public.deliveries(event, MESSAGES, reference(), NOW, counting())
    assert [(d["channel"], d["target"], d["recipient"]["kind"]) for d in docs] == [
        ("email", None, "public"),
        ("sms", None, "public"),
    ]
    assert "已办结" in docs[0]["message"]["subject"] and "已清理" in docs[0]["message"]["text"]
    assert RATING_LINK_MARK in docs[0]["message"]["text"] and RATING_LINK_MARK in docs[0]["message"]["html"]
    assert "/cases/" not in docs[0]["message"]["text"]  # no link into the staff's app


def test_a_rejection_says_why_in_the_reporters_language():
    _, event = notices.notice_for(
        case_event("case.rejected", reason="不属于受理范围"), REPORT, language="en", now=NOW, rating_days=7
    )
    (email, _sms) = public.deliveries(event, MESSAGES, reference(), NOW, counting())
    assert email["message"]["subject"].startswith("Your report was not registered")
    assert "不属于受理范围" in email["message"]["text"] and RATING_LINK_MARK not in email["message"]["text"]


class _Sent:
    def __init__(self):
        self.mail, self.sms = [], []
        self.email = self
        self.sms_channel = self

    def send(self, target, message, headers=None):
        if isinstance(message, dict):
            self.mail.append((target, message))
        else:
            self.sms.append((target, message))
        return Outcome(True)


class _Channels:
    def __init__(self):
        self.sent = _Sent()
        self.email = self.sent
        self.sms = self.sent


def test_the_courier_asks_for_the_address_sends_and_records_no_target():
    (email, sms) = public.deliveries(notice(), MESSAGES, reference(), NOW, counting())
    channels = _Channels()
    target, outcome = courier.send(email, channels, None, MESSAGES, lambda d: ("resident@example.cn", "R1.tok"))
    assert target is None and outcome.ok
    ((to, message),) = channels.sent.mail
    assert to == "resident@example.cn"
    assert "https://grid.example.cn/rate/R1.tok?lang=zh-CN" in message["text"]
    assert 'href="https://grid.example.cn/rate/R1.tok?lang=zh-CN"' in message["html"]
    assert RATING_LINK_MARK in email["message"]["text"]  # the stored message keeps only the mark
    target, outcome = courier.send(sms, channels, None, MESSAGES, lambda d: None)
    assert target is None and outcome.final and not outcome.ok  # the contact is gone: skipped, with the reason


# -- cases: the rating on the record, and an unsatisfied one reopening by policy ----------------------------------


def rated(rating, **extra):
    return {"report_id": REPORT["_id"], "rating": rating, "comment": "还是很脏", "rated_at": NOW, **extra}


def ctx(now):
    return Context(
        actor=domain.RATED_BY,
        now=now,
        categories=CATEGORIES,
        departments=DEPARTMENTS,
        calendar=CALENDAR,
        policy=POLICY,
        ids=counting(),
    )


def test_a_rating_goes_on_the_timeline_and_reopens_only_by_policy():
    closed = case_in("closed")
    change = domain.rate(closed, rated("unsatisfied"), ctx(NOW + timedelta(days=1)), reopens=False)
    assert [e.type for e in change.events] == ["case.rated"]
    assert change.set_fields["public_rating"]["rating"] == "unsatisfied" and "status" not in change.set_fields
    (entry,) = change.history
    assert (entry["action"], entry["rating"], entry["note"]) == ("rate", "unsatisfied", "还是很脏")

    change = domain.rate(closed, rated("unsatisfied"), ctx(NOW + timedelta(days=1)), reopens=True)
    assert [e.type for e in change.events] == ["case.rated", "case.reworked"]
    assert change.events[0].payload["reopened"] is True and change.set_fields["status"] == "dispatched"
    assert [e["seq"] for e in change.history] == [len(closed["history"]) + 1, len(closed["history"]) + 2]

    satisfied = domain.rate(closed, rated("satisfied"), ctx(NOW + timedelta(days=1)), reopens=True)
    assert [e.type for e in satisfied.events] == ["case.rated"]
    too_late = domain.rate(closed, rated("unsatisfied"), ctx(NOW + timedelta(days=40)), reopens=True)
    assert [e.type for e in too_late.events] == ["case.rated"]


def test_the_open311_notes_show_the_rating_level_never_the_comment():
    case = {
        "status": "closed",
        "closed_at": NOW,
        "history": [
            {"action": "close", "note": "已清理"},
            {"action": "rate", "note": "还是很脏", "rating": "satisfied"},
        ],
        "public_rating": {"rating": "satisfied", "comment": "还是很脏", "at": NOW + timedelta(hours=1)},
    }
    assert status_notes(case, "zh-CN") == "已清理 市民评价：满意。"
    assert status_notes(case, "en") == "已清理 Rated by the reporter: satisfied."
    closed_again = {**case, "closed_at": NOW + timedelta(days=2)}  # reopened, closed again, not rated yet
    assert status_notes(closed_again, "zh-CN") == "已清理"


# -- the page ----------------------------------------------------------------------------------------------------


def test_the_page_is_in_the_readers_language_and_escapes_what_it_shows():
    link = {"case_id": "C1", "expires_at": datetime(2026, 12, 13, 2, 0, tzinfo=UTC), "state": "open"}
    page = rating_page.form(link, "<b>环境卫生</b>", "zh-CN", "/rate/R1.tok?lang=zh-CN")
    assert '<html lang="zh-CN">' in page and "满意" in page and "基本满意" in page and "不满意" in page
    assert "&lt;b&gt;" in page and "<b>" not in page and "2026-12-13 10:00" in page
    assert "<script" not in page and 'href="/rate/R1.tok?lang=en"' in page
    assert rating_page.language_of(None, "en-GB,en;q=0.9") == "en"
    assert rating_page.language_of("zh-CN", "en") == "zh-CN"
    assert "already been rated" in rating_page.refusal("rating.used", None, "en")


@pytest.mark.parametrize("about", notices.TOLD_OF)
def test_every_notice_has_both_languages(about):
    for language in ("zh-CN", "en"):
        extra = {
            "case.registered": {"report_id": "R1", "registered_by": "op"},
            "case.rejected": {"reason": "r"},
            "case.closed": {"note": "n"},
        }[about]
        _, event = notices.notice_for(case_event(about, **extra), REPORT, language=language, now=NOW, rating_days=7)
        (email, sms) = public.deliveries(event, MESSAGES, reference(), NOW, counting())
        assert email["message"]["subject"] and sms["message"]["sms"]


def test_a_dispatch_that_registered_the_case_tells_the_public_of_the_registration():
    registration = {"report_id": "R1", "registered_by": "system", "registered_at": NOW}
    routed = case_event(
        "case.dispatched", decided_by={"user_id": "system", "role": "system"}, registration=registration
    )
    # asked stage by stage (shared/events/stages.py): the registration it stands for is told, the dispatch is not
    registered, dispatched = stages(routed)
    assert (notices.told_of(registered), notices.told_of(dispatched)) == ("case.registered", None)
    kept, event = notices.notice_for(registered, REPORT, language="en", now=NOW, rating_days=7)
    assert kept["about"] == event.payload["about"] == "case.registered"
    assert kept["case_event_id"] == f"{routed.event_id}:registered"
    assert (event.payload["rating"], event.payload["reason"], event.payload["note"]) == (False, None, None)
    assert notices.told_of(case_event("case.dispatched", decided_by={"user_id": "op", "role": "operator"})) is None


# -- an address without coordinates -------------------------------------------------------------------------------

GRIDS = {
    "g1": {"name": "长乐社区第1网格", "community": "c1", "street": "s1"},
    "g12": {"name": "长乐社区第12网格", "community": "c1", "street": "s1"},
    "g2": {"name": "东关社区第1网格", "community": "c2", "street": "s2"},
    "x1": {"name": "东关社区第1网格", "community": "c3", "street": "s3"},
}
AREAS = {
    "c1": {"name": "长乐社区", "level": "community"},
    "c2": {"name": "东关社区", "level": "community"},
    "c3": {"name": "东关社区", "level": "community"},
    "s1": {"name": "长乐中路街道", "level": "street"},
    "s2": {"name": "西一路街道", "level": "street"},
    "s3": {"name": "韩森寨街道", "level": "street"},
}


def test_an_address_is_placed_by_the_grid_it_names():
    from services.reporting.domain.addressing import grid_of_address
    from shared.errors import Unprocessable

    assert grid_of_address("长乐社区第12网格 3号楼下", GRIDS, AREAS) == "g12"  # the longest name, not 第1网格
    assert grid_of_address("长乐社区 第1网格", GRIDS, AREAS) == "g1"  # spaces do not matter
    assert grid_of_address("韩森寨街道东关社区第1网格", GRIDS, AREAS) == "x1"  # a shared name narrowed by the street
    with pytest.raises(Unprocessable, match="several grids"):
        grid_of_address("东关社区第1网格", GRIDS, AREAS)
    with pytest.raises(Unprocessable, match="names 长乐社区 but no grid"):
        grid_of_address("长乐社区北门", GRIDS, AREAS)
    with pytest.raises(Unprocessable, match="names no grid, community or street"):
        grid_of_address("Main Street 1", GRIDS, AREAS)
