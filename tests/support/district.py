"""A tiny district for integration tests: 2 streets, 3 communities, 6 grids, one person per role.

Grids are 0.01° squares west→east from 108.95°E, 34.26–34.27°N. Community
610102000003 hangs directly under the district: a missing street level is allowed.
"""

DISTRICT = "610102"
LON0, LAT0, STEP = 108.95, 34.26, 0.01


def square(col: int) -> dict:
    x0, x1 = LON0 + col * STEP, LON0 + (col + 1) * STEP
    ring = [[x0, LAT0], [x1, LAT0], [x1, LAT0 + STEP], [x0, LAT0 + STEP], [x0, LAT0]]
    return {"type": "Polygon", "coordinates": [[[round(x, 6), round(y, 6)] for x, y in ring]]}


def centre(col: int) -> dict:
    return {"lat": LAT0 + STEP / 2, "lon": LON0 + (col + 0.5) * STEP}


AREAS = [
    {"code": DISTRICT, "level": "district", "name": "新城区", "parent": None},
    {"code": "610102001", "level": "street", "name": "西一路街道", "parent": DISTRICT},
    {"code": "610102002", "level": "street", "name": "长乐中路街道", "parent": DISTRICT},
    {"code": "610102001001", "level": "community", "name": "一社区", "parent": "610102001"},
    {"code": "610102002001", "level": "community", "name": "二社区", "parent": "610102002"},
    {"code": "610102000003", "level": "community", "name": "三社区（直属）", "parent": DISTRICT},
]
COMMUNITY_OF_COLUMN = ["610102001001", "610102001001", "610102002001", "610102002001", "610102000003", "610102000003"]
GRIDS = [
    {
        "code": f"{community}{col + 1:03d}",
        "name": f"第{col + 1}网格",
        "parent": community,
        "polygon": square(col),
        "officers": [f"officer-{col + 1}"],
        "leader": f"leader-{community}",
        "households": 300,
    }
    for col, community in enumerate(COMMUNITY_OF_COLUMN)
]
GRID_CODES = [g["code"] for g in GRIDS]

DEPARTMENTS = [
    {"code": "sanitation", "name_zh": "环卫所", "name_en": "Environmental sanitation"},
    {"code": "municipal", "name_zh": "市政设施管理所", "name_en": "Municipal facilities"},
    {"code": "justice", "name_zh": "司法所", "name_en": "Judicial office"},
    {"code": "urban_management", "name_zh": "城管执法中队", "name_en": "Urban management"},
]


def _limits(disposal):
    return {"dispatch": 1, "sign_for": 1, "disposal": disposal, "verification": 4}


CATEGORIES = [
    {
        "code": "sanitation",
        "name_zh": "环境卫生",
        "name_en": "Environmental sanitation",
        "kind": "event",
        "department": "sanitation",
        "priority": "normal",
        "limits_hours": _limits(24),
    },
    {
        "code": "drainage",
        "name_zh": "下水道堵塞",
        "name_en": "Blocked drain",
        "kind": "component",
        "department": "municipal",
        "priority": "high",
        "limits_hours": _limits(24),
        "attributes": [
            {
                "code": "severity",
                "description": "How bad",
                "datatype": "singlevaluelist",
                "required": True,
                "values": [{"key": "minor", "name": "轻微"}, {"key": "flooding", "name": "积水"}],
            }
        ],
    },
    {
        "code": "street_light",
        "name_zh": "路灯损坏",
        "name_en": "Broken street light",
        "kind": "component",
        "department": "municipal",
        "priority": "normal",
        "limits_hours": _limits(48),
    },
    {
        "code": "dispute",
        "name_zh": "矛盾纠纷",
        "name_en": "Neighbour dispute",
        "kind": "event",
        "department": "justice",
        "priority": "normal",
        "limits_hours": _limits(72),
    },
]

ROUTING_RULES = [
    {"rule_id": "sanitation", "category": "sanitation", "department": "sanitation", "automatic": True},
    {"rule_id": "drainage", "category": "drainage", "department": "municipal", "automatic": True},
    {"rule_id": "street_light", "category": "street_light", "department": "municipal", "automatic": True},
    # street 002's rubbish is the urban-management squad's, by a more specific rule
    {
        "rule_id": "sanitation-610102002",
        "category": "sanitation",
        "street": "610102002",
        "department": "urban_management",
        "automatic": True,
    },
    {"rule_id": "dispute", "category": "dispute", "department": "justice", "automatic": False},
]


def _user(user_id, roles, department=None, language="zh-CN"):
    return {
        "user_id": user_id,
        "username": user_id,
        "name": user_id,
        "roles": roles,
        "department": department,
        "language": language,
        "phone": None,
        "email": None,
    }


USERS = (
    [_user(f"officer-{i}", ["grid_officer"]) for i in range(1, 7)]
    + [_user(f"leader-{c}", ["grid_leader"]) for c in sorted(set(COMMUNITY_OF_COLUMN))]
    + [
        _user("operator1", ["operator"]),
        _user("supervisor", ["supervisor"]),
        _user("admin", ["admin"], language="en"),
        _user("handler-sanitation-1", ["handler"], "sanitation"),
        _user("head-sanitation", ["department_head"], "sanitation"),
        _user("handler-municipal-1", ["handler"], "municipal"),
        _user("handler-urban_management-1", ["handler"], "urban_management"),
    ]
)

ROLE_USERS = {
    "grid_officer": "officer-1",
    "grid_leader": "leader-610102001001",
    "operator": "operator1",
    "handler": "handler-sanitation-1",
    "department_head": "head-sanitation",
    "supervisor": "supervisor",
    "admin": "admin",
}

PASSWORD = "test-password-123"


def tiny_district() -> dict:
    return {
        "areas": AREAS,
        "grids": GRIDS,
        "departments": DEPARTMENTS,
        "categories": CATEGORIES,
        "routing_rules": ROUTING_RULES,
        "users": USERS,
    }
