"""Open cases near a new report, of the same category: perhaps the same problem. Pure."""

import math
from datetime import datetime, timedelta

EARTH_RADIUS_M = 6_371_008.8


def distance_m(a: dict, b: dict) -> float:
    """Great-circle distance between two {lat, lon} points (haversine)."""
    lat1, lat2 = math.radians(a["lat"]), math.radians(b["lat"])
    dlat, dlon = lat2 - lat1, math.radians(b["lon"] - a["lon"])
    h = math.sin(dlat / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin(dlon / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(math.sqrt(h))


def search_box(location: dict, radius_m: float) -> dict:
    """A lat/lon box containing the circle: what the index narrows to before distances are measured."""
    dlat = math.degrees(radius_m / EARTH_RADIUS_M)
    dlon = dlat / max(math.cos(math.radians(location["lat"])), 1e-6)
    return {
        "lat": (location["lat"] - dlat, location["lat"] + dlat),
        "lon": (location["lon"] - dlon, location["lon"] + dlon),
    }


def window_start(category: dict, now: datetime) -> datetime:
    return now - timedelta(hours=category.get("duplicate_window_hours", 72.0))


def nearby(location: dict, candidates: list[dict], radius_m: float, limit: int = 5) -> list[dict]:
    """Candidates within ``radius_m``, closest first."""
    found = []
    for case in candidates:
        distance = distance_m(location, case["location"])
        if distance <= radius_m:
            found.append(
                {
                    "case_id": case["_id"],
                    "distance_m": round(distance, 1),
                    "status": case["status"],
                    "reported_at": case["reported_at"],
                }
            )
    return sorted(found, key=lambda c: c["distance_m"])[:limit]
