"""The load process: field reports over HTTP at a fixed rate, open loop.

Run as its own process (``python -m bench.load``) so the system is driven from
outside, as phones would drive it, and the load's own CPU is counted apart. Request
*i* is due at ``start + i / rate`` and goes out then whether or not earlier ones
have answered; one that has to wait for a connection still counts from when it was
due, so queueing anywhere shows up as latency, never as a lower offered rate.

Reports come from real demo grid officers, each signed in beforehand (``--plan``:
the parent signs them in, so the cost of Argon2 is not in the load) and reporting
from points inside their own grid, in categories that routing dispatches on its own.
Every request carries its own ``X-Correlation-ID``. The result is one JSON document
(``--out``): per request when it was due, sent and answered (epoch seconds: every
process on the machine shares the clock), the HTTP status and the ids answered.
"""

import argparse
import asyncio
import json
import resource
import sys
import time
from urllib.parse import urlparse

PATH = "/api/v1/reports"
REQUEST_TIMEOUT = 30.0
POINTS_PER_GRID = 16


def automatic_categories(district: dict) -> list[str]:
    """Categories a report needs nothing more for and that routing dispatches district-wide without a
    person: each report runs from the phone to a department's inbox with nobody in between."""
    automatic = {
        r["category"]
        for r in district["routing_rules"]
        if r["automatic"] and not r.get("street") and not r.get("community")
    }
    overridden = {r["category"] for r in district["routing_rules"] if not r["automatic"]}
    return sorted(
        c["code"]
        for c in district["categories"]
        if c["code"] in automatic - overridden and not any(a["required"] for a in c["attributes"])
    )


