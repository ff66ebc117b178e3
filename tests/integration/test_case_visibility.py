"""Who may see a case, on the real store: for every combination of roles, the cases a list returns and the live
feed's backlog hold exactly the cases the check (``shared.auth.can_see_case``) admits — the check the service
applies to one case (reading it, acting on it, its files) and the gateway to each new entry of a live stream."""

from datetime import timedelta

import pytest

from services.cases import queries
from services.cases.domain.model import derived
from services.cases.storage import CaseRepository, CaseStore
from services.notifications.domain.feed import entry_for
from services.notifications.storage import NotificationRepository, NotificationStore
from shared.auth import can_see_case, case_filters
from tests.support.samples import NOW, sample_event
from tests.support.visibility import every_case, every_identity, label

CASES = every_case()
ASKED = [{}, {"grid": "G1"}, {"department": "D1"}, {"reporter": "me"}]


def _asked(case: dict, asked: dict) -> bool:
    if "grid" in asked:
        return case["grid"] == asked["grid"]
    if "department" in asked:
        return asked["department"] in [case["department"], *case["assisting_departments"]]
    if "reporter" in asked:
        return asked["reporter"] in case["reporters"]
    return True


@pytest.fixture(scope="module")
def stores(mongo_server):
    client = mongo_server.client()
    cases_db, notifications_db = client["cgt_case_visibility_cases"], client["cgt_case_visibility_notifications"]
    for db, indexes in ((cases_db, CaseStore.indexes), (notifications_db, NotificationStore.indexes)):
        for collection, models in indexes.items():
            db.drop_collection(collection)
            db[collection].create_indexes(models)
    stored = []
    for i, case in enumerate(CASES):
        doc = {
            **case,
            "_id": case["case_id"],
            "status": "accepted",
            "priority": "normal",
            "created_at": NOW - timedelta(minutes=i),
        }
        stored.append({**doc, **derived(doc)})
    cases_db.cases.insert_many(stored)
    feed = NotificationRepository(notifications_db, None)
    for case in CASES:
        feed.append_feed(entry_for(sample_event("case.accepted", **case)))
    yield CaseRepository(cases_db, None), feed
    client.close()


def test_lists_and_the_live_feed_hold_exactly_the_cases_the_check_admits(stores):
    """Every combination of roles; the store is asked once per distinct set of queries (what it answers depends on
    nothing else), and each person's answer is held against the check of that person."""
    cases, feed = stores
    answers: dict[str, set] = {}

    def answer(key, run):
        if key not in answers:
            answers[key] = run()
        return answers[key]

    for identity in every_identity():
        visible = {c["case_id"] for c in CASES if can_see_case(identity, c)}
        for asked in ASKED:
            wanted = {c["case_id"] for c in CASES if c["case_id"] in visible and _asked(c, asked)}
            try:
                found, sort = queries.build({"sort": "newest", **asked}, identity, NOW)
            except queries.NothingVisible:
                assert wanted == set(), (label(identity), asked)
                continue
            listed = answer(
                f"cases {found!r}",
                lambda found=found, sort=sort: {
                    c["_id"]
                    for c in cases.find_any(
                        [(q, queries.index_for(q)) for q in found], sort=sort, limit=len(CASES), cursor=None
                    )[0]
                },
            )
            assert listed == wanted, (label(identity), asked)
        filters = case_filters(identity)
        backlog = answer(
            f"feed {filters!r}",
            lambda filters=filters: {e["case"]["case_id"] for e in feed.feed_after(0, 10 * len(CASES), filters)},
        )
        assert backlog == visible, label(identity)
