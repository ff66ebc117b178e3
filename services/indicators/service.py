"""IndicatorsService: the figures that judge the work, kept as read models from case events."""

from datetime import timedelta
from zoneinfo import ZoneInfo

from nameko.constants import DEFAULT_MAX_WORKERS, MAX_WORKERS_CONFIG_KEY
from nameko.dependency_providers import Config

from services.indicators import domain
from services.indicators.storage import IndicatorStore
from shared.api.stats import (
    DIMENSIONS,
    HotspotQuerySchema,
    HotspotTableSchema,
    IndicatorTableSchema,
    StatsQuerySchema,
)
from shared.auth import may
from shared.auth.policy import DEPARTMENT_HEAD, GRID_LEADER
from shared.clock import Clock
from shared.config import setting
from shared.errors import Forbidden, NotFound
from shared.events import Event
from shared.groupcommit import GroupCommit
from shared.messaging import event_handlers
from shared.operable import Operable
from shared.refdata import FollowsDirectory, ReferenceData
from shared.rpc import rpc
from shared.validation import load_query

_query = StatsQuerySchema()
_hotspot_query = HotspotQuerySchema()
_table = IndicatorTableSchema()
_hotspots = HotspotTableSchema()


# Every event moves the same few hot counters (the district's, today's): concurrent transactions would only
# conflict and retry. One at a time per process, each taking every event that arrived meanwhile — and waiting
# INDICATORS_LINGER_SECONDS for more, so that a case's events, and the cases reported meanwhile, which move the
# same counters, share one: the store's cost is per document written, and a counter shared by a batch's events is
# written once. A batch holds at most what the process has in hand (its workers), and commits once it does.
_BATCHES: dict[str, GroupCommit] = {}
LINGER_SECONDS = 1.0  # INDICATORS_LINGER_SECONDS unless set


#: Which event goes to which handler: the service's whole subscription, one queue per event (shared.messaging).
#: Every event with a transition kind (domain.KIND_OF_EVENT) moves the counters.
EVENT_HANDLERS = {
    "cases": {
        "case.reported": "record",
        "case.registered": "record",
        "case.dispatched": "record",
        "case.accepted": "record",
        "case.returned": "record",
        "case.extension_approved": "record",
        "case.resolved": "record",
        "case.verified": "record",
        "case.reworked": "record",
        "case.closed": "record",
        "case.suspended": "record",
        "case.resumed": "record",
        "case.cancelled": "record",
        "case.rejected": "record",
        "case.merged": "record",
        "case.rated": "record",
    },
}


