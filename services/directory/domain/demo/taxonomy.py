"""The starting taxonomy of departments (职能部门) and categories (案件类别), as data.

Codes are stable identifiers; time limits are hours
per stage after the Fuzhou example of the domain brief (§4). Attributes follow
Open311 service definitions: extra fields an officer fills in when reporting. Their
``description`` and the ``name`` of a value are English, as in Open311;
``description_zh`` and ``name_zh`` carry the Chinese.
"""

import copy

DEPARTMENTS = [
    {"code": "police", "name_zh": "公安派出所", "name_en": "Police station"},
    {"code": "comprehensive_governance", "name_zh": "综治办", "name_en": "Comprehensive governance office"},
    {"code": "justice", "name_zh": "司法所", "name_en": "Judicial office (mediation)"},
    {"code": "sanitation", "name_zh": "环卫所", "name_en": "Environmental sanitation"},
    {"code": "urban_management", "name_zh": "城管执法中队", "name_en": "Urban management enforcement"},
    {"code": "housing", "name_zh": "住建局", "name_en": "Housing and construction"},
    {"code": "municipal", "name_zh": "市政设施管理所", "name_en": "Municipal facilities"},
    {"code": "property", "name_zh": "房管所", "name_en": "Housing administration (property)"},
    {"code": "civil_affairs", "name_zh": "民政所", "name_en": "Civil affairs"},
    {"code": "hr_social_security", "name_zh": "人社所", "name_en": "Human resources and social security"},
    {"code": "health", "name_zh": "卫健办", "name_en": "Health commission office"},
    {"code": "emergency", "name_zh": "应急管理所", "name_en": "Emergency management"},
    {"code": "landscaping", "name_zh": "园林绿化所", "name_en": "Landscaping and greening"},
]

GROUPS = {
    code: {"code": code, "name_zh": name_zh, "name_en": name_en}
    for code, name_zh, name_en in (
        ("social_order", "社会治安", "Social order"),
        ("city_appearance", "市容环境", "City appearance"),
        ("municipal_facilities", "市政设施", "Municipal facilities"),
        ("livelihood", "民生服务", "Livelihood services"),
        ("safety", "安全生产", "Safety"),
    )
}


# What a resident may report through Open311 apps: the street's visible problems. Security, disputes, people's
# circumstances and emergencies (110/119/120) stay with grid officers and the hotline.
PUBLIC = frozenset(
    {"sanitation", "street_light", "drainage", "road_damage", "illegal_construction", "property_management", "greening"}
)


def _limits(disposal: float, *, sign_for: float = 1, dispatch: float = 1, verification: float = 4) -> dict:
    return {"dispatch": dispatch, "sign_for": sign_for, "disposal": disposal, "verification": verification}


def _values(*triples: tuple[str, str, str]) -> list[dict]:
    return [{"key": key, "name": name, "name_zh": name_zh} for key, name, name_zh in triples]


def _attribute(code, description, description_zh, datatype, order, *, required=False, values=()) -> dict:
    return {
        "code": code,
        "description": description,
        "description_zh": description_zh,
        "datatype": datatype,
        "required": required,
        "order": order,
        "values": list(values),
    }


def _category(code, name_zh, name_en, kind, department, priority, limits, group, keywords, attributes=()) -> dict:
    return {
        "code": code,
        "name_zh": name_zh,
        "name_en": name_en,
        "kind": kind,
        "department": department,
        "priority": priority,
        "limits_hours": limits,
        "attributes": list(attributes),
        "keywords": list(keywords),
        "group": dict(GROUPS[group]),
        "public": code in PUBLIC,
    }


