"""A gap-free, overlap-free tiling of the demo district, on a jittered lattice.

The district is a lattice of cells 60-90 m wide and high, its nodes nudged a few
metres so that streets look surveyed rather than ruled. Streets are horizontal
slices of three north-south bands (offset so the outline is not a rectangle);
communities and grids are rectangles of cells found by recursive bisection, their
sizes in proportion to a weight. Every polygon runs through every lattice node on
its boundary, so neighbours share edges vertex for vertex and never meet in a
T-junction.
"""

import random
from dataclasses import dataclass

from shared.geo import from_local_metres

CENTRE = (108.96, 34.27)  # lon, lat: Xi'an 新城区
TARGET_AREA_M2 = 31.2e6
CELL_SIZE_M = (60.0, 90.0)
JITTER_M = 7.0  # under an eighth of the smallest cell: every cell stays convex
BAND_COLUMNS = (24, 25, 26)
BAND_TOP_ROWS = (4, 0, 2)
_MAX_ROWS = 120


@dataclass(frozen=True)
class Rect:
    """Cells [c0, c1) x [r0, r1) of the lattice; row 0 is the northern edge."""

    c0: int
    r0: int
    c1: int
    r1: int

    def split_columns(self, cut: int) -> tuple["Rect", "Rect"]:
        """West and east parts, ``cut`` columns in."""
        middle = self.c0 + cut
        return Rect(self.c0, self.r0, middle, self.r1), Rect(middle, self.r0, self.c1, self.r1)

    def split_rows(self, cut: int) -> tuple["Rect", "Rect"]:
        """North and south parts, ``cut`` rows down."""
        middle = self.r0 + cut
        return Rect(self.c0, self.r0, self.c1, middle), Rect(self.c0, middle, self.c1, self.r1)

    def reading_order(self) -> tuple[int, int]:
        """Numbering runs west to east, north to south: by top row, then left column."""
        return self.r0, self.c0


class Lattice:
    """Column widths, row heights and the (lon, lat) of every node."""

    def __init__(self, rng: random.Random):
        self.widths = [rng.uniform(*CELL_SIZE_M) for _ in range(sum(BAND_COLUMNS))]
        self.heights = [rng.uniform(*CELL_SIZE_M) for _ in range(_MAX_ROWS)]
        self._nodes = self._place_nodes(rng)

    def _place_nodes(self, rng: random.Random) -> list[list[tuple[float, float]]]:
        xs = _running_sum(self.widths)
        ys = _running_sum(self.heights)
        # Centre the district on CENTRE: it is as tall as the target area needs.
        west, north = -xs[-1] / 2, TARGET_AREA_M2 / xs[-1] / 2
        rows = []
        for y in ys:
            row = []
            for x in xs:
                dx, dy = rng.uniform(-JITTER_M, JITTER_M), rng.uniform(-JITTER_M, JITTER_M)
                lon, lat = from_local_metres(west + x + dx, north - y + dy, *CENTRE)
                # Rounded once, to about a centimetre, and shared by every polygon
                # that uses the node: shared edges then match to the last digit.
                row.append((round(lon, 7), round(lat, 7)))
            rows.append(row)
        return rows

    def node(self, column: int, row: int) -> list[float]:
        return list(self._nodes[row][column])

    def ring(self, rect: Rect) -> list[list[float]]:
        """The closed, counter-clockwise boundary of a rectangle of cells (RFC 7946)."""
        west = [(rect.c0, r) for r in range(rect.r0, rect.r1)]
        south = [(c, rect.r1) for c in range(rect.c0, rect.c1)]
        east = [(rect.c1, r) for r in range(rect.r1, rect.r0, -1)]
        north = [(c, rect.r0) for c in range(rect.c1, rect.c0 - 1, -1)]
        return [self.node(c, r) for c, r in west + south + east + north]

    def polygon(self, rect: Rect) -> dict:
        return {"type": "Polygon", "coordinates": [self.ring(rect)]}


def _running_sum(sizes: list[float]) -> list[float]:
    sums = [0.0]
    for size in sizes:
        sums.append(sums[-1] + size)
    return sums


def street_rects(lattice: Lattice, weights: list[list[int]]) -> list[list[Rect]]:
    """Per band (west to east), the rectangles of its streets (north to south), with
    the district's area shared in proportion to ``weights``."""
    total = sum(sum(band) for band in weights)
    bands, left = [], 0
    for columns, top, band_weights in zip(BAND_COLUMNS, BAND_TOP_ROWS, weights, strict=True):
        width = sum(lattice.widths[left : left + columns])
        rects, row = [], top
        for weight in band_weights:
            bottom = _row_reaching(lattice, row, TARGET_AREA_M2 * weight / total / width)
            rects.append(Rect(left, row, left + columns, bottom))
            row = bottom
        bands.append(rects)
        left += columns
    return bands


def _row_reaching(lattice: Lattice, top: int, height_m: float) -> int:
    """The row boundary below ``top`` closest to ``height_m`` metres further south."""
    row, covered = top, 0.0
    while covered + lattice.heights[row] / 2 < height_m:
        covered += lattice.heights[row]
        row += 1
    return max(row, top + 1)


def bisect(lattice: Lattice, rect: Rect, weights: list[float]) -> list[Rect]:
    """``len(weights)`` rectangles tiling ``rect``, areas roughly in proportion.

    Each cut halves the longer side's extent, so pieces stay compact.
    """
    if len(weights) == 1:
        return [rect]
    half = len(weights) // 2
    share = sum(weights[:half]) / sum(weights)
    first, second = _cut(lattice, rect, share, half, len(weights) - half)
    return bisect(lattice, first, weights[:half]) + bisect(lattice, second, weights[half:])


def _cut(lattice: Lattice, rect: Rect, share: float, first_pieces: int, second_pieces: int):
    """Two rectangles, the first holding about ``share`` of the area; each keeps at
    least one cell per piece it will be cut into."""
    wide = sum(lattice.widths[rect.c0 : rect.c1]) >= sum(lattice.heights[rect.r0 : rect.r1])
    sizes = lattice.widths[rect.c0 : rect.c1] if wide else lattice.heights[rect.r0 : rect.r1]
    depth = (rect.r1 - rect.r0) if wide else (rect.c1 - rect.c0)
    sums = _running_sum(sizes)

    def fits(i: int) -> bool:
        return i * depth >= first_pieces and (len(sizes) - i) * depth >= second_pieces

    candidates = [i for i in range(1, len(sizes)) if fits(i)]
    cut = min(candidates, key=lambda i: abs(sums[i] / sums[-1] - share))
    return rect.split_columns(cut) if wide else rect.split_rows(cut)
