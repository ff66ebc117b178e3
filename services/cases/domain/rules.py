"""Who may take which action on a case. The table of the closed loop, as data."""

from shared.auth import Identity, can_see_case
from shared.auth.policy import (
    DEPARTMENT_HEAD,
    GRID_LEADER,
    GRID_OFFICER,
    HANDLER,
    OPERATOR,
    SUPERVISOR,
)
from shared.errors import Forbidden

COMMAND_CENTRE = "command centre"
DEPARTMENT = "department"
GRID = "grid"
SUPERVISION = "supervision"

# action -> the parties that may take it
WHO = {
    "register": {COMMAND_CENTRE},
    "reject": {COMMAND_CENTRE},
    "merge": {COMMAND_CENTRE},
    "dispatch": {COMMAND_CENTRE},
    "accept": {DEPARTMENT},
    "return": {DEPARTMENT},
    "request_extension": {DEPARTMENT},
    "approve_extension": {SUPERVISION},
    "deny_extension": {SUPERVISION},
    "suspend": {COMMAND_CENTRE, SUPERVISION},
    "resume": {COMMAND_CENTRE, SUPERVISION},
    "supervise": {COMMAND_CENTRE, SUPERVISION},
    "resolve": {DEPARTMENT},
    "verify": {GRID},
    "close": {COMMAND_CENTRE},
    "reopen": {GRID, COMMAND_CENTRE},
    "cancel": {COMMAND_CENTRE, SUPERVISION},
    "comment": {COMMAND_CENTRE, SUPERVISION, DEPARTMENT, GRID},
}

_ROLE_OF_PARTY = {COMMAND_CENTRE: OPERATOR, SUPERVISION: SUPERVISOR, DEPARTMENT: HANDLER, GRID: GRID_OFFICER}
_EXPLAIN = {
    COMMAND_CENTRE: "the command centre's operators",
    SUPERVISION: "supervisors",
    DEPARTMENT: "the handlers of the case's department",
    GRID: "the officers of the case's grid",
}


def party_of(identity: Identity, party: str, case: dict) -> bool:
    if party == COMMAND_CENTRE:
        return OPERATOR in identity.roles
    if party == SUPERVISION:
        return SUPERVISOR in identity.roles
    if party == DEPARTMENT:
        return bool(identity.roles & {HANDLER, DEPARTMENT_HEAD}) and identity.department is not None \
            and identity.department == case.get("department")
    if party == GRID:
        return bool(identity.roles & {GRID_OFFICER, GRID_LEADER}) and case.get("grid") in identity.grids
    return False


def authorize(action: str, identity: Identity, case: dict) -> dict:
    """The actor (``{user_id, role, name}``) acting, or ``Forbidden`` saying who may."""
    if not can_see_case(identity, case):
        raise Forbidden.of("case.not_visible")
    parties = WHO[action]
    for party in sorted(parties):
        if party_of(identity, party, case):
            role = _ROLE_OF_PARTY[party]
            if party == DEPARTMENT and DEPARTMENT_HEAD in identity.roles and HANDLER not in identity.roles:
                role = DEPARTMENT_HEAD
            if party == GRID and GRID_LEADER in identity.roles and GRID_OFFICER not in identity.roles:
                role = GRID_LEADER
            return identity.actor(role)
    who = " or ".join(_EXPLAIN[p] for p in sorted(parties))
    raise Forbidden.of("case.only_party", who=who, action=action.replace("_", " "))
