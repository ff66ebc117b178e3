"""Who hears of what: the recipient rules, one row per event type × audience. Data, no I/O.

A row names an *audience* (resolved to people or departments by
``services.notifications.domain.audiences``) and the channels it gets by default. People
may choose other channels per kind of notification (the event type) in their
preferences; departments get their department inbox and, when an administrator
has set one up, their webhook.

Followers of a case hear of everything that happens to it; watchers of a grid,
community, street or category hear of new cases and closures there. Nobody is
told of their own action. ``docs/notifications.md`` shows this table.

Adding an event is one entry in ``RULES`` and one in the service's ``EVENT_HANDLERS``.
"""

from typing import NamedTuple

# audiences
DEPARTMENT = "department"  # the lead department, as an organisation
ASSISTING = "assisting_departments"
HANDLERS = "department_handlers"  # the lead department's handlers
HEAD = "department_head"
GRID_OFFICERS = "grid_officers"
GRID_LEADER = "grid_leader"
COMMAND_CENTRE = "command_centre"  # every operator
SUPERVISORS = "supervisors"
REPORTERS = "reporters"
FOLLOWERS = "followers"  # subscribed to the case
WATCHERS = "watchers"  # subscribed to its grid, community, street or category
ESCALATION_TARGETS = "escalation_targets"  # whom the fired rung of the escalation ladder names
UNSATISFIED_SUPERVISORS = "supervisors_if_unsatisfied"  # supervision, when a reporter rated the outcome 不满意

# channels
INBOX, EMAIL, SMS, WEBHOOK = "inbox", "email", "sms", "webhook"
PERSON_CHANNELS = (INBOX, EMAIL, SMS)
DEPARTMENT_CHANNELS = (INBOX, WEBHOOK)
OUTGOING = frozenset({EMAIL, SMS, WEBHOOK})  # sent by the courier, with retries; the inbox is filed at once


class Rule(NamedTuple):
    audience: str
    channels: tuple[str, ...]


_FOLLOWERS = Rule(FOLLOWERS, (INBOX,))
_WATCHERS = Rule(WATCHERS, (INBOX,))
_DEPARTMENT_SYSTEMS = Rule(DEPARTMENT, (WEBHOOK,))

RULES: dict[str, tuple[Rule, ...]] = {
    "case.reported": (Rule(COMMAND_CENTRE, (INBOX,)), _WATCHERS, _FOLLOWERS),
    "case.registered": (Rule(REPORTERS, (INBOX,)), _FOLLOWERS),
    "case.rejected": (Rule(REPORTERS, (INBOX, EMAIL)), _FOLLOWERS),
    "case.merged": (Rule(REPORTERS, (INBOX,)), _FOLLOWERS),
    "case.dispatched": (
        Rule(DEPARTMENT, (INBOX, WEBHOOK)),
        Rule(ASSISTING, (INBOX, WEBHOOK)),
        Rule(HANDLERS, (INBOX, EMAIL)),
        Rule(HEAD, (INBOX, EMAIL)),
        _FOLLOWERS,
    ),
    "case.accepted": (Rule(REPORTERS, (INBOX,)), _FOLLOWERS),
    "case.returned": (Rule(COMMAND_CENTRE, (INBOX,)), _FOLLOWERS),
    "case.extension_requested": (Rule(SUPERVISORS, (INBOX, EMAIL)), _FOLLOWERS),
    "case.extension_approved": (Rule(HANDLERS, (INBOX,)), _DEPARTMENT_SYSTEMS, _FOLLOWERS),
    "case.extension_denied": (Rule(HANDLERS, (INBOX,)), _DEPARTMENT_SYSTEMS, _FOLLOWERS),
    "case.suspended": (Rule(HANDLERS, (INBOX,)), _DEPARTMENT_SYSTEMS, _FOLLOWERS),
    "case.resumed": (Rule(HANDLERS, (INBOX,)), _DEPARTMENT_SYSTEMS, _FOLLOWERS),
    "case.supervised": (Rule(HANDLERS, (INBOX, SMS)), Rule(HEAD, (INBOX, EMAIL)), _DEPARTMENT_SYSTEMS, _FOLLOWERS),
    "case.resolved": (Rule(GRID_OFFICERS, (INBOX, SMS)), Rule(GRID_LEADER, (INBOX,)), _FOLLOWERS),
    "case.reworked": (
        Rule(DEPARTMENT, (INBOX, WEBHOOK)),
        Rule(HANDLERS, (INBOX, EMAIL)),
        Rule(HEAD, (INBOX, EMAIL)),
        _FOLLOWERS,
    ),
    "case.verified": (Rule(COMMAND_CENTRE, (INBOX,)), _FOLLOWERS),
    "case.closed": (Rule(REPORTERS, (INBOX, EMAIL)), _DEPARTMENT_SYSTEMS, _WATCHERS, _FOLLOWERS),
    "case.cancelled": (Rule(REPORTERS, (INBOX,)), Rule(HANDLERS, (INBOX,)), _DEPARTMENT_SYSTEMS, _FOLLOWERS),
    "case.commented": (_FOLLOWERS,),
    # 回访: an unsatisfied rating is always put before supervision
    "case.rated": (Rule(UNSATISFIED_SUPERVISORS, (INBOX, EMAIL)), Rule(HANDLERS, (INBOX,)), _FOLLOWERS),
    # A stage runs late: the rung's targets (handlers, the head, the command centre, supervision…)
    # by inbox and e-mail, the department's systems by webhook when a rung names them.
    "case.escalated": (Rule(ESCALATION_TARGETS, (INBOX, EMAIL, WEBHOOK)), _FOLLOWERS),
}

# The kinds of notification a person may choose channels for.
KINDS = tuple(RULES)
