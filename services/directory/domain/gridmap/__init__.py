"""The grid map as a GeoJSON FeatureCollection: parse and validate it, export it.

Every area (district, street, community) and every grid is a Feature whose
properties carry ``level``, ``code``, ``name`` and ``parent``; grids also carry
``officers``, ``leader`` and ``households`` and a Polygon or MultiPolygon geometry
in [lon, lat]. Area geometries are optional.
"""

from .codes import AREA_LEVELS, CODE_LENGTH, LEVELS
from .export import to_feature_collection
from .faults import FAULT_CODES, Fault
from .parse import parse_feature_collection

__all__ = [
    "AREA_LEVELS",
    "CODE_LENGTH",
    "FAULT_CODES",
    "LEVELS",
    "Fault",
    "parse_feature_collection",
    "to_feature_collection",
]
