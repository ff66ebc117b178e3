"""Reading a GeoJSON Polygon or MultiPolygon: its structure first, then shapely validity.

The structure is checked by hand because shapely quietly closes an open ring and
would hide the mistake from the editor who made it.
"""

import math
import re
from dataclasses import dataclass, field

from shapely.geometry.base import BaseGeometry
from shapely.validation import explain_validity

from shared.geo import to_shape

from .faults import BAD_GEOMETRY, SELF_INTERSECTION, UNCLOSED_RING

POLYGONAL = ("Polygon", "MultiPolygon")
_LOCATION = re.compile(r"\[\s*(-?[\d.eE+-]+)\s+(-?[\d.eE+-]+)")


@dataclass
class Outline:
    """A clean copy (``type`` and ``coordinates`` only, [lon, lat] positions) and its
    shapely form, or the problems as (fault code, sentence) pairs."""

    geojson: dict | None = None
    shape: BaseGeometry | None = None
    problems: list[tuple[str, str]] = field(default_factory=list)


def read_outline(value: object) -> Outline:
    problem = _not_polygonal(value)
    if problem:
        return Outline(problems=[(BAD_GEOMETRY, problem)])
    multi = value["type"] == "MultiPolygon"
    coordinates = value.get("coordinates")
    parts = coordinates if multi else [coordinates]
    if not isinstance(parts, list) or not parts:
        return Outline(problems=[(BAD_GEOMETRY, "the MultiPolygon has no polygons.")])
    problems: list[tuple[str, str]] = []
    clean = [_read_rings(rings, _part_name(p, multi), problems) for p, rings in enumerate(parts)]
    if problems:
        return Outline(problems=problems)
    geojson = {"type": value["type"], "coordinates": clean if multi else clean[0]}
    shape = to_shape(geojson)
    if not shape.is_valid:
        return Outline(problems=[_invalidity(explain_validity(shape))])
    return Outline(geojson, shape)


def _not_polygonal(value: object) -> str | None:
    if value is None:
        return "there is no geometry; draw the outline as a GeoJSON Polygon or MultiPolygon."
    kind = value.get("type") if isinstance(value, dict) else type(value).__name__
    if kind not in POLYGONAL:
        return f"the geometry is {kind!r}, not a GeoJSON Polygon or MultiPolygon."
    return None


def _part_name(part: int, multi: bool) -> str:
    return f"polygon {part} of the MultiPolygon" if multi else "polygon"


def _read_rings(rings: object, part: str, problems: list) -> list:
    if not isinstance(rings, list) or not rings:
        message = f"the {part} has no rings; give at least its exterior ring of [lon, lat] positions."
        problems.append((BAD_GEOMETRY, message))
        return []
    return [_read_ring(ring, _ring_name(r, part), problems) for r, ring in enumerate(rings)]


def _ring_name(ring: int, part: str) -> str:
    return f"exterior ring of the {part}" if ring == 0 else f"hole {ring} of the {part}"


def _read_ring(ring: object, name: str, problems: list) -> list:
    if not isinstance(ring, list):
        problems.append((BAD_GEOMETRY, f"the {name} is not a list of [lon, lat] positions."))
        return []
    positions = [_position(p) for p in ring]
    problem = _ring_problem(ring, positions, name)
    if problem:
        problems.append(problem)
    return positions


def _ring_problem(ring: list, positions: list, name: str) -> tuple[str, str] | None:
    bad = [i for i, p in enumerate(positions) if p is None]
    if bad:
        return BAD_GEOMETRY, (
            f"the {name} has {len(bad)} unusable position(s), the first at index {bad[0]} "
            f"({ring[bad[0]]!r}); a position is [longitude, latitude] with longitude "
            "in -180..180 and latitude in -90..90."
        )
    if len(positions) < 4:
        return BAD_GEOMETRY, (
            f"the {name} has {len(positions)} positions; a ring needs at least 4 "
            "(three corners and the first one again at the end)."
        )
    if positions[0] != positions[-1]:
        return UNCLOSED_RING, (
            f"the {name} starts at {positions[0]} but ends at {positions[-1]}; "
            "repeat the first position at the end to close it."
        )
    return None


def _position(value: object) -> list | None:
    """[lon, lat] from a GeoJSON position; an altitude is dropped, grids are flat."""
    if not isinstance(value, list | tuple) or len(value) not in (2, 3):
        return None
    if not all(_is_real(v) for v in value):
        return None
    lon, lat = value[0], value[1]
    if not (-180 <= lon <= 180 and -90 <= lat <= 90):
        return None
    return [lon, lat]


def _is_real(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _invalidity(reason: str) -> tuple[str, str]:
    match = _LOCATION.search(reason)
    where = f" near lon {match.group(1)}, lat {match.group(2)}" if match else ""
    if "self-intersection" in reason.lower():
        return SELF_INTERSECTION, (
            f"the outline crosses or touches itself{where} (GEOS: {reason}); move the "
            "vertices there so that its edges meet only at their ends."
        )
    return BAD_GEOMETRY, (
        f"the outline is not a valid polygon{where} (GEOS: {reason}); redraw it there, "
        "with every hole inside the exterior ring and polygons of a MultiPolygon apart."
    )
