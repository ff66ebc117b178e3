"""What people choose: what they subscribe to, and on which channels they hear each kind of notification.

Pure checks against the rules and the directory copy; ``ValidationFailed`` names every fault.
"""

import re

from services.notifications.domain import rules
from services.notifications.domain.audiences import SUBSCRIPTION_KINDS
from shared.errors import ValidationFailed
from shared.fields import ID_PATTERN


def subscription(user_id: str, kind: str, target: str, reference, new_id, now) -> dict:
    """A subscription of ``user_id`` to ``kind``/``target``; the target must exist (a case id need only look like one).

    A subscription grants no access: its owner hears only of cases they may see.
    """
    known = {
        "grid": reference.grids,
        "community": {c: a for c, a in reference.areas.items() if a["level"] == "community"},
        "street": {c: a for c, a in reference.areas.items() if a["level"] == "street"},
        "category": reference.categories,
    }
    if kind not in SUBSCRIPTION_KINDS:
        raise ValidationFailed.from_messages({"kind": [f"One of: {', '.join(SUBSCRIPTION_KINDS)}."]})
    if kind == "case":
        if not re.match(ID_PATTERN, target):
            raise ValidationFailed.from_messages({"target": ["Not a case id."]})
    elif target not in known[kind]:
        raise ValidationFailed.from_messages({"target": [f"No {kind} {target}."]})
    return {
        "_id": new_id("S"),
        "user_id": user_id,
        "kind": kind,
        "target": target,
        "key": f"{kind}:{target}",
        "created_at": now,
    }


def preferences(channels: dict) -> dict:
    """Checked channel choices: kind (an event type) -> channels (an empty list silences the kind)."""
    faults = {}
    for kind, chosen in channels.items():
        if kind not in rules.KINDS:
            faults[kind] = [f"Not a kind of notification. Kinds: {', '.join(rules.KINDS)}."]
        elif not isinstance(chosen, list) or any(c not in rules.PERSON_CHANNELS for c in chosen):
            faults[kind] = [f"A list of channels: {', '.join(rules.PERSON_CHANNELS)}."]
    if faults:
        raise ValidationFailed.from_messages({"channels": faults})
    return {kind: sorted(set(chosen)) for kind, chosen in channels.items()}
