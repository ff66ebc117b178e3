"""The indicators' read model, fed by real events, equals a recomputation from the cases' raw history."""

import base64
from zoneinfo import ZoneInfo

import pytest

from services.cases.service import CasesService
from services.dispatch.service import DispatchService
from services.indicators import domain
from services.indicators.service import IndicatorsService
from services.reporting.service import ReportingService
from shared.api.stats import DIMENSIONS
from tests.support import district
from tests.support.files import image_bytes
from tests.support.infra import wait_for

TZ = ZoneInfo("Asia/Shanghai")
PHOTO = base64.b64encode(image_bytes("PNG")).decode()


@pytest.fixture
def platform(runner_factory, service_config, seeded_directory, rpc_as):
    runner = runner_factory(service_config, ReportingService, CasesService, DispatchService, IndicatorsService)
    runner.start()
    with rpc_as("operator1") as operator:
        wait_for(
            lambda: all(
                all(operator_service.health()["reference"].values())
                for operator_service in (operator.reporting, operator.cases, operator.dispatch, operator.indicators)
            ),
            timeout=20,
            message="copies",
        )
    return rpc_as


def _dispute(officer, col):
    return officer.reporting.submit_report(
        {"category": "dispute", "description": "纠纷", "attributes": {}, "location": district.centre(col)}
    )["case_id"]


def _walk(rpc, case_id, steps):
    for who, action, body in steps:
        if body == "photo":
            photo = rpc[who].cases.upload_attachment(case_id, "p.png", PHOTO)["attachment_id"]
            body = {"note": "done", "attachments": [photo]}
        rpc[who].cases.act(case_id, action, body)


PATHS = {
    "closed on time": [
        ("op", "register", {}),
        ("op", "dispatch", {"department": "sanitation"}),
        ("h", "accept", {}),
        ("h", "resolve", "photo"),
        ("o", "verify", {"passed": True, "note": "ok"}),
        ("op", "close", {}),
    ],
    "reworked": [
        ("op", "register", {}),
        ("op", "dispatch", {"department": "sanitation"}),
        ("h", "accept", {}),
        ("h", "resolve", "photo"),
        ("o", "verify", {"passed": False, "note": "no"}),
        ("h", "accept", {}),
        ("h", "resolve", "photo"),
        ("o", "verify", {"passed": True, "note": "ok"}),
        ("op", "close", {}),
    ],
    "extended": [
        ("op", "register", {}),
        ("op", "dispatch", {"department": "municipal"}),
        ("hm", "accept", {}),
        ("hm", "request_extension", {"reason": "parts", "hours": 8}),
        ("sup", "approve_extension", {}),
    ],
    "suspended": [
        ("op", "register", {}),
        ("op", "dispatch", {"department": "sanitation"}),
        ("op", "suspend", {"reason": "owner away"}),
    ],
    "returned": [
        ("op", "register", {}),
        ("op", "dispatch", {"department": "municipal"}),
        ("hm", "return", {"reason": "not ours"}),
    ],
    "cancelled": [
        ("op", "register", {}),
        ("op", "dispatch", {"department": "sanitation"}),
        ("sup", "cancel", {"reason": "prank"}),
    ],
    "rejected": [("op", "reject", {"reason": "not a problem"})],
}
# A drain a routing rule registers and dispatches to municipal in one decision, announced by one event.
ROUTED = [
    ("hm", "accept", {}),
    ("hm", "resolve", "photo"),
    ("o", "verify", {"passed": True, "note": "ok"}),
    ("op", "close", {}),
]


def test_the_read_model_equals_a_recomputation_from_raw_history(platform, mongo_server, db_prefix):
    people = {
        "op": "operator1",
        "h": "handler-sanitation-1",
        "hm": "handler-municipal-1",
        "o": "officer-1",
        "sup": "supervisor",
    }
    with platform("officer-1") as officer:
        case_ids = [_dispute(officer, 0) for _ in PATHS]
        routed = officer.reporting.submit_report(
            {
                "category": "drainage",
                "description": "下水道堵塞",
                "attributes": {"severity": "flooding"},
                "location": district.centre(0),
            }
        )["case_id"]
    clients = {k: platform(v) for k, v in people.items()}
    rpc = {k: c.__enter__() for k, c in clients.items()}
    try:
        for case_id in case_ids:
            wait_for(lambda cid=case_id: _exists(rpc["op"], cid), message="case opened")
        for case_id, steps in zip(case_ids, PATHS.values(), strict=True):
            _walk(rpc, case_id, steps)
        wait_for(lambda: (_exists(rpc["op"], routed) or {}).get("status") == "dispatched", message="routed")
        _walk(rpc, routed, ROUTED)
        cases = list(mongo_server.client()[f"{db_prefix}cases"].cases.find({"_id": {"$in": [*case_ids, routed]}}))

        def expected(dimension):
            return _recompute(cases, dimension)

        for dimension in DIMENSIONS:
            want = expected(dimension)
            got = wait_for(
                lambda d=dimension, w=want: _rows(rpc["op"], d) == w and _rows(rpc["op"], d),
                timeout=20,
                message=f"{dimension} settled",
            )
            assert got == want
        district_row = expected("district")["all"]
        # due: closed on time, reworked, extended, suspended, routed — not the returned, cancelled or rejected ones
        assert (district_row["due"], district_row["closed"], district_row["deferred"]) == (5, 3, 1)
        assert (district_row["failed_check"], district_row["extended"]) == (1, 1)
    finally:
        for client in clients.values():
            client.__exit__(None, None, None)


