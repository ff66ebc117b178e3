"""From an event's audiences to recipients and their channels. Pure: the directory copy in, recipients out.

Everything comes from the event's facts (``CaseFacts``) and the service's copy of
the directory (users with roles, department, language and contacts; departments;
the grid map with each grid's officers and leader) — never from another service.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from typing import NamedTuple

from services.notifications.domain import rules
from services.notifications.domain.messages import DEFAULT_LANGUAGE
from shared.auth import Identity, can_see_case
from shared.auth.policy import DEPARTMENT_HEAD, HANDLER, OPERATOR, SUPERVISOR
from shared.events import Event
from shared.refdata import grids_by_person

WATCHABLE = ("grid", "community", "street", "category")
SUBSCRIPTION_KINDS = ("case", *WATCHABLE)


@dataclass(frozen=True)
class Recipient:
    kind: str  # "user" or "department"
    id: str
    language: str = DEFAULT_LANGUAGE
    email: str | None = None
    phone: str | None = None

    @property
    def key(self) -> str:
        return f"{self.kind}:{self.id}"


@dataclass
class Addressed:
    recipient: Recipient
    channels: set[str] = field(default_factory=set)
    audiences: set[str] = field(default_factory=set)


class People:
    """Lookups over the directory copy, built once per revision of it."""

    def __init__(self, users: dict, departments: dict, grids: dict):
        self.users = {uid: u for uid, u in users.items() if u.get("active", True)}
        self.departments = {code: d for code, d in departments.items() if d.get("active", True)}
        self.grids = grids
        self.by_role: dict[str, list[str]] = defaultdict(list)
        self.staff: dict[tuple[str, str], list[str]] = defaultdict(list)  # (department, role) -> users
        for uid, user in sorted(self.users.items()):
            for role in user.get("roles", ()):
                self.by_role[role].append(uid)
                if user.get("department"):
                    self.staff[(user["department"], role)].append(uid)
        self.grids_of = grids_by_person(grids)

    def person(self, user_id: str) -> Recipient | None:
        user = self.users.get(user_id)
        if user is None:
            return None
        return Recipient(
            "user", user_id, user.get("language") or DEFAULT_LANGUAGE, user.get("email"), user.get("phone")
        )

    def department(self, code: str | None) -> Recipient | None:
        return Recipient("department", code) if code in self.departments else None

    def identity(self, user_id: str) -> Identity:
        user = self.users.get(user_id, {})
        return Identity(
            user_id,
            frozenset(user.get("roles", ())),
            grids=frozenset(self.grids_of.get(user_id, ())),
            department=user.get("department"),
        )


_people_cache: dict = {}


def people_of(reference) -> People:
    """The ``People`` of a ``shared.refdata.Reference``, rebuilt only when one of its kinds moved on."""
    stamp = (
        id(reference),
        reference.revision("users"),
        reference.revision("departments"),
        reference.revision("grid_map"),
    )
    if _people_cache.get("stamp") != stamp:
        _people_cache.update(stamp=stamp, people=People(reference.users, reference.departments, reference.grids))
    return _people_cache["people"]


class SharedInbox(NamedTuple):
    """An audience that is a role rather than a person, with one inbox its members share: ``role``, whose holders
    read it; ``per_department``, one inbox per department (the event's lead department; a reader's, their own)
    rather than one for all."""

    role: str
    per_department: bool = False


# Each with one inbox its members share (one entry per event for all of them, read marks per person;
# storage/inbox.py): the command centre's, every operator's; a department's handlers', each department's own. A
# department's head is one person (a person with a role, docs/domain.md): they keep an entry of their own.
SHARED_INBOXES = {
    rules.COMMAND_CENTRE: SharedInbox(OPERATOR),
    rules.HANDLERS: SharedInbox(HANDLER, per_department=True),
}


@dataclass(frozen=True)
class Shared:
    """A shared inbox an event names as a whole: ``audience``, its name (``inbox_name``); ``via``, the audiences a
    member reached through it carries (``{command_centre}``, ``{department_handlers}``, or ``{escalation_targets}``
    when an escalation rung names it); and who held the role (in the department) when the event was filed."""

    audience: str
    via: frozenset[str]
    members: frozenset[str]


def inbox_name(audience: str, department: str | None) -> str | None:
    """The name of ``audience``'s shared inbox: the audience's own, or for one per department ``<audience>:<code>``
    (None without a department)."""
    if not SHARED_INBOXES[audience].per_department:
        return audience
    return f"{audience}:{department}" if department else None


def shared_owner(audience: str) -> str:
    """Whose a shared inbox's entries are filed as: its name, spelt so that no person's id can be it (ids begin
    with a letter or digit, ``shared.fields.ID_PATTERN``); so its entries ride on the index people's inboxes are
    read by, and no inbox entry pays for one more index."""
    return f"@{audience}"


def shared_inboxes_of(identity: Identity) -> tuple[str, ...]:
    """The shared inboxes ``identity`` reads: decided when they read, by their roles and department now (the
    directory's current word in the service's copy, ``shared.auth.principal``): a handler moved to another
    department reads that one's, no longer the one they left."""
    names = (
        inbox_name(audience, identity.department)
        for audience, inbox in SHARED_INBOXES.items()
        if inbox.role in identity.roles
    )
    return tuple(name for name in names if name)


