"""The code scheme of the domain brief (§2): 6 digits for the division, then 3 each
for street, community and grid. A missing level is written as 000, so a community
directly under district 610102 is 610102000xxx."""

import re

LEVELS = ("district", "street", "community", "grid")
AREA_LEVELS = LEVELS[:3]
CODE_LENGTH = {"district": 6, "street": 9, "community": 12, "grid": 15}
ALLOWED_PARENTS = {
    "district": (),
    "street": ("district",),
    "community": ("street", "district"),
    "grid": ("community", "street", "district"),
}
MISSING_LEVEL = "000"

_DIGITS = re.compile(r"[0-9]+")


def format_problem(level: str, code: object) -> str | None:
    """Why ``code`` cannot be the code of an object at ``level``, or None if it can."""
    if not isinstance(code, str) or not _DIGITS.fullmatch(code):
        return f"a {level} code must be a string of digits, not {code!r}."
    length = CODE_LENGTH[level]
    if len(code) != length:
        return f"a {level} code has {length} digits; {code!r} has {len(code)}."
    if level == "district":
        return None
    if code.endswith(MISSING_LEVEL):
        return f"{code} ends in {MISSING_LEVEL}, which stands for a missing level; number each {level} from 001."
    return None


def parents_wording(level: str) -> str:
    """The levels a parent may have, for messages: "community, street or district"."""
    allowed = ALLOWED_PARENTS[level]
    return allowed[0] if len(allowed) == 1 else f"{', '.join(allowed[:-1])} or {allowed[-1]}"


def expected_prefix(level: str, parent_code: str, parent_level: str) -> str:
    """What a code must start with under that parent: the parent's code, then 000
    for every level skipped between them."""
    skipped = LEVELS.index(level) - LEVELS.index(parent_level) - 1
    return parent_code + MISSING_LEVEL * skipped
