"""The caller as the service that owns the data sees them now.

A token proves who is calling: the directory signed it for that person. What they
may do is the directory's *current* word, which every service keeps in its own copy
of the users (``shared.refdata``) and, where grids decide access, of the grid map.
So a deactivation, a new role or another department counts from the first request
after the copy has it, not from the person's next sign-in eight hours later.
"""

from dataclasses import dataclass

from shared.auth.identity import Identity
from shared.errors import Unauthenticated


@dataclass(frozen=True)
class Person:
    """The directory's current record of a person, as a service's copy holds it."""

    user: dict
    grids: frozenset[str] | None = None  # None: this service keeps no grid map and decides nothing by grid


def current_identity(claimed: Identity, issued_at: float, person: Person | None) -> Identity:
    """The identity to authorise: the token's person, with what the directory says of them now.

    ``issued_at`` is the token's ``iat``: a token signed before the person's ``tokens_valid_from``
    (set when the account is deactivated or an administrator replaces its password) stays refused,
    even once the account is active again.

    ``person`` is None only while the copy predates the person (users are never deleted,
    only deactivated, and a token is only issued to an active user): the token is then the
    directory's newest word.
    """
    if person is None:
        return claimed
    user = person.user
    if not user.get("active", True):
        raise Unauthenticated.of("auth.deactivated")
    if issued_at < (user.get("tokens_valid_from") or 0):
        raise Unauthenticated.of("auth.signed_out_by_admin")
    return Identity(
        user_id=claimed.user_id,
        roles=frozenset(user.get("roles") or ()),
        name=user.get("name") or claimed.name,
        grids=claimed.grids if person.grids is None else person.grids,
        department=user.get("department"),
        language=user.get("language") or claimed.language,
    )
