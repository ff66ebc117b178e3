"""Every filter of the case list is answered from an index (``tests.support.plans``), and answered right."""

from datetime import UTC, datetime

import pytest

from services.cases import queries
from services.cases.storage import INDEX_OF, CaseRepository, CaseStore, _leading
from shared.auth import Identity
from tests.support.plans import answering_index

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
    db.cases.insert_many([
        {"_id": f"C{i:026d}", "status": ("reported", "dispatched", "closed")[i % 3], "category": "sanitation",
         "grid": f"G{i % 7}", "community": f"M{i % 5}", "street": f"S{i % 3}", "department": "sanitation",
         "departments": ["sanitation"], "assisting_departments": [], "priority": "normal", "priority_rank": 2, "reporters": [f"u{i % 11}"],
         "deadline": NOW, "created_at": NOW, "supervised": i % 4 == 0}
        for i in range(300)
    ])
    return CaseRepository(db, None)



FILTERS = [{}, {"status": "dispatched"}, {"category": "sanitation"}, {"grid": "G1"}, {"community": "M1"},
           {"street": "S1"}, {"department": "sanitation"}, {"priority": "normal"}, {"overdue": True},
           {"supervised": True}, {"reporter": "u1"}, {"created_from": NOW}, {"status": "reported,registered"}]


@pytest.mark.parametrize("identity", [OPERATOR, OFFICER, HANDLER], ids=["operator", "officer", "handler"])
@pytest.mark.parametrize("filters", FILTERS, ids=[",".join(f) or "none" for f in FILTERS])
def test_the_case_list_never_scans_the_collection(repository, identity, filters):
    try:
        query, sort = queries.build({"sort": "newest", **filters}, identity, NOW)
    except queries.NothingVisible:
        return  # no query is run at all
    field = queries.index_for(query)
    sent = _leading(query, field)
    assert answering_index(sent, INDEX_OF.values())[0][0] == field, sent  # the most selective clause leads


def test_a_filter_outside_the_callers_scope_runs_no_query():
    with pytest.raises(queries.NothingVisible):
        queries.build({"grid": "G9"}, OFFICER, NOW)
    with pytest.raises(queries.NothingVisible):
        queries.build({"department": "police"}, HANDLER, NOW)


def test_the_answers_are_right_not_only_fast(repository):
    query, sort = queries.build({"grid": "G1", "status": "dispatched"}, OPERATOR, NOW)
    found, _ = repository.find(query, sort=sort, limit=500, cursor=None, index=queries.index_for(query))
    expected = [i for i in range(300) if i % 7 == 1 and i % 3 == 1]
    assert sorted(c["_id"] for c in found) == sorted(f"C{i:026d}" for i in expected)


def test_the_duplicate_search_at_intake_uses_its_index(mongo_server):
    from datetime import timedelta

    from services.reporting.storage import CASE_INDEX, NEARBY_INDEX, ReportRepository

    db = mongo_server.client()["cgt_case_queries_reporting"]
    db[CASE_INDEX].create_index(NEARBY_INDEX)
    db[CASE_INDEX].insert_many([{"_id": f"C{i}", "category": "sanitation", "open": i % 2 == 0,
                                 "location": {"lat": 34 + i / 1000, "lon": 108 if i % 5 else 109},
                                 "reported_at": NOW if i % 3 else NOW - timedelta(days=3)}
                                for i in range(100)])
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
    facts = {"case_id": "C1", "category": "sanitation", "grid": "G1", "department": None,
             "assisting_departments": [], "location": {"lat": 34.0, "lon": 108.0}}
    assert repository.track_case({**facts, "status": "dispatched", "department": "sanitation", "version": 3})
    assert not repository.track_case({**facts, "status": "reported", "version": 1}, reported_at=NOW)
    view = repository.case_view("C1")
    assert (view["status"], view["department"], view["version"], view["reported_at"]) == (
        "dispatched", "sanitation", 3, NOW)
