"""The lifecycle load: cases round the whole closed loop over the API, as a district's people would take them.

Run as its own process (``python -m bench.lifecycle``) so the platform is driven from outside and the load's
own CPU is counted apart. ``--people`` workers each take the next case and carry it through every stage,
closed loop (a person acts once the last answer is in), as the people who would:

- the grid officer reports it from a point in their grid, one case in three with a photo uploaded first;
- the command centre registers and dispatches it to the category's department, unless routing dispatched
  it already (categories routing dispatches on its own are in the mix, as in a district's day);
- a handler of that department signs for it, uploads a photo of the fix and reports the result;
- the officer checks the fix on site (核查), and an operator closes it (结案).

Between the report and the next person's action the worker waits for the case to reach the state the next
person expects (the report becomes a case, and routing decides, asynchronously): each look is a request,
recorded apart (``wait``) from the actions. The result is one JSON document (``--out``): every request's
action, status and duration, every case's start, end and outcome, and the load's own CPU seconds.
"""

import argparse
import io
import itertools
import json
import resource
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import urllib3

REQUEST_TIMEOUT = 30.0
WAIT_LIMIT_S = 60.0  # a case that does not reach the state the next person expects within this is a failure
PHOTO_EVERY = 3  # one report in three carries a photo


class Failed(Exception):
    """A case that could not go on: the answer that stopped it."""


def plan_categories(district: dict) -> list[dict]:
    """Categories a report needs nothing more for, each with the department it goes to and whether routing
    dispatches it without a person (``automatic``): the operators' share of the work is the rest."""
    rules = [r for r in district["routing_rules"] if not r.get("street") and not r.get("community")]
    chosen = []
    for category in district["categories"]:
        if any(a["required"] for a in category["attributes"]):
            continue
        mine = [r for r in rules if r["category"] == category["code"]]
        if not mine:
            continue
        chosen.append(
            {
                "code": category["code"],
                "department": mine[0]["department"],
                "automatic": all(r["automatic"] for r in mine),
            }
        )
    return chosen


def photo() -> tuple[str, bytes, str]:
    """A small, real PNG (the upload is checked by content)."""
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), (90, 140, 60)).save(buffer, format="PNG")
    return "photo.png", buffer.getvalue(), "image/png"


class Api:
    """The gateway over keep-alive connections (urllib3's pool: a load process as light as a phone's is, so the
    machine's cores go to the platform); every request recorded."""

    def __init__(self, url: str, people: int = 16):
        self.url = url.rstrip("/")
        self.pool = urllib3.PoolManager(maxsize=people, retries=False, timeout=urllib3.Timeout(total=REQUEST_TIMEOUT))
        self.records: list[dict] = []
        self.lock = threading.Lock()
        self.png = photo()

    def call(
        self, person: dict, method: str, path: str, action: str, case: int, *, body=None, upload=False, expect=(200,)
    ) -> dict:
        started = time.time()
        status, answer = 0, None
        headers = {"Authorization": f"Bearer {person['token']}"}
        try:
            if method == "GET":
                kwargs = {}
            elif upload:
                kwargs = {"fields": {"file": self.png}}
            else:
                kwargs = {"body": json.dumps(body if body is not None else {}).encode()}
                headers["Content-Type"] = "application/json"
            response = self.pool.request(method, self.url + path, headers=headers, **kwargs)
            status = response.status
            answer = json.loads(response.data) if response.data else None
        except (urllib3.exceptions.HTTPError, ValueError) as exc:
            answer = {"error": type(exc).__name__}
        finally:
            with self.lock:
                self.records.append(
                    {
                        "case": case,
                        "action": action,
                        "status": status,
                        "started": started,
                        "ms": round((time.time() - started) * 1000, 2),
                    }
                )
        if status not in expect:
            raise Failed(f"{action}: {status} {json.dumps(answer, ensure_ascii=False)[:300]}")
        return answer

    def wait(self, person: dict, case_id: str, case: int, arrived) -> dict:
        """Look at the case until ``arrived(case)``: a short pause first, longer ones after, as a screen would."""
        deadline, pause = time.monotonic() + WAIT_LIMIT_S, 0.05
        while True:
            # A look that fails upstream is looked at again, as a screen would; it stays in the errors column.
            answer = self.call(
                person, "GET", f"/api/v1/cases/{case_id}", "wait", case, expect=(200, 404, 502, 503, 504)
            )
            if answer and answer.get("case_id") == case_id and arrived(answer):
                return answer
            if time.monotonic() > deadline:
                raise Failed(f"case {case_id} stayed {answer and answer.get('status')} for {WAIT_LIMIT_S:g} s")
            time.sleep(pause)
            pause = min(pause * 2, 1.0)


