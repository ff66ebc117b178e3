"""Every kind of person and every kind of case, for tests that the check of who may see a case
(``shared.auth.can_see_case``) and its database filters (``shared.auth.case_filters``) agree."""

from itertools import combinations

from shared.auth import ROLES, Identity

ME = "me"


def every_identity() -> list[Identity]:
    """Every combination of roles (none included), each with and without grids (one, and several: an ``$in``)
    and with and without a department."""
    found = []
    for size in range(len(ROLES) + 1):
        for roles in combinations(ROLES, size):
            for grids in (frozenset(), frozenset({"G1"}), frozenset({"G1", "G3"})):
                for department in (None, "D1"):
                    found.append(Identity(ME, frozenset(roles), grids=grids, department=department))
    return found


def every_case() -> list[dict]:
    """Cases in and out of grid G1, led or assisted by department D1 or not at all, reported by ``ME`` (alone or
    merged in) or not: the fields the rule reads, as a case's facts carry them."""
    found = []
    for grid in ("G1", "G2"):
        for department, assisting in ((None, []), ("D1", []), ("D2", ["D1"]), ("D2", ["D3"])):
            for reporters in ([ME], ["other"], ["other", ME]):
                found.append(
                    {
                        "case_id": f"C{len(found):03d}",
                        "grid": grid,
                        "department": department,
                        "assisting_departments": assisting,
                        "reporters": reporters,
                    }
                )
    return found


def label(identity: Identity) -> str:
    return f"{'+'.join(sorted(identity.roles)) or 'none'}|{','.join(sorted(identity.grids))}|{identity.department}"