_DISPUTE_KINDS = _values(
    ("neighbour", "Neighbours", "邻里纠纷"),
    ("family", "Family", "家庭纠纷"),
    ("property", "Property", "物业纠纷"),
    ("labour", "Wages and labour", "劳资纠纷"),
)
_LIGHT_FAULTS = _values(
    ("off_at_night", "Off at night", "夜间不亮"),
    ("on_by_day", "On by day", "白天常亮"),
    ("flickering", "Flickering", "闪烁"),
    ("pole_damaged", "Pole damaged", "灯杆损坏"),
)
_DRAIN_SEVERITIES = _values(
    ("slow", "Draining slowly", "排水缓慢"),
    ("standing_water", "Standing water", "路面积水"),
    ("overflowing", "Sewage overflowing", "污水外溢"),
)
_DAMAGE_SIZES = _values(
    ("small", "Under 1 m²", "小于1平方米"),
    ("medium", "1 to 5 m²", "1至5平方米"),
    ("large", "Over 5 m²", "大于5平方米"),
)
_CONSTRUCTION_STAGES = _values(
    ("in_progress", "Being built", "正在施工"),
    ("completed", "Finished", "已建成"),
)
_ELDERLY_NEEDS = _values(
    ("meals", "Meals", "助餐"),
    ("medical", "Medical care", "就医"),
    ("cleaning", "Cleaning", "保洁"),
    ("companionship", "Companionship", "陪伴"),
    ("emergency_call", "Emergency call device", "紧急呼叫设备"),
)
_HAZARDS = _values(
    ("fire", "Fire", "火情"),
    ("gas", "Gas leak", "燃气泄漏"),
    ("electrical", "Electrical", "电气隐患"),
    ("structural", "Structural", "建筑结构"),
    ("blocked_exit", "Blocked fire exit", "消防通道堵塞"),
)

