"""Grids must not overlap. Candidate pairs come from an STRtree, so a map of a few
thousand grids costs a few thousand intersections, not millions."""

import numpy as np
import shapely

from shared.geo import area_m2

from .faults import OVERLAP, Fault
from .features import Entry


def find_overlaps(grids: list[Entry], tolerance_m2: float) -> list[Fault]:
    """One fault per pair of grids sharing more than ``tolerance_m2`` square metres,
    reported on the later feature of the pair. Grids that merely share edges or
    corners intersect in lines and points, whose area is zero."""
    shaped = [g for g in grids if g.shape is not None]
    if len(shaped) < 2:
        return []
    shapes = np.array([g.shape for g in shaped], dtype=object)
    left, right = shapely.STRtree(shapes).query(shapes, predicate="intersects")
    pairs = [(a, b) for a, b in zip(left.tolist(), right.tolist(), strict=True) if a < b]
    if not pairs:
        return []
    firsts, seconds = (np.array(side) for side in zip(*pairs, strict=True))
    shared = shapely.intersection(shapes[firsts], shapes[seconds])
    faults = []
    # Neighbours meet in lines of zero area; only real overlaps need measuring in metres.
    for (a, b), common, degrees in zip(pairs, shared, shapely.area(shared), strict=True):
        area = area_m2(common) if degrees > 0 else 0.0
        if area > tolerance_m2:
            faults.append(_overlap(shaped[a], shaped[b], area, common))
    return faults


def _overlap(first: Entry, second: Entry, area: float, common) -> Fault:
    later, earlier = (second, first) if second.index > first.index else (first, second)
    point = common.representative_point()
    return later.fault(
        OVERLAP,
        f"{later.subject} overlaps grid {earlier.code} (feature {earlier.index}) by "
        f"{area:,.1f} m² around lon {point.x:.6f}, lat {point.y:.6f}; make their shared "
        "edge the same line in both.",
    )
