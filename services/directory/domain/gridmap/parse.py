"""Reading a whole grid map and validating it, without stopping at the first fault."""

from .faults import NO_GRIDS, NOT_A_FEATURE_COLLECTION, Fault, Notes
from .features import read_features, report_forbidden_keys
from .hierarchy import check_hierarchy
from .overlap import find_overlaps

_NOT_A_COLLECTION = Fault(
    NOT_A_FEATURE_COLLECTION,
    None,
    None,
    "The map must be a GeoJSON object of type 'FeatureCollection' with a list of 'features'.",
)
_NO_GRIDS = Fault(NO_GRIDS, None, None, "The map has no grid features; a grid map needs at least one grid.")


def parse_feature_collection(
    doc: dict,
    *,
    known_users: set[str] | None = None,
    overlap_tolerance_m2: float = 1.0,
) -> tuple[list[dict], list[dict], list[Fault]]:
    """The areas, the grids and every fault of a GeoJSON FeatureCollection.

    The caller refuses a map with any fault as a whole; the two lists are complete
    only when there are no faults. Officers and leaders are checked against
    ``known_users`` only when it is given. Faults come in feature order, faults of
    the collection itself first.
    """
    if not _is_collection(doc):
        return [], [], [_NOT_A_COLLECTION]
    faults: list[Fault] = []
    report_forbidden_keys(Notes(None, faults), {"top-level members": doc})
    known = set(known_users) if known_users is not None else None
    entries, feature_faults = read_features(doc["features"], known)
    faults += feature_faults
    faults += check_hierarchy(entries)
    grids = [e for e in entries if e.level == "grid"]
    if not grids:
        faults.append(_NO_GRIDS)
    faults += find_overlaps(grids, overlap_tolerance_m2)
    faults.sort(key=lambda f: -1 if f.feature is None else f.feature)
    areas = [e.record for e in entries if e.level != "grid"]
    return areas, [e.record for e in grids], faults


def _is_collection(doc: object) -> bool:
    return isinstance(doc, dict) and doc.get("type") == "FeatureCollection" and isinstance(doc.get("features"), list)
