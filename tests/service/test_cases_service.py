import pytest
from nameko.testing.services import worker_factory

from services.cases.domain.model import history_entry
from services.cases.service import CasesService
from shared.auth import Identity
from shared.errors import Conflict, Forbidden, NotFound, ValidationFailed, WrongState
from shared.events import SYSTEM_ACTOR
from shared.workcalendar import WorkCalendar
from tests.service.fakes import FakeCaller, FakeCases, FixedClock, reference_with
from tests.support import district
from tests.support.samples import sample_event

OPERATOR = Identity("operator1", frozenset({"operator"}))
HANDLER = Identity("h", frozenset({"handler"}), department="sanitation")


def make(identity=OPERATOR, rules=()):
    """The cases service with one case reported; ``rules``: its copy of the routing rules (none: it waits)."""
    service = worker_factory(
        CasesService,
        store=FakeCases(),
        clock=FixedClock(),
        caller=FakeCaller(identity),
        config={"REOPEN_WINDOW_DAYS": 30},
        calendar=WorkCalendar(),
        reference=reference_with(
            categories={"items": district.CATEGORIES},
            departments={"items": district.DEPARTMENTS},
            routing_rules={"items": list(rules)},
        ),
    )
    service.on_incident_reported(sample_event("incident.reported"))
    return service


@pytest.fixture
def service():
    return make()


def test_a_reported_incident_opens_one_case_whatever_the_redeliveries(service):
    service.on_incident_reported(sample_event("incident.reported"))
    assert list(service.store.cases) == ["C1"]
    assert [e.type for e in service.store.events] == ["case.reported"]


def test_an_automatic_rule_makes_the_case_born_dispatched_in_one_write_and_one_event_whatever_the_redeliveries():
    service = make(rules=district.ROUTING_RULES)
    service.on_incident_reported(sample_event("incident.reported"))  # redelivered
    case = service.store.cases["C1"]
    assert (case["status"], case["department"], case["version"]) == ("dispatched", "sanitation", 2)
    assert [h["action"] for h in case["history"]] == ["report", "register", "dispatch"]
    (event,) = service.store.events
    assert event.type == "case.dispatched"
    assert event.payload["registration"]["registered_by"] == "system"
    assert (event.payload["report"]["report_id"], event.payload["report"]["version"]) == ("R1", 1)
    assert [e["note"] for e in service.get_case("C1")["history"][-2:]] == ["按派遣规则 sanitation 自动办理"] * 2


def test_a_rule_that_only_suggests_opens_the_case_reported_with_its_suggestion():
    service = make(rules=[{**r, "automatic": False} for r in district.ROUTING_RULES])
    case = service.store.cases["C1"]
    assert (case["status"], case["suggestion"]) == ("reported", {"department": "sanitation", "rule_id": "sanitation"})
    assert [e.type for e in service.store.events] == ["case.reported"]


def test_an_incident_waits_until_the_routing_rules_reached_the_service():
    from shared.errors import ServiceUnavailable

    service = make()
    service.reference = reference_with(categories={"items": district.CATEGORIES})
    with pytest.raises(ServiceUnavailable):
        service.on_incident_reported(sample_event("incident.reported", case_id="C2", report_id="R2"))
    assert "C2" not in service.store.cases


def test_where_the_directory_never_had_a_routing_rule_every_case_is_opened_for_the_operators():
    service = make()
    service.reference = reference_with(categories={"items": district.CATEGORIES})
    service.reference.never_made("routing_rules")  # its snapshot said revision 0
    service.on_incident_reported(sample_event("incident.reported", case_id="C2", report_id="R2"))
    assert (service.store.cases["C2"]["status"], service.store.cases["C2"]["suggestion"]) == ("reported", None)


def test_a_routing_decision_still_in_flight_from_an_older_dispatch_dispatches_the_case_once(service):
    decision = sample_event("routing.decided")
    service.on_routing_decided(decision)
    service.on_routing_decided(decision)  # redelivered
    case = service.store.cases["C1"]
    assert case["status"] == "dispatched" and case["version"] == 2
    # one decision, one event: the dispatch carries the registration (its history still has both stages)
    assert [e.type for e in service.store.events] == ["case.reported", "case.dispatched"]
    assert service.store.events[-1].payload["registration"]["registered_by"] == "system"
    assert [h["action"] for h in case["history"]] == ["report", "register", "dispatch"]
    rule = decision.payload["rule_id"]
    assert [e["note"] for e in service.get_case("C1")["history"][-2:]] == [f"按派遣规则 {rule} 自动办理"] * 2


def test_a_lost_race_on_an_event_is_retried_on_the_fresh_case(service):
    service.store.conflicts_to_simulate = 2
    service.on_routing_decided(sample_event("routing.decided"))
    assert service.store.cases["C1"]["status"] == "dispatched"


def test_a_routing_decision_for_a_case_no_longer_reported_changes_nothing(service):
    service.store.cases["C1"]["status"] = "cancelled"
    service.on_routing_decided(sample_event("routing.decided"))
    assert service.store.cases["C1"]["status"] == "cancelled"
    assert len(service.store.events) == 1


def test_an_operator_registers_and_gets_the_case_back(service):
    answer = service.act("C1", "register", {"note": "real"})
    assert (answer["status"], answer["version"]) == ("registered", 2)
    assert service.store.cases["C1"]["status"] == "registered"


