"""The rules behind Open311 in the services: the public's reports (reporting), what a case shows everyone
(cases), who screens them (dispatch), and the apps' keys (directory)."""

from datetime import UTC, datetime, timedelta

import pytest

from services.cases.domain.open311 import public_view, status_notes
from services.cases.domain.routing import unseen
from services.directory.domain import apikeys
from services.reporting.domain import public
from shared.errors import UnknownCategory, ValidationFailed

NOW = datetime(2026, 12, 6, 10, 0, tzinfo=UTC)
WINDOW = timedelta(minutes=10)
RUBBISH = {
    "code": "sanitation",
    "name_zh": "环境卫生",
    "name_en": "Sanitation",
    "public": True,
    "attributes": [
        {"code": "kinds", "datatype": "multivaluelist", "values": [{"key": "a"}, {"key": "b"}]},
        {"code": "bags", "datatype": "number"},
        {"code": "note", "datatype": "string"},
    ],
}


# -- reporting ---------------------------------------------------------------------------------


def test_only_public_active_categories_take_the_publics_reports():
    categories = {
        "sanitation": RUBBISH,
        "dispute": {"code": "dispute", "public": False},
        "old": {"code": "old", "public": True, "active": False},
    }
    assert public.check_public_category("sanitation", categories) is RUBBISH
    for code in ("dispute", "old", "nothing"):
        with pytest.raises(UnknownCategory):
            public.check_public_category(code, categories)


def test_form_values_take_the_categorys_datatypes():
    typed = public.typed_attributes({"kinds": "a", "bags": "3", "note": ["kept as text"]}, RUBBISH)
    assert typed == {"kinds": ["a"], "bags": 3, "note": "kept as text"}
    assert public.typed_attributes({"bags": "2.5"}, RUBBISH) == {"bags": 2.5}
    assert public.typed_attributes({"bags": "many"}, RUBBISH) == {"bags": "many"}  # left for the check to refuse
    with pytest.raises(ValidationFailed):
        public.typed_attributes({"note": ["one", "two"]}, RUBBISH)


def test_a_report_without_a_description_is_named_by_its_category():
    given = {"category": "sanitation", "location": {"lat": 1.0, "lon": 2.0}, "description": None}
    assert public.submission_of(given, RUBBISH)["description"] == "环境卫生"


def test_a_retry_is_the_same_app_device_and_content_within_the_window():
    submission = public.submission_of({"location": {"lat": 1.0, "lon": 2.0}, "description": "x"}, RUBBISH)
    keys = public.dedup_keys("public:K1", "d1", submission, {}, now=NOW, window=WINDOW)
    assert len(keys) == 2 and keys == public.dedup_keys("public:K1", "d1", submission, {}, now=NOW, window=WINDOW)
    later = public.dedup_keys("public:K1", "d1", submission, {}, now=NOW + WINDOW, window=WINDOW)
    assert later[1] == keys[0]  # just after a boundary the previous window is still looked at
    assert public.dedup_keys("public:K2", "d1", submission, {}, now=NOW, window=WINDOW)[0] != keys[0]
    assert public.dedup_keys("public:K1", "d2", submission, {}, now=NOW, window=WINDOW)[0] != keys[0]
    assert (
        public.dedup_keys("public:K1", "d1", submission, {"media_url": "https://x/p.jpg"}, now=NOW, window=WINDOW)[0]
        != keys[0]
    )
    assert public.dedup_keys("public:K1", None, submission, {}, now=NOW, window=WINDOW) == []
    assert public.is_recent_retry({"received_at": NOW - WINDOW}, now=NOW, window=WINDOW)
    assert not public.is_recent_retry({"received_at": NOW - WINDOW * 2}, now=NOW, window=WINDOW)


def test_contact_details_stay_out_of_what_the_case_shows():
    given = {"address": "东新街", "media_url": None, "contact": {"email": "x@example.cn", "phone": None}}
    assert public.public_facts(given) == {"address": "东新街", "media_url": None}
    assert public.contact_of(given, "acct", "dev") == {
        "email": "x@example.cn",
        "account_id": "acct",
        "device_id": "dev",
    }
    assert public.reporter_of("app:K1") == "public:K1"


# -- cases ---------------------------------------------------------------------------------------