class IndicatorsService(Operable, FollowsDirectory, event_handlers(EVENT_HANDLERS)):
    name = "indicators"

    config = Config()
    store = IndicatorStore()
    clock = Clock()
    reference = ReferenceData("departments", "categories", "grid_map")

    def record(self, event: Event) -> None:
        tz = self._tz
        batches = _BATCHES.get(self.store.db.name)
        if batches is None:
            in_hand = setting(self.config, MAX_WORKERS_CONFIG_KEY, DEFAULT_MAX_WORKERS, int)
            batches = _BATCHES[self.store.db.name] = GroupCommit(
                max_batch=min(setting(self.config, "INDICATORS_MAX_BATCH", 200, int), in_hand),
                linger=setting(self.config, "INDICATORS_LINGER_SECONDS", LINGER_SECONDS, float),
            )
        limit = timedelta(hours=setting(self.config, "RESPONSE_LIMIT_HOURS", 24.0, float))
        batches.submit(event, lambda events: self.store.record_many(events, tz, limit))

    @property
    def _tz(self) -> ZoneInfo:
        return ZoneInfo(setting(self.config, "TIMEZONE", "Asia/Shanghai"))

    def _period(self, q: dict):
        day = q.get("date") or self.clock.now().astimezone(self._tz).date()
        return domain.period_days(q["period"], day)

    def _allowed_keys(self, dimension: str) -> set[str] | None:
        """None: every key; a set: only these (a head sees their department, a leader their grids)."""
        identity = self.caller.require("cases.read")
        if may(identity, "cases.read_all"):
            return None
        if dimension == "department" and DEPARTMENT_HEAD in identity.roles and identity.department:
            return {identity.department}
        if dimension == "grid" and GRID_LEADER in identity.roles and identity.grids:
            return set(identity.grids)
        raise Forbidden.of("indicators.not_for_you")

    @rpc
    def indicators(self, dimension: str, query: dict) -> dict:
        if dimension not in DIMENSIONS:
            raise NotFound.of(
                "indicators.unknown_dimension", dimension=str(dimension), dimensions=", ".join(DIMENSIONS)
            )
        allowed = self._allowed_keys(dimension)
        q = load_query(_query, query if isinstance(query, dict) else {})
        first, last = self._period(q)
        sums = domain.add_up(self.store.counters(dimension, first.isoformat(), last.isoformat(), q.get("key")))
        open_now, overdue_now = self._open_and_overdue(dimension)
        key = q.get("key")
        if key is not None and key not in sums and key not in open_now and not self._exists(dimension, key):
            raise NotFound.of("indicators.unknown_key", dimension=str(dimension), key=str(key))
        keys = (set(sums) | set(open_now)) if key is None else {key}
        rows = [
            {
                "key": key,
                "name": self._name(dimension, key),
                **domain.figures(sums.get(key, {})),
                "open": open_now.get(key, 0),
                "overdue": overdue_now.get(key, 0),
            }
            for key in sorted(keys)
            if allowed is None or key in allowed
        ]
        return _table.dump(
            {"dimension": dimension, "period": q["period"], "first_day": first, "last_day": last, "rows": rows}
        )

    def _open_and_overdue(self, dimension: str) -> tuple[dict, dict]:
        now = self.clock.now()
        open_now, overdue_now = {}, {}
        for fact in self.store.open_cases(dimension):
            key = "all" if dimension == "district" else fact.get(dimension)
            if key is None:
                continue
            open_now[key] = open_now.get(key, 0) + 1
            if fact.get("stage_deadline") and fact["stage_deadline"] < now and not fact.get("suspended"):
                overdue_now[key] = overdue_now.get(key, 0) + 1
        return open_now, overdue_now

    def _exists(self, dimension: str, key: str) -> bool:
        """Whether the directory knows ``key`` as a ``dimension`` (figures may also exist for one since removed)."""
        if dimension == "district":
            return key == "all"
        self.reference.require({"department": "departments", "category": "categories"}.get(dimension, "grid_map"))
        if dimension in ("community", "street"):
            return (self.reference.areas.get(key) or {}).get("level") == dimension
        known = {
            "department": self.reference.departments,
            "category": self.reference.categories,
            "grid": self.reference.grids,
        }[dimension]
        return key in known

    def _name(self, dimension: str, key: str) -> str | None:
        if dimension == "department":
            item = self.reference.departments.get(key)
            return item and item["name_zh"]
        if dimension == "category":
            item = self.reference.categories.get(key)
            return item and item["name_zh"]
        if dimension == "grid":
            item = self.reference.grids.get(key)
            return item and item["name"]
        if dimension in ("community", "street", "district"):
            item = self.reference.areas.get(key)
            return item and item["name"]
        return None

    @rpc
    def hotspots(self, query: dict) -> dict:
        """The grids with most cases reported in the period."""
        self.caller.require("cases.read_all")
        q = load_query(_hotspot_query, query if isinstance(query, dict) else {})
        first, last = self._period(q)
        sums = domain.add_up(self.store.counters("grid", first.isoformat(), last.isoformat()))
        ranked = sorted(
            ((int(s.get("reported", 0)), grid) for grid, s in sums.items() if s.get("reported")),
            key=lambda pair: (-pair[0], pair[1]),
        )[: q["limit"]]
        rows = [
            {
                "grid": grid,
                "name": self._name("grid", grid),
                "community": (self.reference.grids.get(grid) or {}).get("community"),
                "street": (self.reference.grids.get(grid) or {}).get("street"),
                "reported": count,
            }
            for count, grid in ranked
        ]
        return _hotspots.dump({"period": q["period"], "first_day": first, "last_day": last, "rows": rows})
