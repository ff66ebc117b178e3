"""A public report given only an address (Open311 ``address_string``): placed by the grid map's names. Pure.

There is no geocoder. An address is placed when it names a grid of the map (the
demo's grids are named after their community, 长乐社区第3网格): the longest grid name
it contains wins, and a name several grids share is narrowed by the street or
community the address also names. The report then stands at a point inside that
grid. An address that names no grid — only a community or a street, or nothing the
map knows — is refused, saying what it did find and what would place it.
"""

from shared.errors import Unprocessable


def _plain(text: str) -> str:
    return "".join((text or "").split())


def grid_of_address(address: str, grids: dict, areas: dict) -> str:
    """The code of the one grid ``address`` names; ``Unprocessable`` (400 in Open311) naming the problem otherwise."""
    plain = _plain(address)
    named = [code for code, grid in grids.items() if grid.get("name") and _plain(grid["name"]) in plain]
    if named:
        longest = max(len(_plain(grids[c]["name"])) for c in named)
        named = [c for c in named if len(_plain(grids[c]["name"])) == longest]
    for level in ("street", "community"):  # a name several grids share, narrowed by the places the address names
        if len(named) > 1:
            named = [
                c for c in named if _plain((areas.get(grids[c].get(level)) or {}).get("name", "\0")) in plain
            ] or named
    if len(named) == 1:
        return named[0]
    if named:
        raise Unprocessable.of(
            "open311.address_ambiguous",
            {"address_string": address},
            address=address,
            grids=", ".join(sorted(grids[c]["name"] for c in named)),
        )
    places = sorted(
        {
            a["name"]
            for a in areas.values()
            if a.get("level") in ("community", "street") and a.get("name") and _plain(a["name"]) in plain
        }
    )
    if places:
        raise Unprocessable.of(
            "open311.address_too_wide", {"address_string": address}, address=address, places=", ".join(places)
        )
    raise Unprocessable.of("open311.address_unplaced", {"address_string": address}, address=address)
