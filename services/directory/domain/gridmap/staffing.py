"""Who answers for a grid, and how many households it has."""

import re

from shared.fields import ID_PATTERN

from .faults import (
    BAD_HOUSEHOLDS,
    BAD_PROPERTY,
    NO_OFFICER,
    UNKNOWN_LEADER,
    UNKNOWN_OFFICER,
    Notes,
)

_USER_ID = re.compile(ID_PATTERN)


def is_user_id(value: object) -> bool:
    return isinstance(value, str) and _USER_ID.match(value) is not None


def read_officers(props: dict, notes: Notes, known_users: set[str] | None) -> list[str]:
    officers = notes.require(props, "officers", "list the user ids of its grid officers")
    if officers is None:
        return []
    if not isinstance(officers, list) or not all(is_user_id(o) for o in officers):
        notes.add(
            BAD_PROPERTY,
            f"{notes.subject}: 'officers' must be a list of user ids, not {officers!r}.",
        )
        return []
    if not officers:
        notes.add(
            NO_OFFICER,
            f"{notes.subject} has no officer; every grid needs at least one grid officer.",
        )
    if len(set(officers)) != len(officers):
        notes.add(BAD_PROPERTY, f"{notes.subject} lists an officer twice in {officers!r}; list each once.")
    unknown = sorted(set(officers) - known_users) if known_users is not None else []
    if unknown:
        notes.add(
            UNKNOWN_OFFICER,
            f"{notes.subject} names officers who are not users: {', '.join(unknown)}; "
            "create them first or correct the ids.",
        )
    return list(officers)


def read_leader(props: dict, notes: Notes, known_users: set[str] | None) -> str | None:
    leader = props.get("leader")
    if leader is None:
        return None
    if not is_user_id(leader):
        notes.add(BAD_PROPERTY, f"{notes.subject}: 'leader' must be a user id or null, not {leader!r}.")
        return None
    if known_users is not None and leader not in known_users:
        notes.add(
            UNKNOWN_LEADER,
            f"{notes.subject} names a leader who is not a user: {leader}; create the user first or correct the id.",
        )
    return leader


def read_households(props: dict, notes: Notes) -> int:
    households = notes.require(props, "households", "give the number of households in it")
    if households is None:
        return 0
    count = _count(households)
    if count is None:
        notes.add(
            BAD_HOUSEHOLDS,
            f"{notes.subject}: 'households' must be a whole number, 0 or more, not {households!r}.",
        )
        return 0
    return count


def _count(value: object) -> int | None:
    if isinstance(value, bool):
        return None
    # GIS tools sometimes write whole numbers as 300.0; that is still a count.
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return value if isinstance(value, int) and value >= 0 else None
