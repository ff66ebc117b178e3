"""Locating points in grids, and the metre arithmetic that goes with it. Pure: no I/O.

The store's geo queries are too slow for the report hot path (see the platform
notes), so the grid polygons live in memory in a shapely STRtree; the directory
rebuilds a ``GridIndex`` whenever the grid map changes.

Distances and areas use a local equirectangular projection: around a latitude
``lat0`` one degree of latitude is ``R * pi / 180`` metres and one degree of
longitude that times ``cos(lat0)``, with R the mean Earth radius. Across a district
(a few kilometres) the error is well under 0.1 %, far below what a phone's GPS adds.
"""

import math
from collections.abc import Iterable

import numpy as np
import shapely
from shapely.geometry import shape
from shapely.geometry.base import BaseGeometry

EARTH_RADIUS_M = 6_371_008.8
_METRES_PER_DEGREE_LAT = EARTH_RADIUS_M * math.pi / 180


def metres_per_degree(lat: float) -> tuple[float, float]:
    """Metres per degree of (longitude, latitude) at latitude ``lat``."""
    return _METRES_PER_DEGREE_LAT * math.cos(math.radians(lat)), _METRES_PER_DEGREE_LAT


def to_local_metres(geometry: BaseGeometry, lon0: float, lat0: float) -> BaseGeometry:
    """The geometry in metres east and north of (lon0, lat0)."""
    mx, my = metres_per_degree(lat0)
    origin = np.array([lon0, lat0])
    scale = np.array([mx, my])
    return shapely.transform(geometry, lambda coords: (coords - origin) * scale)


def from_local_metres(x: float, y: float, lon0: float, lat0: float) -> tuple[float, float]:
    """(lon, lat) of the point ``x`` metres east and ``y`` metres north of (lon0, lat0)."""
    mx, my = metres_per_degree(lat0)
    return lon0 + x / mx, lat0 + y / my


def area_m2(geometry: BaseGeometry) -> float:
    """Area in square metres, projected around the centre of the geometry's bounds."""
    if geometry.is_empty:
        return 0.0
    west, south, east, north = geometry.bounds
    return to_local_metres(geometry, (west + east) / 2, (south + north) / 2).area


def to_shape(geojson: dict) -> BaseGeometry:
    """A shapely geometry from a GeoJSON geometry dict ([lon, lat] positions)."""
    return shape(geojson)


class GridIndex:
    """Which grid holds a point, over a few thousand polygons, in memory.

    Boundary rule: a point on an edge or corner shared by several grids belongs to
    the one with the lowest code (codes compare as strings; all grid codes have 15
    digits, so that is numeric order). The tree holds the grids sorted by code, so
    the lowest matching tree index is that grid. Where neighbours share their edges
    vertex for vertex, no point falls between them.

    An index never changes once built: when the map changes, build a new one and
    swap the reference, so concurrent workers always see a whole map.
    """

    def __init__(self, shapes: dict[str, BaseGeometry]):
        self._codes = sorted(shapes)
        self._geometries = np.array([shapes[code] for code in self._codes], dtype=object)
        shapely.prepare(self._geometries)
        self._tree = shapely.STRtree(self._geometries)
        self._position = {code: i for i, code in enumerate(self._codes)}

    @classmethod
    def from_grids(cls, grids: Iterable[dict]) -> "GridIndex":
        """Build from grid dicts with ``code`` and a GeoJSON ``polygon``.

        Raises ValueError on a duplicate code or an unusable geometry: the index is
        built from a validated grid map, so either means a bug upstream.
        """
        shapes: dict[str, BaseGeometry] = {}
        for grid in grids:
            code = grid["code"]
            if code in shapes:
                raise ValueError(f"grid {code} appears twice")
            shapes[code] = _polygonal(code, grid["polygon"])
        return cls(shapes)

    def __len__(self) -> int:
        return len(self._codes)

    def codes(self) -> list[str]:
        """Grid codes, in ascending order."""
        return list(self._codes)

    def locate(self, lat: float, lon: float) -> str | None:
        """The code of the grid holding the point; None outside every grid or in a hole."""
        if not (math.isfinite(lat) and math.isfinite(lon)):
            return None
        hits = self._tree.query(shapely.Point(lon, lat), predicate="covered_by")
        return self._codes[hits.min()] if len(hits) else None

    def inside_point(self, code: str) -> tuple[float, float] | None:
        """(lat, lon) of a point well inside grid ``code`` (on its surface even when the grid is not convex, so
        ``locate`` finds the grid again); None for an unknown code."""
        position = self._position.get(code)
        if position is None:
            return None
        point = self._geometries[position].representative_point()
        return point.y, point.x

    def covers(self, code: str, lat: float, lon: float, tolerance_m: float = 0.0) -> bool:
        """Whether grid ``code`` holds the point, or lies within ``tolerance_m`` metres of it.

        Unlike ``locate`` there is no boundary rule: a point on a shared edge is
        covered by every grid that has the edge. An unknown code covers nothing.
        """
        if tolerance_m < 0:
            raise ValueError("tolerance_m must not be negative")
        position = self._position.get(code)
        if position is None or not (math.isfinite(lat) and math.isfinite(lon)):
            return False
        geometry = self._geometries[position]
        if bool(shapely.intersects_xy(geometry, lon, lat)):
            return True
        return tolerance_m > 0 and _within_metres(geometry, lon, lat, tolerance_m)


def _polygonal(code: str, geojson: dict) -> BaseGeometry:
    try:
        geometry = to_shape(geojson)
    except (AttributeError, KeyError, TypeError, ValueError, shapely.errors.GEOSException) as exc:
        raise ValueError(f"grid {code}: unreadable polygon ({exc})") from None
    if geometry.geom_type not in ("Polygon", "MultiPolygon") or not geometry.is_valid:
        raise ValueError(f"grid {code}: not a valid Polygon or MultiPolygon")
    return geometry


def _within_metres(geometry: BaseGeometry, lon: float, lat: float, metres: float) -> bool:
    mx, my = metres_per_degree(lat)
    west, south, east, north = geometry.bounds
    # The bounding box, widened by the tolerance, rejects most far points without
    # projecting the polygon.
    if not (west - metres / mx <= lon <= east + metres / mx):
        return False
    if not (south - metres / my <= lat <= north + metres / my):
        return False
    local = to_local_metres(geometry, lon, lat)
    return bool(shapely.distance(local, shapely.Point(0.0, 0.0)) <= metres)
