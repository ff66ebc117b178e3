"""What a category, a routing rule or a person names must exist: a department, a category, a street, a community."""

from shared.errors import Unprocessable


def check_category(category: dict, departments: dict) -> None:
    if category["department"] not in departments:
        raise Unprocessable.of(
            "department.unknown", {"department": category["department"]}, department=category["department"]
        )


def check_routing_rule(rule: dict, *, categories: dict, departments: dict, areas: dict) -> None:
    problems = {}
    if rule["category"] not in categories:
        problems["category"] = f"Unknown category '{rule['category']}'."
    if rule["department"] not in departments:
        problems["department"] = f"Unknown department '{rule['department']}'."
    for level in ("street", "community"):
        code = rule.get(level)
        if code and (code not in areas or areas[code]["level"] != level):
            problems[level] = f"Unknown {level} '{code}'."
    street, community = rule.get("street"), rule.get("community")
    if street and community in areas and areas[community].get("parent") != street:
        problems["community"] = f"The community '{community}' is not in the street '{street}'."
    if problems:
        raise Unprocessable.of("routing.unknown_references", {"fields": problems})


def check_user(user: dict, departments: dict) -> None:
    if user.get("department") and user["department"] not in departments:
        raise Unprocessable.of("department.unknown", {"department": user["department"]}, department=user["department"])