def test_a_stale_version_is_a_conflict_and_changes_nothing(service):
    with pytest.raises(Conflict):
        service.act("C1", "register", {"version": 7})
    assert service.store.cases["C1"]["status"] == "reported"


def test_a_lost_race_on_an_action_is_a_conflict_not_an_overwrite(service):
    service.store.conflicts_to_simulate = 1
    with pytest.raises(Conflict, match="same moment"):
        service.act("C1", "register", {})


def test_the_wrong_state_is_a_conflict(service):
    with pytest.raises(WrongState, match="reported"):
        service.act("C1", "dispatch", {"department": "sanitation"})


def test_an_unknown_action_is_not_found(service):
    with pytest.raises(NotFound, match="Actions:"):
        service.act("C1", "teleport", {})


def test_bad_params_name_the_field(service):
    with pytest.raises(ValidationFailed) as refused:
        service.act("C1", "reject", {"reason": ""})
    assert "reason" in refused.value.details["fields"]


def test_a_reporter_reads_their_report_made_outside_their_grid():
    elsewhere = Identity("officer-1", frozenset({"grid_officer"}), grids=frozenset({"610102002001003"}))
    service = make(elsewhere)
    assert service.get_case("C1")["reporters"] == ["officer-1"]
    assert service.timeline("C1")
    service.caller = FakeCaller(Identity("officer-2", frozenset({"grid_officer"}), grids=elsewhere.grids))
    with pytest.raises(Forbidden):
        service.get_case("C1")


def test_a_handler_cannot_touch_a_case_not_theirs():
    with pytest.raises(Forbidden):
        make(HANDLER).act("C1", "register", {})


def test_a_missing_case_is_not_found_only_for_those_who_could_see_any():
    with pytest.raises(NotFound):
        make().get_case("C404")
    officer = Identity("officer-1", frozenset({"grid_officer"}), grids=frozenset({"610102001001001"}))
    with pytest.raises(Forbidden):
        make(officer).get_case("C404")


def test_a_case_read_or_acted_on_says_which_actions_the_reader_may_take_now(service):
    assert service.get_case("C1")["allowed_actions"] == [
        "register",
        "reject",
        "merge",
        "suspend",
        "supervise",
        "cancel",
        "comment",
    ]
    after_register = service.act("C1", "register", {})
    assert after_register["allowed_actions"] == ["merge", "dispatch", "suspend", "supervise", "cancel", "comment"]


def test_a_case_in_a_list_carries_its_location_for_the_map(service):
    from shared.api.cases import CaseSummarySchema

    summary = CaseSummarySchema().dump(service.store.cases["C1"])
    assert set(summary["location"]) == {"lat", "lon"}
    assert summary["reported_at"]


def test_the_platforms_notes_in_a_timeline_are_worded_in_the_readers_language_and_old_ones_stay_readable(service):
    case = service.store.cases["C1"]
    old = history_entry(
        case,
        0,
        action="escalate",
        to_status=None,
        actor=SYSTEM_ACTOR,
        at=case["created_at"],
        note="rung 1: warning",
        rung=1,
    )  # as stored before notes were kept by key
    case["history"].append(old)
    case["history"].append(
        history_entry(
            case,
            0,
            action="escalate",
            to_status=None,
            actor=SYSTEM_ACTOR,
            at=case["created_at"],
            note_key="note.escalated",
            note_params={"rung": 2, "rung_name": "overdue"},
            rung=2,
        )
    )
    chinese = service.get_case("C1")["history"][-2:]
    assert [e["note"] for e in chinese] == ["rung 1: warning", "第2级升级：超时"]
    assert chinese[1]["note_key"] == "note.escalated" and chinese[1]["note_params"]["rung_name"] == "overdue"
    service.caller = FakeCaller(Identity("operator2", frozenset({"operator"}), language="en"))
    assert service.timeline("C1")[-1]["note"] == "Escalation rung 2: overdue"


ADMIN = Identity("admin", frozenset({"admin"}))


def _with_policy_named_by(category_code: str | None):
    categories = [{**c, "escalation_policy": "roads"} if c["code"] == category_code else c for c in district.CATEGORIES]
    service = worker_factory(
        CasesService,
        store=FakeCases(),
        clock=FixedClock(),
        caller=FakeCaller(ADMIN),
        config={},
        calendar=WorkCalendar(),
        reference=reference_with(categories={"items": categories}, departments={"items": district.DEPARTMENTS}),
    )
    service.store.save_policy({"policy_id": "roads", "rungs": []})
    return service


def test_an_administrator_deletes_a_policy_no_category_uses():
    service = _with_policy_named_by(None)
    assert service.delete_escalation_policy("roads") == {"deleted": "roads"}
    with pytest.raises(NotFound):
        service.delete_escalation_policy("roads")


def test_a_policy_a_category_names_or_the_default_cannot_be_deleted():
    code = district.CATEGORIES[0]["code"]
    service = _with_policy_named_by(code)
    with pytest.raises(Conflict) as caught:
        service.delete_escalation_policy("roads")
    assert caught.value.details == {"categories": [code]}
    with pytest.raises(Conflict):
        service.delete_escalation_policy("default")
    assert service.store.policy("roads") and service.store.policy("default")  # neither deleted


def test_only_administrators_delete_policies():
    service = make(OPERATOR)
    with pytest.raises(Forbidden):
        service.delete_escalation_policy("default")
