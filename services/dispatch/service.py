"""DispatchService: routing rules, assignments, and each department's open workload."""

import logging

from services.dispatch import domain
from services.dispatch.storage import DispatchStore
from shared.auth import may
from shared.clock import Clock
from shared.errors import Forbidden
from shared.events import Event
from shared.messaging import event_handlers
from shared.operable import Operable
from shared.refdata import FollowsDirectory, ReferenceData
from shared.rpc import rpc

_log = logging.getLogger(__name__)


#: Which event goes to which handler: the service's whole subscription, one queue per event (shared.messaging).
EVENT_HANDLERS = {
    "cases": {
        "case.reported": "route",
        "case.dispatched": "record_assignment",
        "case.reworked": "record_assignment",
        "case.returned": "track_workload",
        "case.resolved": "track_workload",
        "case.cancelled": "track_workload",
    },
}


class DispatchService(Operable, FollowsDirectory, event_handlers(EVENT_HANDLERS)):
    name = "dispatch"

    store = DispatchStore()
    clock = Clock()
    reference = ReferenceData("routing_rules", "departments")

    # -- from the bus (EVENT_HANDLERS) ------------------------------------------------
    def route(self, event: Event) -> None:
        if event.payload["status"] != "reported":  # handled on the spot: nothing to route
            return
        self.reference.require("routing_rules")
        p = event.payload
        rule = domain.route(
            self.reference.routing_rules, category=p["category"], street=p["street"], community=p["community"]
        )
        if rule is None:
            _log.info("no rule for case %s: an operator decides", p["case_id"])
            return
        self.store.decide(p["case_id"], domain.decide(event, rule, now=self.clock.now()), event.event_id)

    def record_assignment(self, event: Event) -> None:
        self.store.record_assignment(domain.assignment(event, now=self.clock.now()))
        self.track_workload(event)

    def track_workload(self, event: Event) -> None:
        self.store.track(event.payload["case_id"], domain.workload_entry(event))

    @rpc
    def assignments_for_case(self, case_id: str) -> list[dict]:
        self.caller.require("routing.read")
        return [
            {k: v for k, v in a.items() if k != "_id"} | {"assignment_id": a["_id"]}
            for a in self.store.for_case(str(case_id))
        ]

    @rpc
    def workload(self) -> dict:
        """Open cases in hand (dispatched or signed for) per department."""
        identity = self.caller.require("cases.read")
        counts = self.store.workload()
        if may(identity, "cases.read_all") or may(identity, "routing.read"):
            return counts
        if identity.department:
            return {identity.department: counts.get(identity.department, 0)}
        raise Forbidden.of("workload.not_for_you")