CATEGORIES = [
    _category(
        "public_security",
        "治安隐患",
        "Public security hazard",
        "event",
        "police",
        "high",
        _limits(24),
        "social_order",
        ["治安", "可疑人员", "打架", "盗窃", "security", "theft"],
    ),
    _category(
        "dispute",
        "矛盾纠纷",
        "Neighbour or family dispute",
        "event",
        "justice",
        "normal",
        _limits(72),
        "social_order",
        ["纠纷", "邻里", "家庭", "调解", "dispute", "mediation"],
        [
            _attribute(
                "dispute_kind",
                "What the dispute is about",
                "纠纷类型",
                "singlevaluelist",
                1,
                required=True,
                values=_DISPUTE_KINDS,
            ),
            _attribute("parties", "Number of people involved", "涉及人数", "number", 2),
        ],
    ),
    _category(
        "floating_population",
        "流动人口/出租房屋",
        "Floating population, rentals",
        "event",
        "police",
        "normal",
        _limits(120),
        "social_order",
        ["流动人口", "出租房", "租户", "rental", "tenants"],
        [
            _attribute("address", "Address of the rented home", "出租房屋地址", "string", 1, required=True),
            _attribute("tenants", "Number of tenants", "租住人数", "number", 2),
        ],
    ),
    _category(
        "sanitation",
        "环境卫生",
        "Environmental sanitation",
        "event",
        "sanitation",
        "normal",
        _limits(24),
        "city_appearance",
        ["垃圾", "乱倒", "脏乱差", "rubbish", "litter", "dumping"],
    ),
    _category(
        "street_light",
        "路灯损坏",
        "Broken street light",
        "component",
        "municipal",
        "normal",
        _limits(48),
        "municipal_facilities",
        ["路灯", "不亮", "灯杆", "street light", "lamp"],
        [
            _attribute("pole_number", "Number painted on the pole", "灯杆编号", "string", 1),
            _attribute("fault", "What is wrong", "故障现象", "singlevaluelist", 2, required=True, values=_LIGHT_FAULTS),
        ],
    ),
    _category(
        "drainage",
        "下水道堵塞",
        "Blocked drain",
        "component",
        "municipal",
        "high",
        _limits(24),
        "municipal_facilities",
        ["下水道", "堵塞", "积水", "井盖", "drain", "flooding"],
        [
            _attribute(
                "severity", "How bad it is", "严重程度", "singlevaluelist", 1, required=True, values=_DRAIN_SEVERITIES
            ),
            _attribute("water_depth_cm", "Depth of standing water, in centimetres", "积水深度(厘米)", "number", 2),
        ],
    ),
    _category(
        "road_damage",
        "道路破损",
        "Damaged road",
        "component",
        "municipal",
        "normal",
        _limits(72),
        "municipal_facilities",
        ["道路", "坑洼", "破损", "pothole", "road"],
        [_attribute("size", "Size of the damage", "破损面积", "singlevaluelist", 1, values=_DAMAGE_SIZES)],
    ),
    _category(
        "illegal_construction",
        "违章搭建",
        "Illegal construction",
        "event",
        "urban_management",
        "normal",
        _limits(120),
        "city_appearance",
        ["违建", "私搭乱建", "加盖", "illegal building", "extension"],
        [
            _attribute(
                "stage",
                "Stage of the construction",
                "施工状态",
                "singlevaluelist",
                1,
                required=True,
                values=_CONSTRUCTION_STAGES,
            ),
            _attribute("area_m2", "Estimated floor area, in square metres", "估计面积(平方米)", "number", 2),
        ],
    ),
    _category(
        "property_management",
        "物业管理",
        "Property management complaint",
        "event",
        "property",
        "normal",
        _limits(72),
        "livelihood",
        ["物业", "电梯", "停车", "property management", "lift"],
    ),
    _category(
        "social_assistance",
        "低保/社会救助",
        "Subsistence allowance, hardship",
        "event",
        "civil_affairs",
        "normal",
        _limits(120),
        "livelihood",
        ["低保", "救助", "困难", "allowance", "hardship"],
    ),
    _category(
        "elderly_alone",
        "空巢独居老人",
        "Elderly living alone",
        "event",
        "civil_affairs",
        "high",
        _limits(24),
        "livelihood",
        ["独居", "空巢", "老人", "elderly", "living alone"],
        [
            _attribute("age", "Age of the person", "年龄", "number", 1, required=True),
            _attribute(
                "needs", "What help is needed", "需要的帮助", "multivaluelist", 2, required=True, values=_ELDERLY_NEEDS
            ),
            _attribute("last_visit", "When someone last visited", "上次探访时间", "datetime", 3),
            _attribute(
                "notes",
                "Health, family contacts, anything a visitor should know",
                "健康状况、家属联系方式等",
                "text",
                4,
            ),
        ],
    ),
    _category(
        "employment",
        "就业/社保",
        "Employment and social security",
        "event",
        "hr_social_security",
        "low",
        _limits(120),
        "livelihood",
        ["就业", "社保", "失业", "employment", "pension"],
    ),
    _category(
        "public_health",
        "公共卫生",
        "Public health",
        "event",
        "health",
        "high",
        _limits(24),
        "livelihood",
        ["卫生", "疫情", "传染", "public health", "outbreak"],
    ),
    _category(
        "safety_hazard",
        "安全隐患/突发事件",
        "Fire and safety hazard, emergencies",
        "event",
        "emergency",
        "urgent",
        _limits(4, sign_for=0.25, dispatch=0.25, verification=1),
        "safety",
        ["消防", "燃气", "火灾", "隐患", "fire", "gas leak", "emergency"],
        [
            _attribute("hazard", "Kind of hazard", "隐患类型", "singlevaluelist", 1, required=True, values=_HAZARDS),
            _attribute("people_at_risk", "People at risk", "受威胁人数", "number", 2),
        ],
    ),
    _category(
        "greening",
        "绿化",
        "Greening",
        "component",
        "landscaping",
        "low",
        _limits(120),
        "city_appearance",
        ["绿化", "树木", "草坪", "tree", "greening"],
    ),
]


def departments() -> list[dict]:
    return [dict(d) for d in DEPARTMENTS]


# Emergencies run on the 24×7 clock; urgent drainage (flooding) on shorter limits than the routine kind.
CLOCKS = {"safety_hazard": "24x7"}
LIMITS_BY_PRIORITY = {"drainage": {"urgent": _limits(4, sign_for=0.5, dispatch=0.5, verification=2)}}


def categories() -> list[dict]:
    """A fresh copy on every call, so a caller may change it freely."""
    found = copy.deepcopy(CATEGORIES)
    for category in found:
        category["clock"] = CLOCKS.get(category["code"], "working")
        category["limits_by_priority"] = copy.deepcopy(LIMITS_BY_PRIORITY.get(category["code"], {}))
    return found
