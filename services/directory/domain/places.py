"""Where a grid is in the hierarchy (community, street, district), and whose grids are whose."""


def place_of(code: str, areas: dict[str, dict]) -> dict[str, str | None]:
    """The community, street and district above an area or grid parent code."""
    place = {"community": None, "street": None, "district": None}
    seen = set()
    while code and code in areas and code not in seen:
        seen.add(code)
        area = areas[code]
        place[area["level"]] = area["code"]
        code = area.get("parent")
    return place


def with_places(areas: list[dict], grids: list[dict]) -> list[dict]:
    """Grids with their community and street codes, so consumers need not walk the hierarchy."""
    by_code = {a["code"]: a for a in areas}
    enriched = []
    for grid in grids:
        place = place_of(grid["parent"], by_code)
        enriched.append({**grid, "community": place["community"], "street": place["street"]})
    return enriched


def grids_of(user_id: str, grids: list[dict]) -> list[str]:
    """The grids a person answers for: as one of its officers or as its leader."""
    return sorted(g["code"] for g in grids if user_id in g.get("officers", ()) or g.get("leader") == user_id)
