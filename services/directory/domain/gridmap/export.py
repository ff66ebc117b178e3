"""Writing the grid map as a GeoJSON FeatureCollection that ``parse_feature_collection``
reads back unchanged."""

import copy


def to_feature_collection(areas: list[dict], grids: list[dict]) -> dict:
    """Areas first, then grids, each in the order given; area outlines are optional."""
    features = [_area_feature(area) for area in areas] + [_grid_feature(grid) for grid in grids]
    return {"type": "FeatureCollection", "features": features}


def _area_feature(area: dict) -> dict:
    properties = {
        "level": area["level"],
        "code": area["code"],
        "name": area["name"],
        "parent": area.get("parent"),
    }
    return _feature(area["code"], properties, area.get("polygon"))


def _grid_feature(grid: dict) -> dict:
    properties = {
        "level": "grid",
        "code": grid["code"],
        "name": grid["name"],
        "parent": grid["parent"],
        "officers": list(grid["officers"]),
        "leader": grid.get("leader"),
        "households": grid["households"],
    }
    return _feature(grid["code"], properties, grid["polygon"])


def _feature(code: str, properties: dict, geometry: dict | None) -> dict:
    # The code doubles as the feature id, which GIS tools use to match edits.
    return {
        "type": "Feature",
        "id": code,
        "properties": properties,
        "geometry": copy.deepcopy(geometry),
    }
