"""Who may take which action on a case: the parties of ``shared.api.case_actions.ACTIONS``, decided for a person
and a case. Pure."""

from shared.api.case_actions import ACTIONS, Party
from shared.auth import Identity, can_see_case
from shared.errors import Forbidden

# action -> the names of the parties that may take it (docs/domain.md §4's table is checked against it)
WHO = {name: {p.name for p in spec.parties} for name, spec in ACTIONS.items()}


def party_of(identity: Identity, party: Party, case: dict) -> bool:
    if not identity.has_any(party.roles):
        return False
    if party.of_the_case == "department":
        return identity.department is not None and identity.department == case.get("department")
    if party.of_the_case == "grid":
        return case.get("grid") in identity.grids
    return True


def parties(action: str) -> list[Party]:
    """The parties that may take ``action``, in the order a person belonging to several is recorded as acting."""
    return sorted(ACTIONS[action].parties, key=lambda p: p.name)


def authorize(action: str, identity: Identity, case: dict) -> dict:
    """The actor (``{user_id, role, name}``) acting, or ``Forbidden`` saying who may."""
    if not can_see_case(identity, case):
        raise Forbidden.of("case.not_visible")
    for party in parties(action):
        if party_of(identity, party, case):
            return identity.actor(next(role for role in party.roles if role in identity.roles))
    raise Forbidden.of("case.only_party", who=ACTIONS[action].who, action=action.replace("_", " "))
