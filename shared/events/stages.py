"""The stages a case event stands for: one place that unfolds an event announcing several transitions at once.

A routing rule that registers and dispatches a case in one decision announces it once, as ``case.dispatched``
carrying ``registration`` (what ``case.registered`` would have said); a case born dispatched by such a rule when it
is opened carries ``report`` too (what ``case.reported`` would have said). Every consumer takes such an event as
the stages it stands for, in order — reported, registered, dispatched — each as the event that would have told of it
alone, so that what it files, counts and tells is what those events would have made it file, count and tell.

A stage's id is the event's with ``:reported`` or ``:registered``; the last stage is the event itself. A redelivered
event unfolds into the same ids, so a consumer keyed by them files nothing twice. (``:registered`` is the id
notifications always gave a dispatch's registration; its inbox entries and deliveries keep their keys.)
"""

from dataclasses import replace

from shared.events.contracts.cases import CASE_FACTS
from shared.events.envelope import Event

REPORTED_SUFFIX = ":reported"
REGISTERED_SUFFIX = ":registered"

# What a case is before it is registered, whatever the facts of the event that announces it later say: no
# department, no deadline (the disposal clock starts at dispatch).
_UNASSIGNED = {"status": "reported", "department": None, "assisting_departments": [], "deadline": None}


def stages(event: Event) -> list[Event]:
    """``event`` as the events it stands for, in the order they happened: itself for every event but a
    ``case.dispatched`` that also registered the case (``registration``) or opened it (``report``)."""
    if event.type != "case.dispatched":
        return [event]
    p = event.payload
    report, registration = p.get("report"), p.get("registration")
    if not report and not registration:
        return [event]
    facts = {k: p[k] for k in CASE_FACTS if k in p}
    found = []
    if report:
        found.append(
            replace(
                event,
                event_id=event.event_id + REPORTED_SUFFIX,
                type="case.reported",
                wire_payload=None,
                occurred_at=report["occurred_at"],
                actor=dict(report["actor"]),
                payload={
                    **facts,
                    **_UNASSIGNED,
                    "version": report["version"],
                    "stage": report["stage"],
                    "stage_deadline": report["stage_deadline"],
                    "report_id": report["report_id"],
                    "handled_on_spot": report["handled_on_spot"],
                    "possible_duplicates": list(report["possible_duplicates"]),
                },
            )
        )
    if registration:
        # the registration is told with the facts of the dispatch it came with, as it always was
        found.append(
            replace(
                event,
                event_id=event.event_id + REGISTERED_SUFFIX,
                type="case.registered",
                wire_payload=None,
                occurred_at=registration["registered_at"],
                payload={
                    **facts,
                    "report_id": registration["report_id"],
                    "registered_by": registration["registered_by"],
                },
            )
        )
    found.append(event)
    return found
