import copy

import pytest

from services.directory.domain.gridmap import (
    FAULT_CODES,
    Fault,
    parse_feature_collection,
    to_feature_collection,
)
from shared.geo import metres_per_degree

LON, LAT, STEP = 108.96, 34.27, 0.001
USERS = {"U1", "U2", "U3", "L1"}


def square(column, row=0, size=1):
    x0, y0 = LON + column * STEP, LAT + row * STEP
    x1, y1 = LON + (column + size) * STEP, LAT + (row + size) * STEP
    return {"type": "Polygon", "coordinates": [[[x0, y0], [x1, y0], [x1, y1], [x0, y1], [x0, y0]]]}


def area(level, code, name, parent=None, geometry=None):
    properties = {"level": level, "code": code, "name": name, "parent": parent}
    return {"type": "Feature", "properties": properties, "geometry": geometry}


def grid(code, parent, geometry, officers=("U1",), leader="L1", households=300):
    properties = {
        "level": "grid",
        "code": code,
        "name": f"网格 {code[-3:]}",
        "parent": parent,
        "officers": list(officers),
        "leader": leader,
        "households": households,
    }
    return {"type": "Feature", "properties": properties, "geometry": geometry}


def valid_map():
    """A district with a street and its community, plus a community straight under the
    district (no street level) and a grid straight under the street (no community)."""
    return {
        "type": "FeatureCollection",
        "features": [
            area("district", "610102", "新城区"),
            area("street", "610102001", "西一路街道", "610102"),
            area("community", "610102001001", "尚德路社区", "610102001"),
            area("community", "610102000001", "东新街社区", "610102"),
            grid("610102001001001", "610102001001", square(0)),
            grid("610102001001002", "610102001001", square(1)),
            grid("610102000001001", "610102000001", square(2), officers=("U2", "U3")),
            grid("610102001000001", "610102001", square(3), leader=None),
        ],
    }


def props(doc, index):
    return doc["features"][index]["properties"]


def codes_of(faults):
    return [f.code for f in faults]


def test_a_valid_map_has_no_faults():
    areas, grids, faults = parse_feature_collection(valid_map(), known_users=USERS)
    assert faults == []
    assert [a["code"] for a in areas] == ["610102", "610102001", "610102001001", "610102000001"]
    assert len(grids) == 4


def test_a_valid_map_reads_into_plain_area_and_grid_records():
    areas, grids, _ = parse_feature_collection(valid_map())
    assert areas[0] == {"code": "610102", "level": "district", "name": "新城区", "parent": None}
    assert grids[2] == {
        "code": "610102000001001",
        "name": "网格 001",
        "parent": "610102000001",
        "polygon": square(2),
        "officers": ["U2", "U3"],
        "leader": "L1",
        "households": 300,
    }


def test_an_exported_map_reads_back_the_same_areas_and_grids():
    areas, grids, _ = parse_feature_collection(valid_map())
    again_areas, again_grids, faults = parse_feature_collection(to_feature_collection(areas, grids), known_users=USERS)
    assert faults == []
    assert (again_areas, again_grids) == (areas, grids)


def test_an_area_outline_survives_the_round_trip():
    doc = valid_map()
    doc["features"][2]["geometry"] = square(0, size=2)
    areas, grids, faults = parse_feature_collection(doc)
    assert faults == []
    assert areas[2]["polygon"] == square(0, size=2)
    assert parse_feature_collection(to_feature_collection(areas, grids))[:2] == (areas, grids)


def test_the_export_is_a_feature_collection_with_the_code_as_feature_id():
    areas, grids, _ = parse_feature_collection(valid_map())
    exported = to_feature_collection(areas, grids)
    assert exported["type"] == "FeatureCollection"
    assert [f["id"] for f in exported["features"]] == [x["code"] for x in areas + grids]
    assert exported["features"][0]["geometry"] is None


def test_the_export_does_not_share_lists_with_the_records():
    areas, grids, _ = parse_feature_collection(valid_map())
    exported = to_feature_collection(areas, grids)
    exported["features"][4]["geometry"]["coordinates"][0][0][0] = 0
    exported["features"][4]["properties"]["officers"].append("U9")
    assert grids[0]["polygon"] == square(0)
    assert grids[0]["officers"] == ["U1"]


