"""Every filter of the case list is answered from an index (``tests.support.plans``), and answered right."""

from datetime import UTC, datetime, timedelta

import pytest
from pymongo import MongoClient

from services.cases import queries
from services.cases.storage import (
    INDEX_OF,
    CaseRepository,
    CaseStore,
    _leading,
)
from shared import paging
from shared.auth import Identity
from shared.errors import ValidationFailed
from shared.windows import FIRST_WINDOW
from tests.support.plans import answering_index
from tests.support.recording import Recorder

OPERATOR = Identity("op", frozenset({"operator"}))
OFFICER = Identity("o", frozenset({"grid_officer"}), grids=frozenset({"G1"}))
HANDLER = Identity("h", frozenset({"handler"}), department="sanitation")
NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def repository(mongo_server):
    db = mongo_server.client()["cgt_case_queries_cases"]
    db.drop_collection("cases")
    for index in CaseStore.indexes["cases"]:
        db.cases.create_indexes([index])
    db.cases.insert_many(
        [
            {
                "_id": f"C{i:026d}",
                "status": ("reported", "dispatched", "closed")[i % 3],
                "category": "sanitation",
                "grid": f"G{i % 7}",
                "community": f"M{i % 5}",
                "street": f"S{i % 3}",
                "department": "sanitation",
                "departments": ["sanitation"],
                "assisting_departments": [],
                "priority": "normal",
                "priority_rank": 2,
                "reporters": [f"u{i % 11}"],
                "deadline_key": f"{i % 13:04d}|C{i:026d}",
                "priority_key": f"{i % 4}|C{i:026d}",
                "deadline": NOW,
                "created_at": NOW,
                "supervised": i % 4 == 0,
            }
            for i in range(300)
        ]
    )
    return CaseRepository(db, None)


FILTERS = [
    {},
    {"status": "dispatched"},
    {"category": "sanitation"},
    {"grid": "G1"},
    {"community": "M1"},
    {"street": "S1"},
    {"department": "sanitation"},
    {"priority": "normal"},
    {"overdue": True},
    {"supervised": True},
    {"reporter": "u1"},
    {"created_from": NOW},
    {"status": "reported,registered"},
]


@pytest.mark.parametrize("identity", [OPERATOR, OFFICER, HANDLER], ids=["operator", "officer", "handler"])
@pytest.mark.parametrize("filters", FILTERS, ids=[",".join(f) or "none" for f in FILTERS])
def test_the_case_list_never_scans_the_collection(repository, identity, filters):
    try:
        found, sort = queries.build({"sort": "newest", **filters}, identity, NOW)
    except queries.NothingVisible:
        return  # no query is run at all
    for query in found:
        field = queries.index_for(query)
        sent = _leading(query, field)
        assert answering_index(sent, INDEX_OF.values())[0][0] == field, sent  # the most selective clause leads


def test_a_filter_outside_the_callers_scope_finds_only_what_they_reported_there():
    (query,), _ = queries.build({"grid": "G9"}, OFFICER, NOW)
    assert (query["grid"], query["reporters"]) == ("G9", "o")
    (query,), _ = queries.build({"department": "police"}, HANDLER, NOW)
    assert (query["departments"], query["reporters"]) == ("police", "h")


def test_a_filter_nothing_visible_can_meet_runs_no_query():
    with pytest.raises(queries.NothingVisible):
        queries.build({"grid": "G9", "reporter": "u5"}, OFFICER, NOW)
    with pytest.raises(queries.NothingVisible):
        queries.build({"department": "police", "reporter": "u5"}, HANDLER, NOW)


def test_a_reporter_lists_everything_they_reported_wherever_it_is(repository):
    reporter = Identity("u2", frozenset({"grid_officer"}), grids=frozenset({"G1"}))
    (query,), sort = queries.build({"reporter": "u2"}, reporter, NOW)  # one query: all one's own reports
    assert answering_index(_leading(query, queries.index_for(query)), INDEX_OF.values())[0][0] == "reporters"
    found, _ = repository.find(query, sort=sort, limit=500, cursor=None, index=queries.index_for(query))
    assert sorted(c["_id"] for c in found) == [f"C{i:026d}" for i in range(300) if i % 11 == 2]
    assert {c["grid"] for c in found} > {"G1"}  # outside their grid too
    (someone_elses,), _ = queries.build({"reporter": "u3"}, reporter, NOW)
    assert someone_elses["grid"] == {"$in": ["G1"]}  # another's reports: still only those in one's grids


@pytest.mark.parametrize("sort", ["newest", "oldest", "deadline", "priority"])
@pytest.mark.parametrize("limit", [1, 7, 50])
def test_an_officers_list_is_their_grids_and_what_they_reported_anywhere_each_once(repository, sort, limit):
    officer = Identity("u2", frozenset({"grid_officer"}), grids=frozenset({"G1", "G3"}))
    ids, cursor = [], None
    found, order = queries.build({"sort": sort}, officer, NOW)
    assert len(found) == 2
    while True:
        page, cursor = repository.find_any(
            [(q, queries.index_for(q)) for q in found], sort=order, limit=limit, cursor=cursor
        )
        ids += [c["_id"] for c in page]
        if cursor is None:
            break
    expected = {f"C{i:026d}" for i in range(300) if i % 7 in (1, 3) or i % 11 == 2}
    assert len(ids) == len(expected) and set(ids) == expected


