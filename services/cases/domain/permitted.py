"""Which actions a person may take on a case now: the who-table (``rules``) and the state check
(``actions.check_state``, preconditions included) together, so a screen offers only the buttons that would
succeed. Pure."""

from services.cases.domain.actions import ACTIONS, When, check_state
from services.cases.domain.rules import parties, party_of
from shared.auth import Identity, can_see_case
from shared.errors import WrongState


def allowed_actions(identity: Identity, case: dict, *, when: When) -> list[str]:
    """The actions ``identity`` may take on ``case`` at ``when``, in the table's order."""
    if not can_see_case(identity, case):
        return []
    allowed = []
    for name in ACTIONS:
        if not any(party_of(identity, party, case) for party in parties(name)):
            continue
        try:
            check_state(name, case, when)
        except WrongState:
            continue
        allowed.append(name)
    return allowed
