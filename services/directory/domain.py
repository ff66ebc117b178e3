"""Rules of the reference data. Pure: no I/O, time passed in."""

from datetime import datetime, timedelta

from shared.errors import Unprocessable
from shared.events import Event, new_event

KIND_EVENT = {
    "departments": "departments.changed",
    "categories": "categories.changed",
    "routing_rules": "routing_rules.changed",
    "users": "users.changed",
}
KEY_FIELD = {"departments": "code", "categories": "code", "routing_rules": "rule_id", "users": "user_id"}
PUBLIC_USER_FIELDS = ("user_id", "username", "name", "roles", "department", "language", "phone", "email", "active")


def public_user(user: dict) -> dict:
    return {field: user.get(field) for field in PUBLIC_USER_FIELDS}


def changed_event(kind: str, revision: int, items: list[dict], *, now: datetime, actor: dict,
                  correlation_id: str) -> Event:
    return new_event(KIND_EVENT[kind], {"revision": revision, "items": items}, producer="directory",
                     occurred_at=now, correlation_id=correlation_id, actor=actor)


def event_factory(kind: str, *, now: datetime, actor: dict, correlation_id: str):
    """What storage calls, once it knows the new revision and the full set, to make the kind's event."""
    return lambda revision, items: changed_event(kind, revision, items, now=now, actor=actor,
                                                 correlation_id=correlation_id)


def map_event_factory(areas: list[dict], grids: list[dict], *, now: datetime, actor: dict, correlation_id: str):
    return lambda revision, version: map_event(revision, version, areas, grids, now=now, actor=actor,
                                               correlation_id=correlation_id)


def map_event(revision: int, map_version: int, areas: list[dict], grids: list[dict], *, now: datetime,
              actor: dict, correlation_id: str) -> Event:
    return new_event("grid_map.imported",
                     {"revision": revision, "map_version": map_version, "areas": areas, "grids": grids},
                     producer="directory", occurred_at=now, correlation_id=correlation_id, actor=actor)


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
        raise Unprocessable.of("department.unknown", {"department": category["department"]},
                               department=category["department"])


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


def throttled(failures: list[datetime], now: datetime, *, limit: int, window: timedelta) -> bool:
    """Too many failed sign-ins lately: refuse further tries until the window passes."""
    return sum(1 for at in failures if now - at < window) >= limit
