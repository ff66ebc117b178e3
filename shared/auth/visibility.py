"""Who may see a case: one rule, read two ways. Pure.

The command centre and supervision see every case (``cases.read_all``). Anyone else sees
a case through a scope: its grid, to that grid's officers and leader; its departments (lead
or assisting), to their handlers and head; its reporters, to whoever reported it (or a report
merged into it), in any role and wherever it is. A person holding several roles sees through
all of theirs.

``can_see_case`` reads the rule for a case in hand (a stored case, an event's facts, a feed
entry); ``case_filters`` says it as database queries, one flat query per scope — equality or
``$in`` on one field, which its own index answers — so the store runs one per scope and
merges the pages: the case lists (``services/cases/queries.py``), the live feed's backlog
(``services/notifications``). Both come from ``SCOPES``, so they cannot disagree; a test runs
both over every combination of roles on the real store (``tests/integration/test_case_visibility.py``).
"""

from collections.abc import Callable
from dataclasses import dataclass

from shared.auth.identity import Identity
from shared.auth.policy import DEPARTMENT_HEAD, GRID_LEADER, GRID_OFFICER, HANDLER, may


@dataclass(frozen=True)
class Scope:
    field: str  # the case's field, flat as stored and as the feed keeps it: a value or a list of values
    roles: frozenset[str] | None  # who sees through it; None: anyone
    values: Callable[[Identity], frozenset]  # what of theirs the field must hold
    several: bool = False  # a person may hold several (grids): asked as ``$in`` whatever their number


SCOPES = (
    Scope("grid", frozenset({GRID_OFFICER, GRID_LEADER}), lambda i: frozenset(i.grids), several=True),
    Scope("departments", frozenset({HANDLER, DEPARTMENT_HEAD}), lambda i: frozenset({i.department}) - {None}),
    Scope("reporters", None, lambda i: frozenset({i.user_id})),
)


def sees_every_case(identity: Identity) -> bool:
    return may(identity, "cases.read_all")


def _scopes(identity: Identity) -> list[tuple[Scope, list]]:
    """Each scope ``identity`` sees through, with the values of theirs its field must hold."""
    found = []
    for scope in SCOPES:
        if scope.roles is not None and not identity.has_any(scope.roles):
            continue
        values = scope.values(identity)
        if values:
            found.append((scope, sorted(values)))
    return found


def _held(case: dict, field: str) -> set:
    """What ``case`` holds in ``field``. ``departments`` is the stored, flattened copy of the lead and assisting
    departments (``services/cases/domain/model.derived``, the feed's entries): read here from what it copies, which
    every case in hand carries (an event's facts carry nothing else)."""
    if field == "departments":
        return {d for d in [case.get("department"), *(case.get("assisting_departments") or ())] if d}
    value = case.get(field)
    return set(value) if isinstance(value, list | tuple | set | frozenset) else {value} - {None}


def can_see_case(identity: Identity, case: dict) -> bool:
    if sees_every_case(identity):
        return True
    return any(_held(case, scope.field) & set(values) for scope, values in _scopes(identity))


def case_filters(identity: Identity) -> list[dict]:
    """The queries of the cases ``identity`` may see: a case matching any of them is visible ([{}]: every case;
    []: none). Each is flat and names one field."""
    if sees_every_case(identity):
        return [{}]
    return [{scope.field: {"$in": values} if scope.several else values[0]} for scope, values in _scopes(identity)]
