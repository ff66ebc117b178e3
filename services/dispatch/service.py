"""DispatchService: routing rules, assignments, and each department's open workload."""

import logging

from services.dispatch import domain
from services.dispatch.storage import DispatchStore
from shared.auth import may
from shared.clock import Clock
from shared.errors import Forbidden
from shared.events import Event
from shared.messaging import consume
from shared.operable import Operable
from shared.refdata import FollowsDirectory, ReferenceData
from shared.rpc import rpc

_log = logging.getLogger(__name__)


class DispatchService(Operable, FollowsDirectory):
    name = "dispatch"

    store = DispatchStore()
    clock = Clock()
    reference = ReferenceData("routing_rules", "departments")

    @consume("cases", "case.reported")
    def on_case_reported(self, event: Event) -> None:
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

    @consume("cases", "case.dispatched")
    def on_case_dispatched(self, event: Event) -> None:
        self._record_assignment(event)

    @consume("cases", "case.reworked")
    def on_case_reworked(self, event: Event) -> None:
        self._record_assignment(event)

    @consume("cases", "case.returned")
    def on_case_returned(self, event: Event) -> None:
        self.store.track(event.payload["case_id"], domain.workload_entry(event))

    @consume("cases", "case.resolved")
    def on_case_resolved(self, event: Event) -> None:
        self.store.track(event.payload["case_id"], domain.workload_entry(event))

    @consume("cases", "case.cancelled")
    def on_case_cancelled(self, event: Event) -> None:
        self.store.track(event.payload["case_id"], domain.workload_entry(event))

    def _record_assignment(self, event: Event) -> None:
        self.store.record_assignment(domain.assignment(event, now=self.clock.now()))
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
