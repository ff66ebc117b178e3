"""DispatchService: assignments (who was given which case, by a rule or a person) and each department's open
workload. Routing is the cases service's, as it opens a case (services/cases/domain/routing.py)."""

from services.dispatch import domain
from services.dispatch.storage import DispatchStore
from shared.auth import may
from shared.clock import Clock
from shared.errors import Forbidden
from shared.events import Event
from shared.events.stages import stages
from shared.messaging import event_handlers
from shared.operable import Operable
from shared.refdata import FollowsDirectory, ReferenceData
from shared.rpc import rpc

#: Which event goes to which handler: the service's whole subscription, one queue per event (shared.messaging).
EVENT_HANDLERS = {
    "cases": {
        "case.dispatched": "record_assignment",
        "case.reworked": "record_assignment",
        "case.returned": "track_workload",
        "case.resolved": "track_workload",
        "case.cancelled": "track_workload",
    },
}


class DispatchService(Operable, FollowsDirectory, event_handlers(EVENT_HANDLERS)):
    name = "dispatch"
    # What an earlier version consumed and this one does not (routing moved into cases): the deploy step deletes
    # their queues once no older replica runs (shared.topology.retired_queues).
    RETIRED_EVENTS = {"cases": ("case.reported",)}

    store = DispatchStore()
    clock = Clock()
    reference = ReferenceData("departments")

    # -- from the bus (EVENT_HANDLERS) ------------------------------------------------
    def record_assignment(self, event: Event) -> None:
        """An assignment per dispatch the event stands for (a case born dispatched is also its report and its
        registration, which assign nothing: ``shared/events/stages.py``)."""
        for stage in stages(event):
            if stage.type in domain.ASSIGNING:
                self.store.record_assignment(domain.assignment(stage, now=self.clock.now()))
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
