import math

import pytest
import shapely

from shared.geo import GridIndex, area_m2, from_local_metres, metres_per_degree, to_shape

LON, LAT = 108.96, 34.27
STEP = 0.001  # about 92 m east-west and 111 m north-south here


def square(x0, y0, x1, y1, holes=()):
    def ring(a, b, c, d):
        return [[a, b], [c, b], [c, d], [a, d], [a, b]]

    return {"type": "Polygon", "coordinates": [ring(x0, y0, x1, y1)] + [ring(*h) for h in holes]}


def at(column, row):
    """(lat, lon) of a point given in lattice units; row 0 is the southern one."""
    return LAT + row * STEP, LON + column * STEP


def cell(column, row, holes=()):
    """The square of the test lattice at (column, row), corners placed exactly as ``at``."""
    (y0, x0), (y1, x1) = at(column, row), at(column + 1, row + 1)
    return square(x0, y0, x1, y1, holes)


# Four grids in a 2x2 block, numbered so that the south-east one has the lowest code.
BLOCK = [
    {"code": "610102001001003", "polygon": cell(0, 1)},  # north-west
    {"code": "610102001001004", "polygon": cell(1, 1)},  # north-east
    {"code": "610102001001002", "polygon": cell(0, 0)},  # south-west
    {"code": "610102001001001", "polygon": cell(1, 0)},  # south-east
]
HOLED = {
    "code": "610102001002001",
    "polygon": cell(3, 0, holes=[(LON + 3.4 * STEP, LAT + 0.4 * STEP, LON + 3.6 * STEP, LAT + 0.6 * STEP)]),
}
SPLIT = {
    "code": "610102001002002",
    "polygon": {
        "type": "MultiPolygon",
        "coordinates": [cell(5, 0)["coordinates"], cell(7, 0)["coordinates"]],
    },
}


@pytest.fixture(scope="module")
def index():
    return GridIndex.from_grids(BLOCK + [HOLED, SPLIT])


@pytest.mark.parametrize(
    ("point", "expected"),
    [
        (at(0.5, 1.5), "610102001001003"),
        (at(1.5, 1.5), "610102001001004"),
        (at(0.5, 0.5), "610102001001002"),
        (at(1.5, 0.5), "610102001001001"),
    ],
)
def test_a_point_inside_a_grid_is_located_in_that_grid(index, point, expected):
    assert index.locate(*point) == expected


@pytest.mark.parametrize("point", [at(-0.5, 0.5), at(2.5, 0.5), at(1, 2.5), at(6.5, 0.5), (0.0, 0.0)])
def test_a_point_outside_every_grid_is_located_nowhere(index, point):
    assert index.locate(*point) is None


def test_a_point_inside_a_hole_is_located_nowhere(index):
    assert index.locate(*at(3.5, 0.5)) is None


def test_the_edge_of_a_hole_still_belongs_to_the_grid(index):
    assert index.locate(*at(3.4, 0.5)) == HOLED["code"]


@pytest.mark.parametrize(
    ("point", "expected"),
    [
        (at(1, 1.5), "610102001001003"),  # between the two northern grids
        (at(1, 0.5), "610102001001001"),  # between the two southern grids
        (at(0.5, 1), "610102001001002"),  # between the two western grids
        (at(1.5, 1), "610102001001001"),  # between the two eastern grids
    ],
)
def test_a_point_on_a_shared_edge_belongs_to_the_lowest_code(index, point, expected):
    assert index.locate(*point) == expected


def test_the_corner_shared_by_four_grids_belongs_to_the_lowest_code(index):
    assert index.locate(*at(1, 1)) == "610102001001001"


def test_the_boundary_rule_does_not_depend_on_the_order_grids_are_given_in():
    reversed_index = GridIndex.from_grids(list(reversed(BLOCK)))
    assert reversed_index.locate(*at(1, 1)) == "610102001001001"
    assert reversed_index.locate(*at(1, 1.5)) == "610102001001003"


def test_the_outer_edge_and_corner_of_a_grid_are_inside_it(index):
    assert index.locate(*at(0, 1.5)) == "610102001001003"
    assert index.locate(*at(0, 2)) == "610102001001003"