def test_the_answers_are_right_not_only_fast(repository):
    (query,), sort = queries.build({"grid": "G1", "status": "dispatched"}, OPERATOR, NOW)
    found, _ = repository.find(query, sort=sort, limit=500, cursor=None, index=queries.index_for(query))
    expected = [i for i in range(300) if i % 7 == 1 and i % 3 == 1]
    assert sorted(c["_id"] for c in found) == sorted(f"C{i:026d}" for i in expected)


def test_the_duplicate_search_at_intake_uses_its_index(mongo_server):
    from datetime import timedelta

    from services.reporting.storage import CASE_INDEX, NEARBY_INDEX, ReportRepository

    db = mongo_server.client()["cgt_case_queries_reporting"]
    db[CASE_INDEX].create_index(NEARBY_INDEX)
    db[CASE_INDEX].insert_many(
        [
            {
                "_id": f"C{i}",
                "category": "sanitation",
                "open": i % 2 == 0,
                "location": {"lat": 34 + i / 1000, "lon": 108 if i % 5 else 109},
                "reported_at": NOW if i % 3 else NOW - timedelta(days=3),
            }
            for i in range(100)
        ]
    )
    box = {"lat": (34.0, 34.01), "lon": (107.9, 108.1)}
    query = ReportRepository.nearby_query("sanitation", box)
    assert answering_index(query, [NEARBY_INDEX]) == NEARBY_INDEX and list(query) == [k for k, _ in NEARBY_INDEX]
    found = ReportRepository(db, None).open_cases_in("sanitation", box, NOW - timedelta(days=1))
    # open (even), inside the band (0..10), on the right longitude (not a multiple of 5), recent (not of 3)
    assert sorted(c["_id"] for c in found) == ["C2", "C4", "C8"]


def test_reportings_view_of_a_case_keeps_when_it_was_reported_whatever_order_the_events_come_in(mongo_server):
    from services.reporting.storage import CASE_INDEX, ReportRepository

    db = mongo_server.client()["cgt_case_queries_view"]
    db.drop_collection(CASE_INDEX)
    repository = ReportRepository(db, None)
    facts = {
        "case_id": "C1",
        "category": "sanitation",
        "grid": "G1",
        "department": None,
        "assisting_departments": [],
        "location": {"lat": 34.0, "lon": 108.0},
    }
    assert repository.track_case({**facts, "status": "dispatched", "department": "sanitation", "version": 3})
    assert not repository.track_case({**facts, "status": "reported", "version": 1}, reported_at=NOW)
    view = repository.case_view("C1")
    assert (view["status"], view["department"], view["version"], view["reported_at"]) == (
        "dispatched",
        "sanitation",
        3,
        NOW,
    )


# -- newest and oldest first, a window of time at a time ---------------------------------------------------------


def _spread_cases() -> list[dict]:
    """Cases over years, days and the last hour, some sharing a millisecond (the store keeps no finer)."""
    moments = (
        [NOW - timedelta(minutes=m) for m in range(0, 50, 2)]
        + [NOW - timedelta(days=d, minutes=7) for d in range(1, 40)]
        + [NOW - timedelta(days=400 + d) for d in range(0, 30)]
        + [NOW - timedelta(minutes=30)] * 4
        + [NOW - timedelta(days=3, minutes=7)] * 3
    )
    return [
        {
            "_id": f"C{i:026d}",
            "status": ("reported", "dispatched", "closed")[i % 3],
            "grid": f"G{i % 3}",
            "category": "sanitation",
            "departments": ["sanitation"],
            "created_at": moment,
            "stage_deadline": NOW + timedelta(days=i % 3 - 1),
            "suspended": False,
        }
        for i, moment in enumerate(moments)
    ]


@pytest.fixture(scope="module")
def spread(mongo_server):
    reads = Recorder()
    client = MongoClient(mongo_server.uri, tz_aware=True, event_listeners=[reads])
    db = client["cgt_case_queries_spread"]
    db.drop_collection("cases")
    for index in CaseStore.indexes["cases"]:
        db.cases.create_indexes([index])
    cases = _spread_cases()
    db.cases.insert_many(cases)
    yield CaseRepository(db, None), reads, cases
    client.close()


def _all_pages(repository, filters, limit, identity):
    found, sort = queries.build(filters, identity, NOW)
    ids, cursor = [], None
    while True:
        page, cursor = repository.find_any(
            [(q, queries.index_for(q)) for q in found], sort=sort, limit=limit, cursor=cursor
        )
        assert len(page) <= limit
        ids += [c["_id"] for c in page]
        if cursor is None:
            return ids


