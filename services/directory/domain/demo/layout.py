"""The demo district's areas and grids: codes, names, outlines and households.

Xi'an 新城区 (division code 610102) as of 2018: 9 streets, 101 communities, 802
grids, about 31 km². The street names are real; their placement in three bands is
schematic, not surveyed. Street numbers follow the order the streets are listed in
the division codes; communities and grids are numbered west to east, north to
south.
"""

import random

from .names import community_names
from .tiling import Lattice, Rect, bisect, street_rects

DISTRICT = {"code": "610102", "level": "district", "name": "新城区", "parent": None}
COMMUNITIES = 101
GRIDS = 802
HOUSEHOLDS_PER_GRID = 300  # one officer per about 300 households (domain brief §1)
COMMUNITY_HOUSEHOLDS_MAX = 3000  # a community is usually 1,000-3,000 households (§2)

# (street number, name, communities) per band from west to east, north to south in a band.
BANDS = (
    (("006", "自强路街道", 12), ("005", "解放门街道", 11), ("001", "西一路街道", 9)),
    (("007", "太华路街道", 13), ("008", "长乐西路街道", 11), ("003", "中山门街道", 10)),
    (("009", "胡家庙街道", 12), ("002", "长乐中路街道", 12), ("004", "韩森寨街道", 11)),
)


def build_layout(rng: random.Random) -> tuple[list[dict], list[dict]]:
    """Areas (district, streets, communities, in code order) and grids without
    officers or leader, which the users are made for afterwards."""
    lattice = Lattice(rng)
    counts = _grids_per_community(rng)
    names = iter(community_names(rng, COMMUNITIES))
    streets, communities, grids = [], [], []
    bands = street_rects(lattice, [[c for _, _, c in band] for band in BANDS])
    for band, rects in zip(BANDS, bands, strict=True):
        for (number, name, community_count), rect in zip(band, rects, strict=True):
            street = {
                "code": DISTRICT["code"] + number,
                "level": "street",
                "name": name,
                "parent": DISTRICT["code"],
            }
            streets.append(street)
            own_counts = [counts.pop() for _ in range(community_count)]
            for community, grid_rects in _communities(lattice, rng, street, rect, own_counts, names):
                communities.append(community)
                grids += _grids(lattice, rng, community, grid_rects)
    areas = [dict(DISTRICT)] + sorted(streets, key=_code) + sorted(communities, key=_code)
    return areas, sorted(grids, key=_code)


def _code(item: dict) -> str:
    return item["code"]


def _grids_per_community(rng: random.Random) -> list[int]:
    """101 counts between 6 and 9 that add up to 802: with about 300 households a
    grid, a community keeps to the usual 1,000-3,000 households (domain brief §2)."""
    base, extra = divmod(GRIDS, COMMUNITIES)
    counts = [base + 1] * extra + [base] * (COMMUNITIES - extra)
    for _ in range(60):
        give, take = rng.randrange(COMMUNITIES), rng.randrange(COMMUNITIES)
        if counts[give] > 6 and counts[take] < 9:
            counts[give] -= 1
            counts[take] += 1
    rng.shuffle(counts)
    return counts


def _communities(lattice, rng, street: dict, rect: Rect, counts: list[int], names):
    pieces = sorted(zip(bisect(lattice, rect, counts), counts, strict=True), key=lambda p: p[0].reading_order())
    for number, (piece, count) in enumerate(pieces, start=1):
        community = {
            "code": f"{street['code']}{number:03d}",
            "level": "community",
            "name": next(names),
            "parent": street["code"],
        }
        weights = [rng.uniform(0.75, 1.25) for _ in range(count)]
        yield community, sorted(bisect(lattice, piece, weights), key=Rect.reading_order)


def _grids(lattice: Lattice, rng: random.Random, community: dict, rects: list[Rect]) -> list[dict]:
    return [
        {
            "code": f"{community['code']}{number:03d}",
            "name": f"{community['name']}第{number}网格",
            "parent": community["code"],
            "polygon": lattice.polygon(rect),
            "officers": [],
            "leader": None,
            "households": _households(rng, COMMUNITY_HOUSEHOLDS_MAX // len(rects)),
        }
        for number, rect in enumerate(rects, start=1)
    ]


def _households(rng: random.Random, most: int) -> int:
    return min(most, 400, max(200, round(rng.gauss(HOUSEHOLDS_PER_GRID, 35))))