def take_case(api: Api, plan: dict, i: int, tag: str) -> str:
    """Case ``i`` from the report to its closure; returns its id."""
    officer = plan["officers"][i % len(plan["officers"])]
    operator = plan["operators"][i % len(plan["operators"])]
    category = plan["categories"][i % len(plan["categories"])]
    points = officer["points"]
    body = {
        "category": category["code"],
        "description": f"lifecycle case {i}: 路面破损需要修复",
        "location": points[i % len(points)],
        "grid": officer["grid"],
        "idempotency_key": f"{tag}-{i}",
    }
    if i % PHOTO_EVERY == 0:
        uploaded = api.call(
            officer, "POST", "/api/v1/reports/attachments", "upload_report_photo", i, upload=True, expect=(201,)
        )
        body["attachments"] = [uploaded["attachment_id"]]
    case_id = api.call(officer, "POST", "/api/v1/reports", "report", i, body=body, expect=(202,))["case_id"]
    path = f"/api/v1/cases/{case_id}"

    if category["automatic"]:
        case = api.wait(operator, case_id, i, lambda c: c["status"] == "dispatched")
    else:
        api.wait(operator, case_id, i, lambda c: c["status"] == "reported")
        api.call(operator, "POST", f"{path}/register", "register", i, body={"note": "属实，立案"})
        case = api.call(
            operator, "POST", f"{path}/dispatch", "dispatch", i, body={"department": category["department"]}
        )
    handlers = plan["handlers"][case["department"]]
    handler = handlers[i % len(handlers)]
    api.call(handler, "POST", f"{path}/accept", "accept", i)
    evidence = api.call(handler, "POST", f"{path}/attachments", "upload_evidence", i, upload=True, expect=(201,))
    api.call(
        handler,
        "POST",
        f"{path}/resolve",
        "resolve",
        i,
        body={"note": "已修复", "attachments": [evidence["attachment_id"]]},
    )
    api.call(officer, "POST", f"{path}/verify", "verify", i, body={"passed": True, "note": "现场核查属实"})
    api.call(operator, "POST", f"{path}/close", "close", i)
    return case_id


def drive(url: str, plan: dict, cases: int, people: int, tag: str) -> dict:
    api = Api(url, people)
    numbers = itertools.count()
    outcomes: list[dict] = []
    lock = threading.Lock()

    def person() -> None:
        while (i := next(numbers)) < cases:
            started = time.time()
            outcome = {"i": i, "started": started}
            try:
                outcome["case_id"] = take_case(api, plan, i, tag)
                outcome["closed"] = True
            except Failed as exc:
                outcome["closed"], outcome["error"] = False, str(exc)
            outcome["done"] = time.time()
            with lock:
                outcomes.append(outcome)

    started = time.time()
    with ThreadPoolExecutor(max_workers=people) as pool:
        for future in [pool.submit(person) for _ in range(people)]:
            future.result()
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return {
        "people": people,
        "cases": cases,
        "tag": tag,
        "started": started,
        "finished": time.time(),
        "cpu_seconds": usage.ru_utime + usage.ru_stime,
        "outcomes": sorted(outcomes, key=lambda o: o["i"]),
        "requests": api.records,
    }


def parse_args(argv=None):
    parser = argparse.ArgumentParser(prog="python -m bench.lifecycle", description=__doc__.splitlines()[0])
    parser.add_argument("--url", required=True, help="the gateway, e.g. http://127.0.0.1:8000")
    parser.add_argument(
        "--plan",
        required=True,
        help="JSON file: {categories, officers, operators, handlers: {department: [...]}}, each person "
        "with a token (signed in beforehand, so sign-in is not part of the load)",
    )
    parser.add_argument("--cases", type=int, required=True)
    parser.add_argument("--people", type=int, required=True, help="people acting at once")
    parser.add_argument("--tag", required=True, help="prefix of idempotency keys")
    parser.add_argument("--out", required=True, help="where the JSON result goes")
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    with open(args.plan) as plan_file:
        plan = json.load(plan_file)
    result = drive(args.url, plan, args.cases, args.people, args.tag)
    with open(args.out, "w") as out:
        json.dump(result, out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