def test_each_part_of_a_multipolygon_grid_holds_points_and_the_gap_between_does_not(index):
    assert index.locate(*at(5.5, 0.5)) == SPLIT["code"]
    assert index.locate(*at(7.5, 0.5)) == SPLIT["code"]
    assert index.locate(*at(6.5, 0.5)) is None


@pytest.mark.parametrize("point", [(math.nan, LON), (LAT, math.inf)])
def test_a_point_without_finite_coordinates_is_located_nowhere(index, point):
    assert index.locate(*point) is None


def test_a_point_on_a_shared_edge_is_covered_by_both_grids(index):
    assert index.covers("610102001001003", *at(1, 1.5))
    assert index.covers("610102001001004", *at(1, 1.5))


def test_covers_answers_for_the_grid_named_only(index):
    assert index.covers("610102001001002", *at(0.5, 0.5))
    assert not index.covers("610102001001001", *at(0.5, 0.5))


def test_an_unknown_grid_covers_nothing(index):
    assert not index.covers("610102009009009", *at(0.5, 0.5))


def test_a_hole_is_not_covered_without_tolerance(index):
    assert not index.covers(HOLED["code"], *at(3.5, 0.5))


def beyond_north_east_grid(east_m, north_m):
    """(lat, lon) of a point east of the north-east grid's east edge, by ``east_m``
    metres, and north of its middle (north_m=None) or of its top edge."""
    mx, my = metres_per_degree(LAT)
    lat = LAT + 1.5 * STEP if north_m is None else LAT + 2 * STEP + north_m / my
    return lat, LON + 2 * STEP + east_m / mx


@pytest.mark.parametrize(("tolerance", "covered"), [(0.0, False), (9.5, False), (10.5, True), (50.0, True)])
def test_a_point_ten_metres_outside_is_covered_only_with_enough_tolerance(index, tolerance, covered):
    assert index.covers("610102001001004", *beyond_north_east_grid(10, None), tolerance_m=tolerance) is covered


@pytest.mark.parametrize(("tolerance", "covered"), [(14.0, False), (14.3, True)])
def test_tolerance_is_a_true_distance_so_a_corner_is_farther_than_its_bounding_box(index, tolerance, covered):
    # 10 m east and 10 m north of the corner is 14.14 m away, though within 10 m of both edges' lines.
    point = beyond_north_east_grid(10, 10)
    assert index.covers("610102001001004", *point, tolerance_m=tolerance) is covered


def test_a_negative_tolerance_is_refused(index):
    with pytest.raises(ValueError):
        index.covers("610102001001004", *at(0.5, 0.5), tolerance_m=-1)


def test_the_index_counts_its_grids_and_lists_their_codes_in_order(index):
    assert len(index) == 6
    assert index.codes() == sorted(g["code"] for g in BLOCK + [HOLED, SPLIT])


def test_an_empty_index_locates_nothing():
    empty = GridIndex.from_grids([])
    assert len(empty) == 0
    assert empty.locate(LAT, LON) is None


def test_a_code_given_twice_is_refused():
    with pytest.raises(ValueError, match="twice"):
        GridIndex.from_grids([BLOCK[0], BLOCK[0]])


@pytest.mark.parametrize(
    "polygon",
    [
        {"type": "Point", "coordinates": [LON, LAT]},
        {"type": "Polygon", "coordinates": [[[0, 0], [1, 1], [1, 0], [0, 1], [0, 0]]]},
        {"type": "Polygon"},
    ],
)
def test_a_grid_without_a_valid_polygon_is_refused(polygon):
    with pytest.raises(ValueError, match="610102001001001"):
        GridIndex.from_grids([{"code": "610102001001001", "polygon": polygon}])


def test_a_square_kilometre_laid_out_in_local_metres_measures_one_square_kilometre():
    corners = [from_local_metres(x, y, LON, LAT) for x, y in [(0, 0), (1000, 0), (1000, 1000), (0, 1000)]]
    assert area_m2(shapely.Polygon(corners)) == pytest.approx(1e6, rel=1e-3)


def test_a_geojson_geometry_becomes_the_same_shapely_shape():
    assert to_shape(cell(0, 0)).equals(shapely.box(LON, LAT, LON + STEP, LAT + STEP))
