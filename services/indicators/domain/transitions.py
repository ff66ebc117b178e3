"""A case's transitions — (kind, version, time, detail) — read from the cases service's events, or from the case's
own history for the recomputation that checks the read model: both must give the same transitions. An event is one
transition, but for the dispatch that also registered the case, or opened it (``transitions_from_event``)."""

from shared.events.stages import stages

# event type -> transition kind (the same words as the history's actions)
KIND_OF_EVENT = {
    "case.reported": "report",
    "case.registered": "register",
    "case.dispatched": "dispatch",
    "case.accepted": "accept",
    "case.returned": "return",
    "case.extension_approved": "approve_extension",
    "case.resolved": "resolve",
    "case.verified": "verify",
    "case.reworked": "rework",
    "case.closed": "close",
    "case.suspended": "suspend",
    "case.resumed": "resume",
    "case.cancelled": "cancel",
    "case.rejected": "reject",
    "case.merged": "merge",
    "case.rated": "rate",
}


def transition_from_event(event) -> dict | None:
    kind = KIND_OF_EVENT.get(event.type)
    if kind is None:
        return None
    p = event.payload
    detail = {}
    if kind == "report" and p.get("handled_on_spot"):
        detail["handled_on_spot"] = True
    if kind == "rework":
        detail["failed_check"] = not p.get("reopened", False)
    if kind == "close":
        detail["on_time"] = p.get("on_time")
    if kind == "rate":
        detail["rating"] = p["rating"]
    return {"kind": kind, "version": p["version"], "at": event.occurred_at, **detail}


def transitions_from_event(event) -> dict[str, dict | None]:
    """The transitions ``event`` announces, keyed as a case's fact document keeps them: by the id of each stage it
    stands for (``shared/events/stages.py``; None when it moves no counter, so that a redelivery is still known).
    An event is one transition, but for a dispatch that also registered the case (``registration``), or opened it
    too (``report``): as many as the case's history has entries for them. A registration taken before stages were
    shared is kept under ``<event id>:register``; its event's own id is kept beside it, which is what a redelivery
    is known by."""
    return {stage.event_id: transition_from_event(stage) for stage in stages(event)}


def transitions_from_history(case: dict) -> list[dict]:
    """The same transitions, read back from a case's own history (for the recomputation)."""
    found, version = [], 1
    for entry in case["history"]:
        action, to = entry["action"], entry["to_status"]
        kind = {
            "report": "report",
            "register": "register",
            "dispatch": "dispatch",
            "accept": "accept",
            "return": "return",
            "approve_extension": "approve_extension",
            "resolve": "resolve",
            "suspend": "suspend",
            "resume": "resume",
            "close": "close",
            "cancel": "cancel",
            "reject": "reject",
            "merge": "merge",
            "rate": "rate",
            "handle_on_spot": None,
        }.get(action)
        if action in ("verify", "reopen"):
            kind = "verify" if to == "verified" else "rework"
        if kind is None:
            continue
        detail = {}
        if kind == "rework":
            detail["failed_check"] = action == "verify"
        if kind == "close":
            detail["on_time"] = case.get("on_time")
        if kind == "report" and case.get("handled_on_spot"):
            detail["handled_on_spot"] = True
        if kind == "rate":
            detail["rating"] = entry.get("rating")
        at = case["created_at"] if kind == "report" else entry["at"]
        found.append({"kind": kind, "version": version, "at": at, **detail})
        version += 1
    return found
