"""The events announcing a change of reference data: one per kind, carrying the kind's full new set."""

from datetime import datetime

from shared.events import Event, new_event

KIND_EVENT = {
    "departments": "departments.changed",
    "categories": "categories.changed",
    "routing_rules": "routing_rules.changed",
    "users": "users.changed",
}


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