def test_a_grid_may_hang_directly_under_a_district_when_both_levels_are_missing():
    doc = valid_map()
    doc["features"].append(grid("610102000000001", "610102", square(5)))
    assert parse_feature_collection(doc)[2] == []


def test_officers_are_not_checked_against_users_unless_users_are_given():
    doc = valid_map()
    props(doc, 4)["officers"] = ["NOBODY"]
    assert parse_feature_collection(doc)[2] == []


def test_an_altitude_is_dropped_and_a_whole_float_count_of_households_is_a_count():
    doc = valid_map()
    ring = doc["features"][4]["geometry"]["coordinates"][0]
    doc["features"][4]["geometry"]["coordinates"][0] = [[x, y, 410.0] for x, y in ring]
    props(doc, 4)["households"] = 300.0
    _, grids, faults = parse_feature_collection(doc)
    assert faults == []
    assert grids[0]["polygon"] == square(0)
    assert grids[0]["households"] == 300


def test_an_overlap_within_the_tolerance_is_accepted_and_beyond_it_is_not():
    doc = valid_map()
    mx, _ = metres_per_degree(LAT)
    # Push grid 002's west edge 1 cm into grid 001: about 1.1 m² of overlap.
    ring = doc["features"][5]["geometry"]["coordinates"][0]
    for position in ring:
        if position[0] == LON + STEP:
            position[0] -= 0.01 / mx
    assert parse_feature_collection(doc, overlap_tolerance_m2=2.0)[2] == []
    faults = parse_feature_collection(doc, overlap_tolerance_m2=1.0)[2]
    assert codes_of(faults) == ["OVERLAP"]
    assert "1.1 m²" in faults[0].message


# How to break the valid map, and the fault that must follow. Feature indexes:
# 0 district, 1 street, 2 community, 3 community under the district, 4-7 grids.
def _set(index, key, value):
    def mutate(doc):
        props(doc, index)[key] = value

    return mutate


def _drop(index, key):
    def mutate(doc):
        del props(doc, index)[key]

    return mutate


def _geometry(index, geometry):
    def mutate(doc):
        doc["features"][index]["geometry"] = geometry

    return mutate


def _append(feature):
    def mutate(doc):
        doc["features"].append(feature)

    return mutate


def _ring(*points):
    return {
        "type": "Polygon",
        "coordinates": [[[LON + x * STEP, LAT + y * STEP] for x, y in points]],
    }


