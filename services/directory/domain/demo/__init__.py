"""A deterministic demo district the size of Xi'an 新城区 (610102): areas, grids,
departments, categories, routing rules and users. Same seed, same district."""

import random

from .layout import build_layout
from .routing import routing_rules
from .taxonomy import categories, departments
from .users import make_users

__all__ = ["generate_district"]


def generate_district(seed: int = 610102) -> dict:
    rng = random.Random(seed)
    areas, grids = build_layout(rng)
    department_list = departments()
    category_list = categories()
    users = make_users(rng, areas, grids, department_list)
    return {
        "areas": areas,
        "grids": grids,
        "departments": department_list,
        "categories": category_list,
        "routing_rules": routing_rules(category_list, areas[0]["code"]),
        "users": users,
    }