def _holders(audience: str, facts: dict, people: People) -> list[str]:
    """Who holds the role of the shared inbox ``audience`` for an event with ``facts``: everyone, or the lead
    department's."""
    inbox = SHARED_INBOXES[audience]
    if inbox.per_department:
        return people.staff.get((facts.get("department"), inbox.role), [])
    return people.by_role.get(inbox.role, [])


def shared_named(event: Event, people: People) -> list[Shared]:
    """The shared inboxes ``event`` names as a whole, by its rules or by the escalation rung that fired."""
    found = []
    for audience in SHARED_INBOXES:
        name = inbox_name(audience, event.payload.get("department"))
        if name is None:
            continue
        for rule in rules.RULES.get(event.type, ()):
            if rule.audience == audience or (
                rule.audience == rules.ESCALATION_TARGETS and audience in _rung_audiences(event.payload)
            ):
                members = frozenset(_holders(audience, event.payload, people))
                found.append(Shared(name, frozenset({rule.audience}), members))
                break
    return found


def subscription_keys(facts: dict) -> list[str]:
    """The subscription keys an event about a case with ``facts`` matches."""
    keys = [f"case:{facts['case_id']}"]
    keys += [f"{kind}:{facts[kind]}" for kind in WATCHABLE if facts.get(kind)]
    return keys


def _users(people: People, user_ids) -> list[Recipient]:
    return [r for r in (people.person(uid) for uid in user_ids) if r is not None]


def _subscribers(people: People, facts: dict, subscriptions: list[dict], kinds) -> list[Recipient]:
    """Subscribers of the given kinds who may see the case (a subscription grants no access)."""
    wanted = {s["user_id"] for s in subscriptions if s["kind"] in kinds}
    return [r for r in _users(people, sorted(wanted)) if can_see_case(people.identity(r.id), facts)]


# Who holds a stage, and who answers for them — the targets an escalation rung may name.
_RESPONSIBLE = {
    "dispatch": rules.COMMAND_CENTRE,
    "sign_for": rules.HANDLERS,
    "disposal": rules.HANDLERS,
    "verification": rules.GRID_OFFICERS,
}
_RESPONSIBLE_HEAD = {
    "dispatch": rules.COMMAND_CENTRE,
    "sign_for": rules.HEAD,
    "disposal": rules.HEAD,
    "verification": rules.GRID_LEADER,
}


def _rung_audience(kind: str | None, stage: str | None) -> str | None:
    """The audience an escalation target of ``kind`` names while the case is at ``stage``."""
    return {
        "responsible": _RESPONSIBLE.get(stage),
        "responsible_head": _RESPONSIBLE_HEAD.get(stage),
        "command_centre": rules.COMMAND_CENTRE,
        "supervisor": rules.SUPERVISORS,
        "department_head": rules.HEAD,
        "department_handlers": rules.HANDLERS,
        "grid_officers": rules.GRID_OFFICERS,
        "grid_leader": rules.GRID_LEADER,
    }.get(kind)


