"""The closed loop of digital urban management (docs/domain.md §4), as pure functions.

A case is a document; each transition takes the case as it was seen and returns a
``Change`` — fields to set, history entries to append, events to publish — that
storage applies only if the case is still at the version the decision was made on.
"""

from services.cases.domain.actions import ACTIONS, RATED_BY, Context, rate
from services.cases.domain.intake import apply_routing, open_case
from services.cases.domain.model import (
    DISPATCHED,
    OPEN,
    PRIORITY_RANK,
    REGISTERED,
    REPORTED,
    RESOLVED,
    Change,
)
from services.cases.domain.rules import authorize

__all__ = [
    "ACTIONS",
    "OPEN",
    "PRIORITY_RANK",
    "Change",
    "Context",
    "DISPATCHED",
    "REGISTERED",
    "REPORTED",
    "RESOLVED",
    "RATED_BY",
    "apply_routing",
    "authorize",
    "open_case",
    "rate",
]
