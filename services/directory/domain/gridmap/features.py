"""Reading each Feature into an area or a grid record, noting every fault on the way.

Records are built from the known properties only, so nothing else an upload carries
(``$``-prefixed operators included) reaches the store.
"""

from dataclasses import dataclass

from shapely.geometry.base import BaseGeometry

from .codes import CODE_LENGTH, LEVELS, format_problem, parents_wording
from .faults import (
    BAD_CODE,
    BAD_LEVEL,
    BAD_PROPERTY,
    FORBIDDEN_KEY,
    MISSING_PROPERTY,
    NOT_A_FEATURE,
    WRONG_PARENT_LEVEL,
    Fault,
    Notes,
)
from .geometry import Outline, read_outline
from .staffing import read_households, read_leader, read_officers


@dataclass(frozen=True)
class Entry:
    """A readable feature: its record plus what the cross-feature checks need."""

    index: int
    level: str
    code: str
    parent: str | None
    record: dict
    shape: BaseGeometry | None

    @property
    def subject(self) -> str:
        return f"{self.level.capitalize()} {self.code}"

    def fault(self, code: str, message: str) -> Fault:
        return Fault(code, self.index, self.code, message)


def read_features(features: list, known_users: set[str] | None) -> tuple[list[Entry], list[Fault]]:
    faults: list[Fault] = []
    entries = [read_feature(i, feature, known_users, faults) for i, feature in enumerate(features)]
    return [e for e in entries if e is not None], faults


def read_feature(index: int, feature: object, known_users: set[str] | None, faults: list[Fault]) -> Entry | None:
    notes = Notes(index, faults)
    if not isinstance(feature, dict) or feature.get("type") != "Feature":
        notes.add(NOT_A_FEATURE, f"Feature {index} is not a GeoJSON object of type 'Feature'.")
        return None
    props = feature.get("properties")
    if not isinstance(props, dict):
        notes.add(
            MISSING_PROPERTY,
            f"Feature {index} has no 'properties' object; give it level, code, name and parent.",
        )
        return None
    notes.level = _read_level(props, notes)
    code = _read_code(props, notes) if notes.level else None
    report_forbidden_keys(notes, {"feature object": feature, "properties": props, "geometry": feature.get("geometry")})
    if notes.level is None:
        return None
    name = _read_name(props, notes)
    parent = _read_parent(props, notes)
    common = {"code": code, "name": name, "parent": parent}
    if notes.level == "grid":
        record, shape = _grid_record(common, feature, props, notes, known_users)
    else:
        record, shape = _area_record(common, feature, notes)
    return Entry(index, notes.level, code, parent, record, shape) if code is not None else None


def report_forbidden_keys(notes: Notes, places: dict[str, object]) -> None:
    for place, mapping in places.items():
        keys = (
            sorted(k for k in mapping if isinstance(k, str) and k.startswith("$")) if isinstance(mapping, dict) else []
        )
        if keys:
            notes.add(
                FORBIDDEN_KEY,
                f"{notes.subject} has the key(s) {', '.join(keys)} in its {place}; "
                "keys may not start with '$', remove them.",
            )


def _read_level(props: dict, notes: Notes) -> str | None:
    levels = ", ".join(LEVELS)
    level = notes.require(props, "level", f"set it to one of {levels}")
    if level is None or level in LEVELS:
        return level
    notes.add(BAD_LEVEL, f"{notes.subject} has level {level!r}; use one of {levels}.")
    return None


def _read_code(props: dict, notes: Notes) -> str | None:
    hint = f"give its {CODE_LENGTH[notes.level]}-digit {notes.level} code"
    code = notes.require(props, "code", hint)
    if code is None:
        return None
    if isinstance(code, str):
        notes.code = code
    problem = format_problem(notes.level, code)
    if problem:
        notes.add(BAD_CODE, f"{notes.subject}: {problem}")
    return notes.code


def _read_name(props: dict, notes: Notes) -> str:
    name = notes.require(props, "name", "give the name people know it by")
    if name is None:
        return ""
    if not isinstance(name, str) or not name.strip():
        notes.add(BAD_PROPERTY, f"{notes.subject}: 'name' must be text, not {name!r}.")
        return ""
    return name


def _read_parent(props: dict, notes: Notes) -> str | None:
    if notes.level == "district":
        parent = props.get("parent")
        if parent is not None:
            notes.add(
                WRONG_PARENT_LEVEL,
                f"{notes.subject} has parent {parent!r}, but a district is the top level; remove the parent.",
            )
        return None
    parent = notes.require(props, "parent", f"give the code of its {parents_wording(notes.level)}")
    if parent is None or isinstance(parent, str):
        return parent
    notes.add(BAD_CODE, f"{notes.subject}: 'parent' must be a code written as a string, not {parent!r}.")
    return None


def _grid_record(
    common: dict, feature: dict, props: dict, notes: Notes, known_users
) -> tuple[dict, BaseGeometry | None]:
    outline = _read_outline(feature.get("geometry"), notes)
    record = {
        **common,
        "polygon": outline.geojson,
        "officers": read_officers(props, notes, known_users),
        "leader": read_leader(props, notes, known_users),
        "households": read_households(props, notes),
    }
    return record, outline.shape


def _area_record(common: dict, feature: dict, notes: Notes) -> tuple[dict, BaseGeometry | None]:
    record = {
        "code": common["code"],
        "level": notes.level,
        "name": common["name"],
        "parent": common["parent"],
    }
    geometry = feature.get("geometry")
    if geometry is None:
        return record, None
    # An outline of a street or community is optional, but when given it must be sound.
    outline = _read_outline(geometry, notes)
    record["polygon"] = outline.geojson
    return record, outline.shape


def _read_outline(geometry: object, notes: Notes) -> Outline:
    outline = read_outline(geometry)
    for fault_code, sentence in outline.problems:
        notes.add(fault_code, f"{notes.subject}: {sentence}")
    return outline