def _rung_audiences(facts: dict) -> set[str]:
    return {_rung_audience(t.get("kind"), facts.get("stage")) for t in facts.get("targets", ())} - {None}


def escalation_targets(facts: dict, people: People, subscriptions: list[dict]) -> list[Recipient]:
    """The people (and department) a fired rung names, from its target kinds and the case's stage."""
    found: list[Recipient] = []
    for target in facts.get("targets", ()):
        kind = target.get("kind")
        if kind == "person":
            found += _users(people, [target.get("user_id")])
        elif kind == "webhook":  # the case department's own systems, through its configured endpoint
            found += [r for r in [people.department(facts.get("department"))] if r]
        else:
            audience = _rung_audience(kind, facts.get("stage"))
            if audience:
                found += resolve(audience, facts, people, subscriptions)
    return found


def resolve(audience: str, facts: dict, people: People, subscriptions: list[dict]) -> list[Recipient]:
    department = facts.get("department")
    grid = people.grids.get(facts.get("grid") or "", {})
    if audience == rules.DEPARTMENT:
        return [r for r in [people.department(department)] if r]
    if audience == rules.ASSISTING:
        return [r for r in map(people.department, facts.get("assisting_departments", ())) if r]
    if audience in SHARED_INBOXES:  # the command centre, the department's handlers
        return _users(people, _holders(audience, facts, people))
    if audience == rules.HEAD:
        return _users(people, people.staff.get((department, DEPARTMENT_HEAD), ()))
    if audience == rules.GRID_OFFICERS:
        return _users(people, grid.get("officers", ()))
    if audience == rules.GRID_LEADER:
        return _users(people, [grid["leader"]] if grid.get("leader") else [])
    if audience == rules.SUPERVISORS:
        return _users(people, people.by_role.get(SUPERVISOR, ()))
    if audience == rules.UNSATISFIED_SUPERVISORS:
        return _users(people, people.by_role.get(SUPERVISOR, ())) if facts.get("rating") == "unsatisfied" else []
    if audience == rules.REPORTERS:
        return _users(people, facts.get("reporters", ()))
    if audience == rules.FOLLOWERS:
        return _subscribers(people, facts, subscriptions, {"case"})
    if audience == rules.WATCHERS:
        return _subscribers(people, facts, subscriptions, set(WATCHABLE))
    if audience == rules.ESCALATION_TARGETS:
        return escalation_targets(facts, people, subscriptions)
    raise ValueError(f"unknown audience {audience}")


def address(event: Event, people: People, subscriptions: list[dict]) -> list[Addressed]:
    """Everyone the rules name for ``event``, once each, with the default channels of every row naming them.

    The person who acted is left out: nobody needs telling what they just did.
    """
    found: dict[str, Addressed] = {}
    actor = (event.actor or {}).get("user_id")
    for rule in rules.RULES.get(event.type, ()):
        for recipient in resolve(rule.audience, event.payload, people, subscriptions):
            if recipient.kind == "user" and recipient.id == actor:
                continue
            entry = found.setdefault(recipient.key, Addressed(recipient))
            entry.channels |= set(rule.channels)
            entry.audiences.add(rule.audience)
    return list(found.values())


def choose_channels(
    addressed: list[Addressed], kind: str, preferences: dict[str, dict], webhooks: set[str]
) -> list[Addressed]:
    """Apply people's channel choices for ``kind`` and the departments' webhook endpoints.

    ``preferences``: user id -> {kind: [channels]}; ``webhooks``: departments with an active endpoint.
    """
    chosen = []
    for entry in addressed:
        r = entry.recipient
        if r.kind == "user":
            own = preferences.get(r.id, {}).get(kind)
            channels = set(own) if own is not None else entry.channels
            channels &= set(rules.PERSON_CHANNELS)
        else:
            channels = entry.channels & set(rules.DEPARTMENT_CHANNELS)
            if r.id not in webhooks:
                channels.discard(rules.WEBHOOK)
        if channels:
            chosen.append(Addressed(r, channels, entry.audiences))
    return chosen