TWO_GRIDS = Identity("o2", frozenset({"grid_officer"}), grids=frozenset({"G1", "G2"}))
LISTS = [
    (OPERATOR, {}),
    (OPERATOR, {"grid": "G1"}),
    (OPERATOR, {"overdue": True}),
    (OPERATOR, {"status": "reported,dispatched"}),
    (TWO_GRIDS, {}),
    (TWO_GRIDS, {"status": "closed"}),
]


@pytest.mark.parametrize("sort", ["newest", "oldest"])
@pytest.mark.parametrize(
    ("identity", "filters"),
    LISTS,
    ids=["all", "grid", "overdue", "two-statuses", "officer-two-grids", "officer-closed"],
)
@pytest.mark.parametrize("limit", [1, 4, 7, 50, 200])
def test_newest_and_oldest_page_through_every_case_once_in_order(spread, sort, identity, filters, limit):
    repository, _, cases = spread
    found, _ = queries.build({"sort": sort, **filters}, identity, NOW)
    wanted = [c for c in cases if any(all(_matches(c, k, v) for k, v in query.items()) for query in found)]
    key = sorted(wanted, key=lambda c: (c["created_at"], c["_id"]), reverse=sort == "newest")
    assert wanted and _all_pages(repository, {"sort": sort, **filters}, limit, identity) == [c["_id"] for c in key]


def _matches(case, field, condition):
    value = case.get(field)
    if isinstance(condition, dict):
        checks = {
            "$gte": lambda b: value >= b,
            "$lte": lambda b: value <= b,
            "$lt": lambda b: value < b,
            "$in": lambda b: value in b,
        }
        return all(checks[op](bound) for op, bound in condition.items())
    return value == condition


def test_the_first_page_of_the_newest_reads_the_last_hour_not_the_collection(spread):
    repository, reads, _ = spread
    reads.reads.clear()
    (query,), sort = queries.build({}, OPERATOR, NOW)
    page, cursor = repository.find(query, sort=sort, limit=20, cursor=None, index=queries.index_for(query))
    assert len(page) == 20 and cursor
    (first,) = reads.reads  # the last hour holds 29 cases: one window filled the page
    assert first["filter"]["created_at"] == {"$lte": NOW, "$gte": NOW - FIRST_WINDOW}
    reads.reads.clear()
    page, _ = repository.find(query, sort=sort, limit=20, cursor=cursor, index=queries.index_for(query))
    assert len(page) == 20
    # the cursor's moment, the rest of the hour, then windows of 8 h, 64 h and 21 days: never the year-old cases
    windows = [f["filter"]["created_at"] for f in reads.reads]
    assert isinstance(windows[0], datetime) and all(w["$gte"] > NOW - timedelta(days=30) for w in windows[1:])


def test_a_cursor_this_api_did_not_give_out_is_a_400_naming_it(spread):
    repository, _, _ = spread
    (query,), sort = queries.build({}, OPERATOR, NOW)
    for forged in ("bm90LWEtY3Vyc29y", paging.encode("C0001"), paging.encode(["2026-11-23T09:00:00", "C1"])):
        with pytest.raises(ValidationFailed) as refused:
            repository.find(query, sort=sort, limit=5, cursor=forged, index=queries.index_for(query))
        assert refused.value.reason == paging.REASON and "cursor" in refused.value.details["fields"], refused.value
    (query,), sort = queries.build({"sort": "deadline"}, OPERATOR, NOW)
    with pytest.raises(ValidationFailed) as refused:  # a newest-first cursor is not a deadline list's
        repository.find(query, sort=sort, limit=5, cursor=paging.encode([NOW, "C1"]), index=queries.index_for(query))
    assert refused.value.reason == paging.REASON


@pytest.mark.parametrize(
    "filters",
    [
        {"created_to": datetime(9999, 12, 31, tzinfo=UTC)},
        {"created_from": datetime(1, 1, 2, tzinfo=UTC), "sort": "oldest"},
    ],
    ids=["newest-until-9999", "oldest-from-year-1"],
)
def test_dates_at_the_calendars_ends_are_answered(spread, filters):
    repository, _, cases = spread
    (query,), sort = queries.build({**filters}, OPERATOR, NOW)
    page, _ = repository.find(query, sort=sort, limit=500, cursor=None, index=queries.index_for(query))
    assert len(page) == len(cases)


def test_a_cursor_outside_the_querys_range_gives_what_the_range_holds(spread):
    repository, _, cases = spread
    (query,), sort = queries.build({}, OPERATOR, NOW)
    future = paging.encode([NOW + timedelta(days=1), "C9"])
    page, _ = repository.find(query, sort=sort, limit=500, cursor=future, index=queries.index_for(query))
    assert len(page) == len(cases)  # everything up to the range's end is older than the cursor
    past = paging.encode([datetime(2001, 1, 1, tzinfo=UTC), "C9"])
    assert repository.find(query, sort=sort, limit=5, cursor=past, index=queries.index_for(query)) == ([], None)