def entry(action, note=None, **extra):
    return {"action": action, "note": note, **extra}


def test_status_notes_are_public_replies_and_the_note_that_closed_or_rejected_it():
    history = [
        entry("report"),
        entry("comment", "internal"),
        entry("comment", "we are on it", public=True),
        entry("resolve", "worker's note"),
    ]
    assert status_notes({"status": "resolved", "history": history}, "zh-CN") == "we are on it"
    closed = history + [entry("close", "fixed")]
    assert status_notes({"status": "closed", "history": closed}, "zh-CN") == "fixed"
    silent = history[:2] + [entry("close", None)]
    assert status_notes({"status": "closed", "history": silent}, "zh-CN") is None
    rejected = [entry("report"), entry("reject", "not a problem")]
    assert status_notes({"status": "rejected", "history": rejected}, "zh-CN") == "not a problem"
    reopened = closed + [entry("reopen", "still broken")]
    assert status_notes({"status": "dispatched", "history": reopened}, "zh-CN") == "we are on it"
    assert status_notes({"status": "reported", "history": [entry("comment", "internal")]}, "zh-CN") is None
    merged = {"status": "merged", "merged_into": "C2", "history": [entry("merge", "dup")]}
    assert "C2" in status_notes(merged, "en")


def test_the_public_view_has_the_specifications_fields_and_nothing_personal():
    case = {
        "_id": "C1",
        "status": "dispatched",
        "category": "sanitation",
        "description": "rubbish",
        "department": "sanitation",
        "reporter": "public:K1",
        "reporters": ["public:K1"],
        "reported_at": NOW,
        "updated_at": NOW,
        "deadline": NOW + timedelta(days=1),
        "location": {"lat": 34.2, "lon": 108.9},
        "address": "东新街",
        "media_url": None,
        "history": [],
        "attributes": {"note": "x"},
        "grid": "G1",
    }
    view = public_view(
        case,
        categories={"sanitation": RUBBISH},
        departments={"sanitation": {"name_zh": "环卫所", "name_en": "Sanitation office"}},
        language="zh-CN",
    )
    assert view == {
        "service_request_id": "C1",
        "status": "open",
        "status_notes": None,
        "service_name": "环境卫生",
        "service_code": "sanitation",
        "description": "rubbish",
        "agency_responsible": "环卫所",
        "service_notice": None,
        "requested_datetime": NOW.isoformat(),
        "updated_datetime": NOW.isoformat(),
        "expected_datetime": (NOW + timedelta(days=1)).isoformat(),
        "address": "东新街",
        "address_id": None,
        "zipcode": None,
        "lat": 34.2,
        "long": 108.9,
        "media_url": None,
    }
    assert (
        public_view({**case, "status": "cancelled"}, categories={}, departments={}, language="en")["status"] == "closed"
    )


# -- dispatch ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "rule, source, expected",
    [
        ({"automatic": True}, "field", True),
        ({"automatic": True}, None, True),
        ({"automatic": True}, "public", False),
        ({"automatic": True, "dispatch_public_reports": True}, "public", True),
        ({"automatic": False, "dispatch_public_reports": True}, "public", False),
    ],
)
def test_the_publics_reports_are_screened_unless_a_rule_lets_them_through(rule, source, expected):
    assert unseen(rule, source) is expected


# -- directory -----------------------------------------------------------------------------------


def test_a_key_is_kept_as_its_hash_and_recognised_by_its_prefix():
    key = apikeys.make_key()
    assert key.startswith("cg311_") and len(key) > 40 and key != apikeys.make_key()
    document = apikeys.new_key_document(
        {"app": "随手拍", "rate_limit_per_minute": 30}, api_key=key, created_by="U1", now=NOW
    )
    assert document["hash"] == apikeys.key_hash(key) and key not in document.values()
    assert key.startswith(document["prefix"]) and len(document["prefix"]) < len(key) // 3
    listed = apikeys.listed(document)
    assert "hash" not in listed and listed["key_id"] == document["_id"] and listed["revoked_at"] is None
    assert (
        apikeys.window_of(NOW)
        == apikeys.window_of(NOW + timedelta(seconds=59))
        != apikeys.window_of(NOW + timedelta(seconds=60))
    )
