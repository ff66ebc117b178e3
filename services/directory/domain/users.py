"""People: what others see of them, when their tokens stop counting, and that an administrator remains."""

import math
from datetime import datetime

from shared.auth.policy import ADMIN
from shared.errors import LastAdministrator

PUBLIC_USER_FIELDS = ("user_id", "username", "name", "roles", "department", "language", "phone", "email", "active")


# What every service's copy holds of a person: the public profile, and from when their tokens count
# (epoch seconds; a token signed earlier is refused: shared.auth.principal).
REFERENCE_USER_FIELDS = (*PUBLIC_USER_FIELDS, "tokens_valid_from")


def public_user(user: dict) -> dict:
    return {field: user.get(field) for field in PUBLIC_USER_FIELDS}


def reference_user(user: dict) -> dict:
    return {field: user.get(field) for field in REFERENCE_USER_FIELDS}


def tokens_revoked_at(now: datetime) -> float:
    """The ``tokens_valid_from`` that revokes every token signed up to ``now``: tokens carry milliseconds,
    (``shared.auth.tokens.signing_moment``), so one signed within the same millisecond counts as before it —
    and one signed a moment later, after a reactivation, counts."""
    return (math.floor(now.timestamp() * 1000) + 1) / 1000  # as signing_moment counts, one millisecond on


def active_administrators(users: list[dict]) -> set[str]:
    return {u["user_id"] for u in users if u.get("active", True) and ADMIN in (u.get("roles") or ())}


def check_an_administrator_remains(before: list[dict], after: list[dict]) -> None:
    """Refuse a change that deactivates or demotes the last active administrator (none would be left to undo it)."""
    if active_administrators(before) and not active_administrators(after):
        raise LastAdministrator.of("user.last_administrator", {"rule": "an_active_administrator_remains"})
