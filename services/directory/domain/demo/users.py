"""Demo users (no passwords): memorable usernames, deterministic Chinese names.

One officer per grid, one leader per community, six operators, a head and three
handlers per department, a supervisor and an administrator.
"""

import random

from .names import PersonNames

HANDLERS_PER_DEPARTMENT = 3
OPERATORS = 6
ENGLISH_SPEAKERS = frozenset({"operator6", "head-emergency", "handler-health-2"})
# Mobile number blocks of China's three carriers.
_MOBILE_PREFIXES = (
    "130", "131", "132", "133", "135", "136", "137", "138", "139", "150", "151", "152",
    "153", "155", "156", "157", "158", "159", "180", "181", "186", "187", "189",
)  # fmt: skip


class _Directory:
    """Hands out ids, names and phone numbers that never repeat."""

    def __init__(self, rng: random.Random):
        self._rng = rng
        self._names = PersonNames(rng)
        self._phones: set[str] = set()
        self.users: list[dict] = []

    def add(
        self,
        username: str,
        roles: list[str],
        department: str | None = None,
        language: str = "zh-CN",
    ) -> str:
        user_id = f"U{len(self.users) + 1:05d}"
        self.users.append(
            {
                "user_id": user_id,
                "username": username,
                "name": self._names.next(),
                "roles": roles,
                "department": department,
                "language": "en" if username in ENGLISH_SPEAKERS else language,
                "phone": self._phone(),
                "email": f"{username}@civicgrid.example",
            }
        )
        return user_id

    def _phone(self) -> str:
        while True:
            phone = self._rng.choice(_MOBILE_PREFIXES) + f"{self._rng.randrange(10**8):08d}"
            if phone not in self._phones:
                self._phones.add(phone)
                return phone


def make_users(rng: random.Random, areas: list[dict], grids: list[dict], departments: list[dict]) -> list[dict]:
    """The users; also fills in each grid's ``officers`` and ``leader``."""
    directory = _Directory(rng)
    directory.add("admin", ["admin"])
    directory.add("supervisor", ["supervisor"])
    for number in range(1, OPERATORS + 1):
        directory.add(f"operator{number}", ["operator"])
    for department in departments:
        code = department["code"]
        directory.add(f"head-{code}", ["department_head"], code)
        for number in range(1, HANDLERS_PER_DEPARTMENT + 1):
            directory.add(f"handler-{code}-{number}", ["handler"], code)
    leaders = {
        a["code"]: directory.add(f"leader-{a['code']}", ["grid_leader"]) for a in areas if a["level"] == "community"
    }
    # A couple of officers from abroad, so the English interface is used in the field too.
    english_officers = set(rng.sample([g["code"] for g in grids], 2))
    for grid in grids:
        language = "en" if grid["code"] in english_officers else "zh-CN"
        grid["officers"] = [directory.add(f"officer-{grid['code']}", ["grid_officer"], language=language)]
        grid["leader"] = leaders.get(grid["parent"])
    return directory.users
