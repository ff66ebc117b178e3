"""Checks across features: unique codes, parents that exist at the right level, and
codes that continue their parent's code."""

from .codes import ALLOWED_PARENTS, expected_prefix, format_problem, parents_wording
from .faults import BAD_CODE, DUPLICATE_CODE, UNKNOWN_PARENT, WRONG_PARENT_LEVEL, Fault
from .features import Entry


def check_hierarchy(entries: list[Entry]) -> list[Fault]:
    faults: list[Fault] = []
    first: dict[str, Entry] = {}
    for entry in entries:
        if entry.code in first:
            earlier = first[entry.code]
            faults.append(
                entry.fault(
                    DUPLICATE_CODE,
                    f"{entry.subject} uses the same code as feature {earlier.index} "
                    f"({earlier.level}); give one of them another code.",
                )
            )
        else:
            first[entry.code] = entry
    for entry in entries:
        problem = _parent_problem(entry, first.get(entry.parent)) if entry.parent else None
        if problem:
            faults.append(entry.fault(*problem))
    return faults


def _parent_problem(entry: Entry, parent: Entry | None) -> tuple[str, str] | None:
    allowed = parents_wording(entry.level)
    if parent is None:
        return UNKNOWN_PARENT, (
            f"{entry.subject} has parent {entry.parent}, which is not in the map; "
            f"add that {allowed} or correct the parent code."
        )
    if parent.level not in ALLOWED_PARENTS[entry.level]:
        return WRONG_PARENT_LEVEL, (
            f"{entry.subject} has parent {parent.code}, a {parent.level}; "
            f"the parent of a {entry.level} must be a {allowed}."
        )
    prefix = expected_prefix(entry.level, parent.code, parent.level)
    malformed = format_problem(entry.level, entry.code) or format_problem(parent.level, parent.code)
    if not malformed and not entry.code.startswith(prefix):
        return BAD_CODE, (
            f"{entry.subject} is under {parent.level} {parent.code}, so its code must start "
            f"with {prefix}; renumber it or correct its parent."
        )
    return None
