"""``allowed_actions``: the buttons a screen shows are exactly the actions that would succeed."""

from datetime import timedelta

import pytest

from services.cases import domain
from services.cases.domain.actions import ACTIONS, When
from services.cases.domain.permitted import allowed_actions
from shared.auth import Identity
from shared.errors import Forbidden, WrongState
from tests.support.ids import counting
from tests.support.samples import CATEGORIES, sample_event
from tests.unit.test_cases_lifecycle import (
    ADMIN,
    CALENDAR,
    EXTENSION,
    HANDLER,
    HEAD,
    LEADER,
    NOW,
    OFFICER,
    OPERATOR,
    OTHER_HANDLER,
    OTHER_OFFICER,
    POLICY,
    SUPERVISOR,
    TABLE,
    act,
    case_in,
)

# the case's reporter (samples: officer-1), an officer of another grid: sees the case, takes no step in it
REPORTER_ELSEWHERE = Identity("officer-1", frozenset({"grid_officer"}), grids=frozenset({"610102002001003"}))
PEOPLE = [OPERATOR, SUPERVISOR, HANDLER, HEAD, OTHER_HANDLER, OFFICER, LEADER, OTHER_OFFICER, REPORTER_ELSEWHERE, ADMIN]
STATES = [
    ("reported", {}),
    ("registered", {}),
    ("registered", {"returned": True}),
    ("dispatched", {}),
    ("dispatched", {"suspended": True, "suspended_at": NOW}),
    ("accepted", {}),
    ("accepted", {"extension": EXTENSION}),
    ("resolved", {}),
    ("resolved", {"handled_on_spot": True}),
    ("verified", {}),
    ("closed", {}),
    ("cancelled", {}),
]
_PARAMS = {row[0]: row[3] for row in TABLE} | {"merge": {"target_case_id": "C" + "1" * 26}}


def _succeeds(action, case, identity) -> bool:
    if action == "merge":  # needs a second case; who and state decide as for register
        action = "register" if case["status"] == "reported" else "dispatch"
        if case["status"] not in ("reported", "registered"):
            return False
    try:
        act(case, action, _PARAMS[action], identity)
    except (Forbidden, WrongState):
        return False
    return True


@pytest.mark.parametrize("status, fields", STATES, ids=[f"{s}{'+' if f else ''}{'/'.join(f)}" for s, f in STATES])
@pytest.mark.parametrize("identity", PEOPLE, ids=lambda i: i.user_id)
def test_allowed_actions_are_exactly_those_that_succeed(identity, status, fields):
    case = case_in(status, **fields)
    expected = [a for a in ACTIONS if _succeeds(a, case, identity)]
    assert allowed_actions(identity, case, when=When(NOW)) == expected


def test_the_operator_is_offered_register_reject_and_merge_on_a_new_case():
    assert allowed_actions(OPERATOR, case_in("reported"), when=When(NOW)) == [
        "register",
        "reject",
        "merge",
        "suspend",
        "supervise",
        "cancel",
        "comment",
    ]


def test_someone_who_may_not_see_the_case_is_offered_nothing():
    assert allowed_actions(OTHER_OFFICER, case_in("resolved"), when=When(NOW)) == []
    assert allowed_actions(ADMIN, case_in("reported"), when=When(NOW)) == []


# -- every state a case can reach, for everyone ------------------------------------------------------------------
# The table above names states by hand, and missed those no hand-made case is in: a case handled on the spot has
# never had a department, so closed it has none to go back to. Here the states are the ones the actions reach,
# from both kinds of report, and each is looked at soon after and long after its last step.


def _opened(**payload):
    case, _ = domain.open_case(
        sample_event("incident.reported", **payload),
        rules=[],
        category=CATEGORIES["sanitation"],
        now=NOW,
        calendar=CALENDAR,
        policy=POLICY,
        ids=counting(),
    )
    return case


REPORTS = {
    "reported": _opened(),
    "handled on the spot": _opened(handled_on_spot=True, attachments=["P" + "0" * 26], result_note="已清理"),
}
SOON, LONG_AFTER = timedelta(hours=1), timedelta(days=31)
_MERGE_TARGET = {**case_in("dispatched"), "_id": "C" + "1" * 26}
_MORE_PARAMS = {"verify": [{"passed": False, "note": "still dirty"}]}


def _attempts(action):
    return [_PARAMS[action], *_MORE_PARAMS.get(action, [])]


def _outcome(case, action, params, identity, now):
    """The case after the action, or None when the service would refuse it."""
    try:
        after_, _, _ = act(case, action, params, identity, now=now, target=_MERGE_TARGET)
    except (Forbidden, WrongState):
        return None
    return after_


def _shape(case):
    """What decides which actions fit; cases of one shape are offered the same."""
    return (
        case["status"],
        case.get("department") is None,
        case.get("returned_by") is None,
        case.get("returned"),
        bool(case.get("suspended")),
        (case.get("extension") or {}).get("status"),
        case.get("handled_on_spot"),
    )


def _reachable():
    seen, frontier, reached = set(), [(name, case) for name, case in REPORTS.items()], []
    while frontier:
        path, case = frontier.pop(0)
        if _shape(case) in seen:
            continue
        seen.add(_shape(case))
        reached.append((path, case))
        now = case["updated_at"] + SOON
        for action in ACTIONS:
            for identity in PEOPLE:
                for params in _attempts(action):
                    after_ = _outcome(case, action, params, identity, now)
                    if after_ is not None:
                        frontier.append((f"{path} > {action}", after_))
    return reached


REACHABLE = _reachable()


def test_the_walk_reaches_the_states_hand_made_cases_miss():
    shapes = {_shape(case) for _, case in REACHABLE}
    assert ("closed", True, True, False, False, None, True) in shapes  # handled on the spot, then closed
    assert len(shapes) >= 15


@pytest.mark.parametrize("later", [SOON, LONG_AFTER], ids=["soon after", "long after"])
@pytest.mark.parametrize("path, case", REACHABLE, ids=[path for path, _ in REACHABLE])
@pytest.mark.parametrize("identity", PEOPLE, ids=lambda i: i.user_id)
def test_every_reachable_state_offers_exactly_what_succeeds(identity, path, case, later):
    now = case["updated_at"] + later
    succeeds = [a for a in ACTIONS if any(_outcome(case, a, p, identity, now) is not None for p in _attempts(a))]
    assert allowed_actions(identity, case, when=When(now)) == succeeds
