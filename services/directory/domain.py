"""Rules of the reference data. Pure: no I/O, time passed in."""

import ipaddress
import math
from datetime import datetime, timedelta

from shared.auth.policy import ADMIN
from shared.errors import LastAdministrator, Unprocessable
from shared.events import Event, new_event

KIND_EVENT = {
    "departments": "departments.changed",
    "categories": "categories.changed",
    "routing_rules": "routing_rules.changed",
    "users": "users.changed",
}
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


def changed_event(
    kind: str, revision: int, items: list[dict], *, now: datetime, actor: dict, correlation_id: str
) -> Event:
    return new_event(
        KIND_EVENT[kind],
        {"revision": revision, "items": items},
        producer="directory",
        occurred_at=now,
        correlation_id=correlation_id,
        actor=actor,
    )


def event_factory(kind: str, *, now: datetime, actor: dict, correlation_id: str):
    """What storage calls, once it knows the new revision and the full set, to make the kind's event."""
    return lambda revision, items: changed_event(
        kind, revision, items, now=now, actor=actor, correlation_id=correlation_id
    )


def map_event_factory(areas: list[dict], grids: list[dict], *, now: datetime, actor: dict, correlation_id: str):
    return lambda revision, version: map_event(
        revision, version, areas, grids, now=now, actor=actor, correlation_id=correlation_id
    )


def map_event(
    revision: int,
    map_version: int,
    areas: list[dict],
    grids: list[dict],
    *,
    now: datetime,
    actor: dict,
    correlation_id: str,
) -> Event:
    return new_event(
        "grid_map.imported",
        {"revision": revision, "map_version": map_version, "areas": areas, "grids": grids},
        producer="directory",
        occurred_at=now,
        correlation_id=correlation_id,
        actor=actor,
    )


def place_of(code: str, areas: dict[str, dict]) -> dict[str, str | None]:
    """The community, street and district above an area or grid parent code."""
    place = {"community": None, "street": None, "district": None}
    seen = set()
    while code and code in areas and code not in seen:
        seen.add(code)
        area = areas[code]
        place[area["level"]] = area["code"]
        code = area.get("parent")
    return place


def with_places(areas: list[dict], grids: list[dict]) -> list[dict]:
    """Grids with their community and street codes, so consumers need not walk the hierarchy."""
    by_code = {a["code"]: a for a in areas}
    enriched = []
    for grid in grids:
        place = place_of(grid["parent"], by_code)
        enriched.append({**grid, "community": place["community"], "street": place["street"]})
    return enriched


def grids_of(user_id: str, grids: list[dict]) -> list[str]:
    """The grids a person answers for: as one of its officers or as its leader."""
    return sorted(g["code"] for g in grids if user_id in g.get("officers", ()) or g.get("leader") == user_id)


def check_category(category: dict, departments: dict) -> None:
    if category["department"] not in departments:
        raise Unprocessable.of(
            "department.unknown", {"department": category["department"]}, department=category["department"]
        )


def check_routing_rule(rule: dict, *, categories: dict, departments: dict, areas: dict) -> None:
    problems = {}
    if rule["category"] not in categories:
        problems["category"] = f"Unknown category '{rule['category']}'."
    if rule["department"] not in departments:
        problems["department"] = f"Unknown department '{rule['department']}'."
    for level in ("street", "community"):
        code = rule.get(level)
        if code and (code not in areas or areas[code]["level"] != level):
            problems[level] = f"Unknown {level} '{code}'."
    street, community = rule.get("street"), rule.get("community")
    if street and community in areas and areas[community].get("parent") != street:
        problems["community"] = f"The community '{community}' is not in the street '{street}'."
    if problems:
        raise Unprocessable.of("routing.unknown_references", {"fields": problems})


def check_user(user: dict, departments: dict) -> None:
    if user.get("department") and user["department"] not in departments:
        raise Unprocessable.of("department.unknown", {"department": user["department"]}, department=user["department"])


def active_administrators(users: list[dict]) -> set[str]:
    return {u["user_id"] for u in users if u.get("active", True) and ADMIN in (u.get("roles") or ())}


def check_an_administrator_remains(before: list[dict], after: list[dict]) -> None:
    """Refuse a change that deactivates or demotes the last active administrator (none would be left to undo it)."""
    if active_administrators(before) and not active_administrators(after):
        raise LastAdministrator.of("user.last_administrator", {"rule": "an_active_administrator_remains"})


def client_key(address: str) -> str:
    """What the sign-in limit per client counts by: an IPv4 address, or an IPv6 address's /64 — one
    subscriber's network, in which a client may take a new address for every try."""
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:
        return address
    if parsed.version == 4:
        return str(parsed)
    if parsed.ipv4_mapped is not None:
        return str(parsed.ipv4_mapped)
    return str(ipaddress.ip_network(f"{parsed}/64", strict=False))


def throttled(failures: list[datetime], now: datetime, *, limit: int, window: timedelta) -> bool:
    """Too many failed sign-ins lately: refuse further tries until the window passes."""
    return sum(1 for at in failures if now - at < window) >= limit
