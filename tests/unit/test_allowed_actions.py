"""``allowed_actions``: the buttons a screen shows are exactly the actions that would succeed."""

import pytest

from services.cases.domain.actions import ACTIONS
from services.cases.domain.permitted import allowed_actions
from shared.errors import Forbidden, WrongState
from tests.unit.test_cases_lifecycle import (
    ADMIN,
    EXTENSION,
    HANDLER,
    LEADER,
    NOW,
    OFFICER,
    OPERATOR,
    OTHER_HANDLER,
    OTHER_OFFICER,
    SUPERVISOR,
    TABLE,
    act,
    case_in,
)

PEOPLE = [OPERATOR, SUPERVISOR, HANDLER, OTHER_HANDLER, OFFICER, LEADER, OTHER_OFFICER, ADMIN]
STATES = [("reported", {}), ("registered", {}), ("registered", {"returned": True}), ("dispatched", {}),
          ("dispatched", {"suspended": True, "suspended_at": NOW}), ("accepted", {}),
          ("accepted", {"extension": EXTENSION}), ("resolved", {}), ("resolved", {"handled_on_spot": True}),
          ("verified", {}), ("closed", {}), ("cancelled", {})]
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
    assert allowed_actions(identity, case) == expected


def test_the_operator_is_offered_register_reject_and_merge_on_a_new_case():
    assert allowed_actions(OPERATOR, case_in("reported")) == ["register", "reject", "merge", "suspend", "supervise",
                                                             "cancel", "comment"]


def test_someone_who_may_not_see_the_case_is_offered_nothing():
    assert allowed_actions(OTHER_OFFICER, case_in("resolved")) == []
    assert allowed_actions(ADMIN, case_in("reported")) == []
