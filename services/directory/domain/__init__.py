"""Rules of the reference data. Pure: no I/O, time passed in.

events.py      the event announcing each kind's change, and the grid map's import
users.py       a person's public profile, when their tokens stop counting, the last administrator
places.py      a grid's community and street, and a person's grids
references.py  what a category, routing rule or person names must exist
signin.py      failed sign-ins counted per username and per client network
passwords.py   Argon2 hashing of passwords
apikeys.py     Open311 API keys: made, hashed, counted per minute
gridmap/       the grid map as GeoJSON: parsed, checked, exported
demo/          the generated demo district (same seed, same district)
"""

from services.directory.domain.events import KIND_EVENT, changed_event, event_factory, map_event, map_event_factory
from services.directory.domain.places import grids_of, place_of, with_places
from services.directory.domain.references import check_category, check_routing_rule, check_user
from services.directory.domain.signin import client_key, throttled
from services.directory.domain.users import (
    PUBLIC_USER_FIELDS,
    REFERENCE_USER_FIELDS,
    active_administrators,
    check_an_administrator_remains,
    public_user,
    reference_user,
    tokens_revoked_at,
)

__all__ = [
    "KIND_EVENT",
    "PUBLIC_USER_FIELDS",
    "REFERENCE_USER_FIELDS",
    "active_administrators",
    "changed_event",
    "check_an_administrator_remains",
    "check_category",
    "check_routing_rule",
    "check_user",
    "client_key",
    "event_factory",
    "grids_of",
    "map_event",
    "map_event_factory",
    "place_of",
    "public_user",
    "reference_user",
    "throttled",
    "tokens_revoked_at",
    "with_places",
]
