"""Signing in: how failed tries are counted, and when there have been too many."""

import ipaddress
from datetime import datetime, timedelta


def client_key(address: str) -> str:
    """What the sign-in limit per client counts by: an IPv4 address, or an IPv6 address's /64 — one
    subscriber's network, in which a client may take a new address for every try."""
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:
        return address
    if parsed.version == 4:
        return str(parsed)
    if parsed.ipv4_mapped is not None:
        return str(parsed.ipv4_mapped)
    return str(ipaddress.ip_network(f"{parsed}/64", strict=False))


def throttled(failures: list[datetime], now: datetime, *, limit: int, window: timedelta) -> bool:
    """Too many failed sign-ins lately: refuse further tries until the window passes."""
    return sum(1 for at in failures if now - at < window) >= limit
