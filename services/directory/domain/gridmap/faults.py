"""What can be wrong with a grid map. Every fault is reported, so one pass fixes a map."""

from dataclasses import asdict, dataclass

NOT_A_FEATURE_COLLECTION = "NOT_A_FEATURE_COLLECTION"
NOT_A_FEATURE = "NOT_A_FEATURE"
FORBIDDEN_KEY = "FORBIDDEN_KEY"
NO_GRIDS = "NO_GRIDS"
MISSING_PROPERTY = "MISSING_PROPERTY"
BAD_PROPERTY = "BAD_PROPERTY"
BAD_LEVEL = "BAD_LEVEL"
BAD_CODE = "BAD_CODE"
DUPLICATE_CODE = "DUPLICATE_CODE"
UNKNOWN_PARENT = "UNKNOWN_PARENT"
WRONG_PARENT_LEVEL = "WRONG_PARENT_LEVEL"
BAD_GEOMETRY = "BAD_GEOMETRY"
UNCLOSED_RING = "UNCLOSED_RING"
SELF_INTERSECTION = "SELF_INTERSECTION"
OVERLAP = "OVERLAP"
NO_OFFICER = "NO_OFFICER"
UNKNOWN_OFFICER = "UNKNOWN_OFFICER"
UNKNOWN_LEADER = "UNKNOWN_LEADER"
BAD_HOUSEHOLDS = "BAD_HOUSEHOLDS"

FAULT_CODES = frozenset(
    {
        NOT_A_FEATURE_COLLECTION,
        NOT_A_FEATURE,
        FORBIDDEN_KEY,
        NO_GRIDS,
        MISSING_PROPERTY,
        BAD_PROPERTY,
        BAD_LEVEL,
        BAD_CODE,
        DUPLICATE_CODE,
        UNKNOWN_PARENT,
        WRONG_PARENT_LEVEL,
        BAD_GEOMETRY,
        UNCLOSED_RING,
        SELF_INTERSECTION,
        OVERLAP,
        NO_OFFICER,
        UNKNOWN_OFFICER,
        UNKNOWN_LEADER,
        BAD_HOUSEHOLDS,
    }
)


@dataclass(frozen=True)
class Fault:
    """One problem: ``feature`` is the index in the collection, ``object_code`` the
    area or grid code when it could be read; both are None for collection-wide faults."""

    code: str
    feature: int | None
    object_code: str | None
    message: str

    def as_dict(self) -> dict:
        return asdict(self)


class Notes:
    """Collects the faults of one feature, labelled with its index and, once read, its
    code; with no index, the faults of the collection itself."""

    def __init__(self, index: int | None, sink: list[Fault]):
        self.index = index
        self.level: str | None = None
        self.code: str | None = None
        self._sink = sink

    @property
    def subject(self) -> str:
        """How a message names the feature: by level and code once they are known."""
        if self.level and self.code:
            return f"{self.level.capitalize()} {self.code}"
        return "The collection" if self.index is None else f"Feature {self.index}"

    def add(self, code: str, message: str) -> None:
        self._sink.append(Fault(code, self.index, self.code, message))

    def require(self, props: dict, key: str, hint: str) -> object:
        """``props[key]``; a missing or empty value is noted with ``hint`` and read as None."""
        value = props.get(key)
        if value is None or value == "":
            self.add(MISSING_PROPERTY, f"{self.subject} has no '{key}'; {hint}.")
            return None
        return value
