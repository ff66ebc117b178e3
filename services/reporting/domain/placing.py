"""Where a report is: its grid found by its coordinates, or checked against them. Pure."""

from shared.errors import OutsideEveryGrid, UnknownGrid


def place_report(location: dict, given_grid: str | None, *, grids: dict, index, tolerance_m: float) -> dict:
    """The report's grid, community and street, and whether the coordinates disagree with a given grid.

    A report whose grid and coordinates disagree keeps the grid the officer gave and
    is flagged: the officer may know better than the GPS, but someone should look.
    """
    lat, lon = location["lat"], location["lon"]
    located = index.locate(lat, lon)
    if given_grid is None:
        if located is None:
            raise OutsideEveryGrid.of("grid.outside_every", {"location": {"lat": lat, "lon": lon}}, lat=lat, lon=lon)
        grid, mismatch = located, False
    else:
        if given_grid not in grids:
            raise UnknownGrid.of("grid.unknown", {"grid": given_grid}, grid=given_grid)
        grid, mismatch = given_grid, not index.covers(given_grid, lat, lon, tolerance_m=tolerance_m)
    return {
        "grid": grid,
        "community": grids[grid].get("community"),
        "street": grids[grid].get("street"),
        "grid_source": "located" if given_grid is None else "given",
        "grid_mismatch": mismatch,
        "located_grid": located,
    }
