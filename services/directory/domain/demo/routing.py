"""Routing rules: which department a new case goes to, and whether without an operator.

One default per category, then overrides for a street or a community: the most
specific rule that matches wins. Disputes, illegal construction and property
complaints need an operator's judgement, so their defaults are not automatic.
"""

NEEDS_OPERATOR = frozenset({"dispute", "illegal_construction", "property_management"})

# (category, street number, community number or None, department, automatic)
_OVERRIDES = (
    # Inside the city wall the enforcement squad clears vendors' litter.
    ("sanitation", "001", None, "urban_management", True),
    # Around the railway station the governance office coordinates.
    ("public_security", "005", None, "comprehensive_governance", True),
    # Roads and drains still held by the developer of newer estates.
    ("road_damage", "009", None, "housing", True),
    ("drainage", "004", None, "housing", True),
    # A standing campaign: no need to wait for an operator.
    ("illegal_construction", "002", None, "urban_management", True),
    # A compound without a property firm.
    ("property_management", "008", "001", "housing", True),
    # A home-visit pilot: the operator decides case by case.
    ("elderly_alone", "003", "002", "civil_affairs", False),
)


def routing_rules(categories: list[dict], district_code: str) -> list[dict]:
    rules = []
    for category in categories:
        code = category["code"]
        automatic = code not in NEEDS_OPERATOR
        rules.append(_rule(f"default:{code}", code, None, None, category["department"], automatic))
    for category, street_number, community_number, department, automatic in _OVERRIDES:
        street = district_code + street_number
        community = street + community_number if community_number else None
        scope = f"community:{community}" if community else f"street:{street}"
        rules.append(_rule(f"{scope}:{category}", category, street, community, department, automatic))
    return rules


def _rule(rule_id, category, street, community, department, automatic) -> dict:
    return {
        "rule_id": rule_id,
        "category": category,
        "street": street,
        "community": community,
        "department": department,
        "automatic": automatic,
    }