BREAKAGES = {
    "not a feature": (_append("grid 9"), "NOT_A_FEATURE"),
    "feature of another type": (
        _append({"type": "Point", "coordinates": [LON, LAT]}),
        "NOT_A_FEATURE",
    ),
    "operator key in properties": (_set(4, "$where", "1 == 1"), "FORBIDDEN_KEY"),
    "no properties": (lambda doc: doc["features"][4].update(properties=None), "MISSING_PROPERTY"),
    "no level": (_drop(4, "level"), "MISSING_PROPERTY"),
    "no code": (_drop(4, "code"), "MISSING_PROPERTY"),
    "no name": (_drop(1, "name"), "MISSING_PROPERTY"),
    "empty name": (_set(1, "name", ""), "MISSING_PROPERTY"),
    "no parent": (_drop(2, "parent"), "MISSING_PROPERTY"),
    "no officers": (_drop(4, "officers"), "MISSING_PROPERTY"),
    "no households": (_drop(4, "households"), "MISSING_PROPERTY"),
    "name not text": (_set(1, "name", 7), "BAD_PROPERTY"),
    "officers not a list": (_set(4, "officers", "U1"), "BAD_PROPERTY"),
    "officer id with an operator": (_set(4, "officers", ["$ne"]), "BAD_PROPERTY"),
    "officer listed twice": (_set(4, "officers", ["U1", "U1"]), "BAD_PROPERTY"),
    "leader not an id": (_set(4, "leader", 5), "BAD_PROPERTY"),
    "unknown level": (_set(4, "level", "village"), "BAD_LEVEL"),
    "code too short": (_set(5, "code", "61010200100102"), "BAD_CODE"),
    "code not a string": (_set(1, "code", 610102001), "BAD_CODE"),
    "code with letters": (_set(5, "code", "61010200100100X"), "BAD_CODE"),
    "code numbered 000": (_set(5, "code", "610102001001000"), "BAD_CODE"),
    "code not under its parent": (_set(5, "code", "610102002001002"), "BAD_CODE"),
    "community under the district without 000": (_set(3, "code", "610102002001"), "BAD_CODE"),
    "parent not a string": (_set(2, "parent", 610102001), "BAD_CODE"),
    "duplicate code": (
        _append(grid("610102001001001", "610102001001", square(6))),
        "DUPLICATE_CODE",
    ),
    "unknown parent": (_set(5, "parent", "610102001009"), "UNKNOWN_PARENT"),
    "grid under a grid": (_set(5, "parent", "610102001001001"), "WRONG_PARENT_LEVEL"),
    "street under a community": (_set(1, "parent", "610102000001"), "WRONG_PARENT_LEVEL"),
    "district with a parent": (_set(0, "parent", "610000"), "WRONG_PARENT_LEVEL"),
    "point geometry": (_geometry(4, {"type": "Point", "coordinates": [LON, LAT]}), "BAD_GEOMETRY"),
    "no geometry": (_geometry(4, None), "BAD_GEOMETRY"),
    "too few points": (_geometry(4, _ring((0, 0), (1, 0), (0, 0))), "BAD_GEOMETRY"),
    "latitude out of range": (
        _geometry(4, {"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 91], [0, 0]]]}),
        "BAD_GEOMETRY",
    ),
    "coordinates not numbers": (
        _geometry(4, {"type": "Polygon", "coordinates": [[["a", "b"]] * 4]}),
        "BAD_GEOMETRY",
    ),
    "polygon without rings": (_geometry(4, {"type": "Polygon", "coordinates": []}), "BAD_GEOMETRY"),
    "hole outside its shell": (
        _geometry(
            4,
            {
                "type": "Polygon",
                "coordinates": square(0)["coordinates"] + square(6, size=1)["coordinates"],
            },
        ),
        "BAD_GEOMETRY",
    ),
    "unclosed ring": (_geometry(4, _ring((0, 0), (1, 0), (1, 1), (0, 1))), "UNCLOSED_RING"),
    "bow tie": (_geometry(4, _ring((0, 0), (1, 1), (1, 0), (0, 1), (0, 0))), "SELF_INTERSECTION"),
    "overlapping grids": (_geometry(5, square(0.5)), "OVERLAP"),
    "grid without officers": (_set(4, "officers", []), "NO_OFFICER"),
    "officer who is not a user": (_set(4, "officers", ["U1", "NOBODY"]), "UNKNOWN_OFFICER"),
    "leader who is not a user": (_set(4, "leader", "NOBODY"), "UNKNOWN_LEADER"),
    "negative households": (_set(4, "households", -1), "BAD_HOUSEHOLDS"),
    "households as text": (_set(4, "households", "300"), "BAD_HOUSEHOLDS"),
    "fractional households": (_set(4, "households", 3.5), "BAD_HOUSEHOLDS"),
    "households as a boolean": (_set(4, "households", True), "BAD_HOUSEHOLDS"),
}


@pytest.mark.parametrize(("mutate", "expected"), BREAKAGES.values(), ids=BREAKAGES.keys())
def test_each_kind_of_mistake_is_reported_with_its_fault_code(mutate, expected):
    doc = valid_map()
    mutate(doc)
    faults = parse_feature_collection(doc, known_users=USERS)[2]
    assert expected in codes_of(faults)
    assert all(f.message.endswith(".") and f.message[0].isupper() for f in faults)


@pytest.mark.parametrize(
    "doc",
    [
        [],
        "map",
        {"type": "Feature"},
        {"type": "FeatureCollection"},
        {"type": "FeatureCollection", "features": {}},
    ],
    ids=["list", "text", "feature", "no features", "features not a list"],
)
def test_anything_but_a_feature_collection_is_refused(doc):
    areas, grids, faults = parse_feature_collection(doc)
    assert (areas, grids, codes_of(faults)) == ([], [], ["NOT_A_FEATURE_COLLECTION"])
    assert faults[0].feature is None


def test_a_map_without_grids_is_refused():
    doc = valid_map()
    doc["features"] = doc["features"][:4]
    assert codes_of(parse_feature_collection(doc)[2]) == ["NO_GRIDS"]


def test_an_operator_key_on_the_collection_is_reported_without_a_feature():
    doc = valid_map()
    doc["$set"] = {"type": "x"}
    assert parse_feature_collection(doc)[2] == [
        Fault(
            "FORBIDDEN_KEY",
            None,
            None,
            ("The collection has the key(s) $set in its top-level members; keys may not start with '$', remove them."),
        )
    ]


def test_every_fault_code_is_exercised_by_a_test():
    exercised = {expected for _, expected in BREAKAGES.values()} | {
        "NOT_A_FEATURE_COLLECTION",
        "NO_GRIDS",
    }
    assert exercised == FAULT_CODES


def test_all_faults_of_a_map_are_reported_together_in_feature_order():
    doc = valid_map()
    props(doc, 1)["name"] = ""
    props(doc, 4)["households"] = -3
    props(doc, 4)["officers"] = []
    props(doc, 5)["parent"] = "610102001009"
    doc["features"][6]["geometry"] = _ring((2, 0), (3, 1), (3, 0), (2, 1), (2, 0))
    doc["features"][7]["geometry"] = square(0.5)
    faults = parse_feature_collection(doc)[2]
    assert [(f.feature, f.code) for f in faults] == [
        (1, "MISSING_PROPERTY"),
        (4, "NO_OFFICER"),
        (4, "BAD_HOUSEHOLDS"),
        (5, "UNKNOWN_PARENT"),
        (6, "SELF_INTERSECTION"),
        (7, "OVERLAP"),
        (7, "OVERLAP"),
    ]


def test_a_fault_names_the_feature_and_the_object_code():
    doc = valid_map()
    props(doc, 5)["officers"] = []
    (fault,) = parse_feature_collection(doc)[2]
    assert (fault.feature, fault.object_code) == (5, "610102001001002")
    assert fault.message.startswith("Grid 610102001001002 has no officer")
    assert fault.as_dict()["code"] == "NO_OFFICER"


def test_a_self_intersection_is_located_for_the_editor():
    doc = valid_map()
    doc["features"][4]["geometry"] = {
        "type": "Polygon",
        "coordinates": [
            [
                [108.96, 34.27],
                [108.962, 34.272],
                [108.962, 34.27],
                [108.96, 34.272],
                [108.96, 34.27],
            ]
        ],
    }
    (fault,) = parse_feature_collection(doc)[2]
    assert fault.code == "SELF_INTERSECTION"
    assert "near lon 108.961, lat 34.271" in fault.message


def test_an_overlap_names_both_grids_and_its_size():
    doc = valid_map()
    doc["features"][5]["geometry"] = square(0.5)
    (fault,) = parse_feature_collection(doc)[2]
    assert fault.object_code == "610102001001002"
    assert "overlaps grid 610102001001001" in fault.message
    assert " m² around lon " in fault.message


def test_an_operator_key_never_reaches_the_records():
    doc = valid_map()
    props(doc, 4)["$where"] = "sleep(1000)"
    doc["features"][4]["geometry"]["$where"] = "x"
    doc["features"][4]["$set"] = {}
    areas, grids, faults = parse_feature_collection(doc)
    assert codes_of(faults) == ["FORBIDDEN_KEY"] * 3
    assert "$" not in repr(areas + grids)


def test_parsing_does_not_change_the_document():
    doc = valid_map()
    before = copy.deepcopy(doc)
    parse_feature_collection(doc)
    assert doc == before