def field_officers(district: dict, count: int) -> list[dict]:
    """``count`` grid officers spread over the district, each with points inside their own grid."""
    from shapely.geometry import shape

    usernames = {u["user_id"]: u["username"] for u in district["users"]}
    grids = [g for g in district["grids"] if g["officers"]]
    stride = max(1, len(grids) // count)
    officers = []
    for grid in grids[::stride][:count]:
        polygon = shape(grid["polygon"])
        west, south, east, north = polygon.bounds
        side = int(POINTS_PER_GRID**0.5)
        points = []
        for row in range(side):
            for col in range(side):
                lon = west + (east - west) * (col + 0.5) / side
                lat = south + (north - south) * (row + 0.5) / side
                if polygon.contains(shape({"type": "Point", "coordinates": [lon, lat]})):
                    points.append({"lat": round(lat, 7), "lon": round(lon, 7)})
        if not points:
            point = polygon.representative_point()
            points = [{"lat": point.y, "lon": point.x}]
        officers.append({"username": usernames[grid["officers"][0]], "grid": grid["code"], "points": points})
    return officers


def due_offsets(rate: float, seconds: float) -> list[float]:
    """When each request is due, in seconds from the start: evenly spaced at ``rate``."""
    count = int(round(rate * seconds))
    return [i / rate for i in range(count)]


def report_body(tag: str, i: int, officer: dict, categories: list[str]) -> dict:
    """The i-th report of a run: every category in turn, inside the officer's grid, a unique idempotency key."""
    points = officer["points"]
    return {
        "category": categories[i % len(categories)],
        "description": f"bench report {i}: 小区门口垃圾堆积",
        "location": points[(i // 7) % len(points)],
        "grid": officer["grid"],
        "idempotency_key": f"{tag}-{i}",
    }


class _Connections:
    """Keep-alive HTTP/1.1 connections to one server, opened as demand needs, up to ``limit``."""

    def __init__(self, host: str, port: int, limit: int):
        self.host, self.port = host, port
        self.slots = asyncio.Semaphore(limit)
        self._idle: list[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = []
        self.opened = 0

    async def take(self):
        if self._idle:
            return self._idle.pop()
        self.opened += 1
        return await asyncio.open_connection(self.host, self.port)

    def give_back(self, conn, reusable: bool) -> None:
        if reusable:
            self._idle.append(conn)
        else:
            conn[1].close()

    def close(self) -> None:
        while self._idle:
            self._idle.pop()[1].close()


async def _post(conn, host: str, body: bytes, correlation_id: str, token: str) -> tuple[int, dict, bool]:
    """One request on ``conn``: (status, answer, whether the connection stays open)."""
    reader, writer = conn
    head = (
        f"POST {PATH} HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\n"
        f"Authorization: Bearer {token}\r\n"
        f"Content-Length: {len(body)}\r\nX-Correlation-ID: {correlation_id}\r\n\r\n"
    )
    writer.write(head.encode("ascii") + body)
    await writer.drain()
    status_line, *header_lines = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1").split("\r\n")
    headers = {}
    for line in header_lines:
        name, _, value = line.partition(":")
        if name:
            headers[name.strip().lower()] = value.strip()
    payload = await reader.readexactly(int(headers.get("content-length", 0)))
    keep_alive = headers.get("connection", "").lower() != "close"
    return int(status_line.split()[1]), json.loads(payload or b"null"), keep_alive


async def _one(
    pool: _Connections, host: str, tag: str, i: int, due: float, officer: dict, categories: list[str]
) -> dict:
    correlation_id = f"{tag}-{i}"
    body = json.dumps(report_body(tag, i, officer, categories), ensure_ascii=False).encode("utf-8")
    record = {
        "i": i,
        "correlation_id": correlation_id,
        "due": due,
        "sent": None,
        "done": None,
        "status": 0,
        "error": None,
    }
    async with pool.slots:
        conn, reusable = None, False
        try:
            conn = await pool.take()
            record["sent"] = time.time()
            status, answer, reusable = await asyncio.wait_for(
                _post(conn, host, body, correlation_id, officer["token"]), REQUEST_TIMEOUT
            )
            record["status"] = status
            if isinstance(answer, dict):
                record["report_id"] = answer.get("report_id")
                record["case_id"] = answer.get("case_id")
                if status >= 400:
                    record["error"] = answer.get("error")
        except (TimeoutError, OSError, asyncio.IncompleteReadError, ValueError) as exc:
            record["error"] = type(exc).__name__
        finally:
            record["done"] = time.time()
            if conn is not None:
                pool.give_back(conn, reusable)
    return record


async def drive(
    url: str, rate: float, seconds: float, tag: str, max_connections: int, officers: list[dict], categories: list[str]
) -> dict:
    """Send the run's requests on schedule, the officers (signed in, with ``token``) in turn; returns every
    request's record."""
    parsed = urlparse(url)
    pool = _Connections(parsed.hostname, parsed.port or 80, max_connections)
    loop = asyncio.get_running_loop()
    lead = 0.1  # the first request is due a moment from now, not already late
    start_mono, start_wall = loop.time() + lead, time.time() + lead
    tasks = []
    for i, offset in enumerate(due_offsets(rate, seconds)):
        delay = start_mono + offset - loop.time()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(
            asyncio.create_task(
                _one(pool, parsed.netloc, tag, i, start_wall + offset, officers[i % len(officers)], categories)
            )
        )
    records = await asyncio.gather(*tasks)
    pool.close()
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return {
        "rate": rate,
        "seconds": seconds,
        "tag": tag,
        "connections_opened": pool.opened,
        "cpu_seconds": usage.ru_utime + usage.ru_stime,
        "requests": records,
    }


def parse_args(argv=None):
    parser = argparse.ArgumentParser(prog="python -m bench.load", description=__doc__.splitlines()[0])
    parser.add_argument("--url", required=True, help="the gateway, e.g. http://127.0.0.1:8000")
    parser.add_argument("--rate", type=float, required=True, help="requests per second")
    parser.add_argument("--seconds", type=float, required=True, help="how long to send")
    parser.add_argument("--tag", required=True, help="prefix of correlation ids and idempotency keys")
    parser.add_argument(
        "--plan",
        required=True,
        help="JSON file: {categories, officers: [{username, grid, points, token}]} — who reports "
        "what (signed in beforehand, so sign-in is not part of the load)",
    )
    parser.add_argument("--max-connections", type=int, default=256)
    parser.add_argument("--out", required=True, help="where the JSON result goes")
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    with open(args.plan, encoding="utf-8") as given:
        plan = json.load(given)
    result = asyncio.run(
        drive(args.url, args.rate, args.seconds, args.tag, args.max_connections, plan["officers"], plan["categories"])
    )
    with open(args.out, "w", encoding="utf-8") as out:
        json.dump(result, out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
