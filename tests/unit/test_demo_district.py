import json
from collections import Counter

import pytest
import shapely

from services.directory.domain.demo import generate_district
from services.directory.domain.gridmap import parse_feature_collection, to_feature_collection
from shared.geo import area_m2, metres_per_degree, to_shape

STREET_NAMES = {
    "西一路街道", "长乐中路街道", "中山门街道", "韩森寨街道", "解放门街道",
    "自强路街道", "太华路街道", "长乐西路街道", "胡家庙街道",
}  # fmt: skip
ROLES = {
    "grid_officer",
    "grid_leader",
    "operator",
    "handler",
    "department_head",
    "supervisor",
    "admin",
}
DATATYPES = {"string", "number", "datetime", "text", "singlevaluelist", "multivaluelist"}


@pytest.fixture(scope="module")
def district():
    return generate_district()


@pytest.fixture(scope="module")
def shapes(district):
    return {g["code"]: to_shape(g["polygon"]) for g in district["grids"]}


def of_level(district, level):
    return [a for a in district["areas"] if a["level"] == level]


def users_by_id(district):
    return {u["user_id"]: u for u in district["users"]}


def test_the_district_has_the_size_of_xincheng(district):
    counts = Counter(a["level"] for a in district["areas"])
    assert (counts["district"], counts["street"], counts["community"]) == (1, 9, 101)
    assert len(district["grids"]) == 802


def test_the_district_and_its_streets_have_their_real_names_and_codes(district):
    (xincheng,) = of_level(district, "district")
    assert (xincheng["code"], xincheng["name"], xincheng["parent"]) == ("610102", "新城区", None)
    streets = of_level(district, "street")
    assert {s["name"] for s in streets} == STREET_NAMES
    assert sorted(s["code"] for s in streets) == [f"610102{n:03d}" for n in range(1, 10)]


def test_the_grids_cover_about_31_square_kilometres_without_gaps(shapes):
    union = shapely.union_all(list(shapes.values()))
    assert union.geom_type == "Polygon"
    assert len(union.interiors) == 0
    assert area_m2(union) == pytest.approx(31e6, rel=0.10)


def test_the_district_lies_around_xincheng(shapes):
    centre = shapely.union_all(list(shapes.values())).centroid
    assert centre.x == pytest.approx(108.96, abs=0.01)
    assert centre.y == pytest.approx(34.27, abs=0.01)


def test_the_map_validates_with_no_fault_and_reads_back_unchanged(district):
    doc = to_feature_collection(district["areas"], district["grids"])
    known = set(users_by_id(district))
    areas, grids, faults = parse_feature_collection(doc, known_users=known, overlap_tolerance_m2=0.0)
    assert faults == []
    assert (areas, grids) == (district["areas"], district["grids"])


def test_neighbouring_grids_share_edges_vertex_for_vertex(district, shapes):
    # Without T-junctions every inner edge is used twice, once in each direction, and
    # the edges used once add up to the outline of the district.
    edges = Counter()
    for grid in district["grids"]:
        ring = grid["polygon"]["coordinates"][0]
        edges.update((tuple(a), tuple(b)) for a, b in zip(ring, ring[1:], strict=False))
    assert max(edges.values()) == 1
    outline = [shapely.LineString(e) for e in edges if (e[1], e[0]) not in edges]
    district_outline = shapely.union_all(list(shapes.values())).exterior
    assert sum(line.length for line in outline) == pytest.approx(district_outline.length)


def test_outlines_wind_counter_clockwise_as_rfc_7946_asks(shapes):
    assert all(shape.exterior.is_ccw for shape in shapes.values())


def test_every_grid_has_one_officer_and_its_community_leader(district):
    users = users_by_id(district)
    for grid in district["grids"]:
        (officer,) = grid["officers"]
        assert users[officer]["username"] == f"officer-{grid['code']}"
        assert users[officer]["roles"] == ["grid_officer"]
        assert users[grid["leader"]]["username"] == f"leader-{grid['parent']}"
    assert len({g["officers"][0] for g in district["grids"]}) == 802


def test_grids_average_about_300_households_and_communities_1000_to_3000(district):
    households = [g["households"] for g in district["grids"]]
    assert sum(households) / len(households) == pytest.approx(300, abs=10)
    assert min(households) >= 200 and max(households) <= 400
    per_community = Counter()
    for grid in district["grids"]:
        per_community[grid["parent"]] += grid["households"]
    assert min(per_community.values()) >= 1000 and max(per_community.values()) <= 3000


def test_a_community_has_six_to_nine_grids(district):
    per_community = Counter(g["parent"] for g in district["grids"])
    assert set(per_community) == {c["code"] for c in of_level(district, "community")}
    assert min(per_community.values()) >= 6 and max(per_community.values()) <= 9


