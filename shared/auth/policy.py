"""Who may do what: the one table of permissions. Which cases a person sees: ``shared.auth.visibility``.

Roles (docs/domain.md §1): grid officer 网格员, grid leader 网格长, dispatch operator
指挥中心派遣员, department handler 处置人员, department head 部门负责人,
supervisor 监督/督办, administrator 系统管理员.
"""

GRID_OFFICER = "grid_officer"
GRID_LEADER = "grid_leader"
OPERATOR = "operator"
HANDLER = "handler"
DEPARTMENT_HEAD = "department_head"
SUPERVISOR = "supervisor"
ADMIN = "admin"

ROLES = (GRID_OFFICER, GRID_LEADER, OPERATOR, HANDLER, DEPARTMENT_HEAD, SUPERVISOR, ADMIN)
STAFF = frozenset(ROLES)
# Not a person's role: an app holding an Open311 API key, for the few minutes of one request (docs/open311.md).
PUBLIC_APP = "open311_app"

PERMISSIONS: dict[str, frozenset[str]] = {
    # field reports: officers in the street, operators taking a hotline call
    "reports.submit": frozenset({GRID_OFFICER, GRID_LEADER, OPERATOR}),
    "reports.submit_for_others": frozenset({OPERATOR}),
    # the public's reports, through an app holding an Open311 API key
    "reports.submit_public": frozenset({PUBLIC_APP}),
    # a public reporter's contact details: personal data, for the operators who screen and answer the case
    "reports.read_contact": frozenset({OPERATOR}),
    # cases: everyone on the job sees some cases; which ones is decided per case
    "cases.read": frozenset({GRID_OFFICER, GRID_LEADER, OPERATOR, HANDLER, DEPARTMENT_HEAD, SUPERVISOR}),
    "cases.read_all": frozenset({OPERATOR, SUPERVISOR}),
    # a department's inbox: its own people; the command centre watches all of them
    "notifications.read_department": frozenset({HANDLER, DEPARTMENT_HEAD, OPERATOR, SUPERVISOR}),
    "notifications.read_any_department": frozenset({OPERATOR, SUPERVISOR}),
    # one's own notifications: inbox, channel preferences
    "notifications.read_own": STAFF,
    # following cases, watching places and categories, the live stream: whoever reads cases
    "notifications.subscribe": frozenset({GRID_OFFICER, GRID_LEADER, OPERATOR, HANDLER, DEPARTMENT_HEAD, SUPERVISOR}),
    "notifications.stream": frozenset({GRID_OFFICER, GRID_LEADER, OPERATOR, HANDLER, DEPARTMENT_HEAD, SUPERVISOR}),
    # who was told what, on which channel, every attempt (addresses included)
    "notifications.read_deliveries": frozenset({OPERATOR, SUPERVISOR, ADMIN}),
    # departments' webhook endpoints and their signing secrets
    "notifications.manage_webhooks": frozenset({ADMIN}),
    # reference data
    "directory.read": STAFF,
    "directory.write": frozenset({ADMIN}),
    "routing.read": frozenset({OPERATOR, SUPERVISOR, ADMIN}),
    "users.manage": frozenset({ADMIN}),
    # apps' Open311 API keys
    "open311.manage_keys": frozenset({ADMIN}),
    # the platform itself
    "operations.manage": frozenset({ADMIN}),
}


def may(identity, permission: str) -> bool:
    return identity.has_any(PERMISSIONS[permission])