def _exists(rpc, case_id):
    try:
        return rpc.cases.get_case(case_id)
    except Exception:
        return None


FIGURES = (
    "reported",
    "due",
    "deferred",
    "closed",
    "closed_on_time",
    "dispatched",
    "extended",
    "checked",
    "failed_check",
    "on_time_closure_rate",
    "closure_rate",
    "rework_rate",
    "extension_rate",
    "disposal_mean_hours",
    "disposal_p90_hours",
    "verification_mean_hours",
)


def _rows(rpc, dimension):
    table = rpc.indicators.indicators(dimension, {"period": "quarter"})
    return {row["key"]: {f: row[f] for f in FIGURES} for row in table["rows"] if row["reported"] or row["due"]}


def _recompute(cases, dimension):
    """From the cases' own history, with the definitions — not the code path — of the read model."""
    totals: dict[str, dict[str, float]] = {}
    for case in cases:
        snapshot = {
            "status": case["status"],
            "deadline": case.get("deadline"),
            "suspended": case.get("suspended"),
            **{d: case.get(d) for d in DIMENSIONS[1:]},
        }
        for counter, fields in domain.contributions(snapshot, domain.transitions_from_history(case), TZ).items():
            counted_dimension, key, _day = counter.split("|")
            if counted_dimension != dimension:
                continue
            target = totals.setdefault(key, {})
            for field, amount in fields.items():
                target[field] = target.get(field, 0) + amount
    return {
        key: {f: domain.figures(sums)[f] for f in FIGURES}
        for key, sums in totals.items()
        if sums.get("reported") or sums.get("due")
    }


def test_events_committed_together_count_exactly_as_one_by_one(mongo_server):
    """The group commit's batch (two cases interleaved, one event delivered twice) gives the same counters and
    facts as taking each event in its own transaction."""
    from services.indicators.storage import COUNTERS, FACTS, IndicatorRepository, IndicatorStore
    from tests.support.infra import unique_name
    from tests.unit.test_cases_lifecycle import case_in
    from tests.unit.test_indicators import STEPS, run

    _, first = run(case_in(), STEPS)
    _, second = run({**case_in(), "_id": "C" + "9" * 26}, STEPS[:6])
    interleaved = [e for pair in zip(first, second, strict=False) for e in pair] + first[len(second) :]
    client = mongo_server.client()
    try:

        def repository():
            db = client[unique_name("cgt_indicators_batch")]
            for collection, models in IndicatorStore.indexes.items():
                db[collection].create_indexes(models)
            return IndicatorRepository(db, None), db

        one_by_one, db_one = repository()
        for event in interleaved:
            assert one_by_one.record(event, TZ)
        assert not one_by_one.record(first[0], TZ)  # taken before

        together, db_batch = repository()
        assert together.record_many(interleaved[:5] + [interleaved[2]], TZ) == 5
        assert together.record_many(interleaved[5:] + [first[0]], TZ) == len(interleaved) - 5

        def state(db):
            counters = {d.pop("_id"): d for d in db[COUNTERS].find()}
            facts = {d["_id"]: (d["contributions"], d["open"], sorted(d["transitions"])) for d in db[FACTS].find()}
            return counters, facts

        assert state(db_batch) == state(db_one)
        assert state(db_one)[0]  # something was counted
    finally:
        for name in client.list_database_names():
            if name.startswith("cgt_indicators_batch"):
                client.drop_database(name)
        client.close()


def test_facts_stored_before_contributions_were_packed_count_on_exactly(mongo_server):
    """A case's fact document keeps its contributions packed in one string; facts stored earlier, as an array of
    triples, are read as they are and packed at the case's next event: the counters end as if every event had been
    taken by this version."""
    import json

    from services.indicators.storage import COUNTERS, FACTS, IndicatorRepository, IndicatorStore
    from tests.support.infra import unique_name
    from tests.unit.test_cases_lifecycle import case_in
    from tests.unit.test_indicators import STEPS, run

    _, events = run(case_in(), STEPS)
    client = mongo_server.client()
    try:

        def repository():
            db = client[unique_name("cgt_indicators_packed")]
            for collection, models in IndicatorStore.indexes.items():
                db[collection].create_indexes(models)
            return IndicatorRepository(db, None), db

        throughout, db_new = repository()
        assert throughout.record_many(events, TZ) == len(events)

        upgraded, db_old = repository()
        assert upgraded.record_many(events[:5], TZ) == 5
        for fact in db_old[FACTS].find():  # as the version before stored it
            earlier = json.loads(fact["contributions"])
            assert earlier and isinstance(earlier[0], list)
            db_old[FACTS].update_one({"_id": fact["_id"]}, {"$set": {"contributions": earlier}})
        assert not upgraded.record(events[2], TZ)  # taken before, read from the earlier layout
        assert upgraded.record_many(events[5:], TZ) == len(events) - 5

        def state(db):
            counters = {d.pop("_id"): d for d in db[COUNTERS].find()}
            facts = {d["_id"]: (d["contributions"], d["open"], sorted(d["transitions"])) for d in db[FACTS].find()}
            return counters, facts

        assert state(db_old) == state(db_new)
        (packed,) = [d["contributions"] for d in db_new[FACTS].find()]
        assert isinstance(packed, str) and json.loads(packed)
    finally:
        for name in client.list_database_names():
            if name.startswith("cgt_indicators_packed"):
                client.drop_database(name)
        client.close()