def test_numbering_starts_at_the_north_west_corner(district, shapes):
    """Grids are numbered west to east, north to south: grid 001 holds the community's
    north-west corner (up to the few metres the lattice is jittered by)."""
    by_community = {}
    for code, shape in shapes.items():
        by_community.setdefault(code[:12], []).append((code, shape))
    mx, my = metres_per_degree(34.27)
    for grids in by_community.values():
        west, _, _, north = shapely.union_all([s for _, s in grids]).bounds
        first = min(grids)[1]
        assert (first.bounds[0] - west) * mx < 20 and (north - first.bounds[3]) * my < 20


def test_role_counts_follow_the_brief(district):
    roles = Counter(role for user in district["users"] for role in user["roles"])
    assert roles == {
        "grid_officer": 802,
        "grid_leader": 101,
        "operator": 6,
        "department_head": 13,
        "handler": 39,
        "supervisor": 1,
        "admin": 1,
    }


def test_users_are_unique_memorable_and_complete(district):
    users = district["users"]
    for key in ("user_id", "username", "name", "phone", "email"):
        assert len({u[key] for u in users}) == len(users), key
    usernames = {u["username"] for u in users}
    assert {"admin", "supervisor"} | {f"operator{n}" for n in range(1, 7)} <= usernames
    assert {"head-police", "handler-police-1", "handler-police-3"} <= usernames
    assert all(set(u["roles"]) <= ROLES and u["language"] in ("zh-CN", "en") for u in users)
    assert 0 < sum(u["language"] == "en" for u in users) < 10
    assert all(u["phone"].isdigit() and len(u["phone"]) == 11 for u in users)
    assert not any("password" in key for u in users for key in u)


def test_department_staff_belong_to_existing_departments(district):
    departments = {d["code"] for d in district["departments"]}
    staff = [u for u in district["users"] if {"handler", "department_head"} & set(u["roles"])]
    assert {u["department"] for u in staff} == departments
    heads = Counter(u["department"] for u in staff if u["roles"] == ["department_head"])
    assert set(heads.values()) == {1}


def test_category_attributes_follow_open311(district):
    for category in district["categories"]:
        orders = [a["order"] for a in category["attributes"]]
        assert len(set(orders)) == len(orders), category["code"]
        for attribute in category["attributes"]:
            assert attribute["datatype"] in DATATYPES
            assert isinstance(attribute["required"], bool)
            listed = attribute["datatype"].endswith("valuelist")
            assert bool(attribute["values"]) == listed, attribute["code"]
            assert all(set(v) == {"key", "name", "name_zh"} for v in attribute["values"])


def test_drainage_asks_for_severity_and_elderly_alone_for_age_and_needs(district):
    categories = {c["code"]: c for c in district["categories"]}
    drainage = {a["code"]: a for a in categories["drainage"]["attributes"]}
    assert drainage["severity"]["datatype"] == "singlevaluelist" and drainage["severity"]["required"]
    elderly = {a["code"]: a["datatype"] for a in categories["elderly_alone"]["attributes"]}
    assert elderly["age"] == "number" and elderly["needs"] == "multivaluelist"


def test_every_category_has_one_default_rule_to_its_department(district):
    defaults = [r for r in district["routing_rules"] if r["street"] is None and r["community"] is None]
    assert sorted(r["category"] for r in defaults) == sorted(c["code"] for c in district["categories"])
    departments = {c["code"]: c["department"] for c in district["categories"]}
    assert all(r["department"] == departments[r["category"]] for r in defaults)


@pytest.mark.parametrize(
    ("category", "automatic"),
    [("dispute", False), ("illegal_construction", False), ("sanitation", True)],
)
def test_disputes_and_illegal_construction_wait_for_an_operator_by_default(district, category, automatic):
    (rule,) = [r for r in district["routing_rules"] if r["rule_id"] == f"default:{category}"]
    assert rule["automatic"] is automatic


def test_overrides_name_real_streets_communities_and_departments(district):
    areas = {a["code"]: a for a in district["areas"]}
    departments = {d["code"] for d in district["departments"]}
    overrides = [r for r in district["routing_rules"] if r["street"] is not None]
    assert len({r["rule_id"] for r in district["routing_rules"]}) == len(district["routing_rules"])
    assert any(r["community"] for r in overrides) and any(not r["community"] for r in overrides)
    for rule in overrides:
        assert areas[rule["street"]]["level"] == "street" and rule["department"] in departments
        if rule["community"]:
            assert areas[rule["community"]]["parent"] == rule["street"]


def test_the_same_seed_gives_the_same_district(district):
    assert json.dumps(generate_district(610102), ensure_ascii=False) == json.dumps(district, ensure_ascii=False)


def test_another_seed_gives_another_district_of_the_same_size(district):
    other = generate_district(seed=7)
    assert other["grids"][0]["polygon"] != district["grids"][0]["polygon"]
    assert (len(other["areas"]), len(other["grids"]), len(other["users"])) == (111, 802, 963)
    assert parse_feature_collection(to_feature_collection(other["areas"], other["grids"]))[2] == []
