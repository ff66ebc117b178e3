"""`make bench`: reports per second end to end, latency, and the machine's own ceilings.

1. starts the platform as `make run` does (embedded store, local broker), isolated:
   its own vhost, databases, port and var directory; with ``--broker cluster`` on a
   three-node RabbitMQ cluster started for the run instead (every queue a quorum
   queue with a member on each node), with ``--broker both`` once on each, one after
   the other, and compares the two passes (what replication costs);
2. measures the broker's and the store's raw ceilings on those same instances;
3. drives report intake from a separate load process (``bench.load``) at rising
   rates, open loop, until latency or errors break down;
4. per rate, reads at the source what became of every accepted report (latency
   along its correlation id, lost or duplicated), what each service spent per
   message, the store writes per report and the CPU each process used;
5. writes ``bench/results/<mode>-r<replicas>[-cluster].{json,md}`` and ``latest.*`` (the
   last pass), and with ``both`` ``<mode>-r<replicas>-comparison.{json,md}``.

``--quick`` (10, 20, 30, 40/s, 5 s each) finishes in one to two minutes on the single broker (about a minute
when it breaks down at 20/s, as on 2026-12-06). Nothing here is a test: it asserts nothing.
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from bench import (
    analyse,
    brokers,
    ceilings,
    collect,
    compare,
    lifecycle,
    lifecycle_figures,
    load,
    profile,
    report,
)
from services.directory.domain.demo import generate_district
from tests.support.infra import unique_name
from tests.support.platform import Platform

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
LOAD = compare.LOAD
OFFICERS = 40  # grid officers reporting, spread over the district
ADMIN = "admin"  # the demo district's administrator (services/directory/domain/demo/users.py)
FINAL_STALL_SECONDS, FINAL_LIMIT_SECONDS = 30, 900  # the final account waits for the backlog this long


@dataclass(frozen=True)
class Profile:
    rates: tuple[float, ...]
    step_seconds: float
    ceiling_seconds: float
    warmup_seconds: float
    drain_stall_seconds: float
    drain_limit_seconds: float
    quiet_limit_seconds: float


PROFILES = {
    "quick": Profile(
        rates=(10, 20, 30, 40),  # to issue 19's target (30/s within target) and past it
        step_seconds=5,
        ceiling_seconds=1.0,
        warmup_seconds=1,
        drain_stall_seconds=3,
        drain_limit_seconds=8,
        quiet_limit_seconds=3,
    ),
    "full": Profile(
        rates=(5, 10, 15, 20, 30, 40, 60, 80, 100, 150, 200),
        step_seconds=20,
        ceiling_seconds=4.0,
        warmup_seconds=3,
        drain_stall_seconds=10,
        drain_limit_seconds=60,
        quiet_limit_seconds=20,
    ),
}

# The platform runs with its production settings: the test suite's faster scans and
# retries (tests/support/platform.py) are switched back to their defaults.
PRODUCTION_SETTINGS = {
    "OUTBOX_SCAN_SECONDS": "",
    "OUTBOX_SCAN_GRACE_SECONDS": "",
    "EVENT_RETRY_BASE_SECONDS": "",
    "CIVICGRID_FAULTS_DIR": "",
}


def say(message: str) -> None:
    print(f"[bench] {message}", flush=True)


class Bench:
    def __init__(self, platform: Platform, broker, profile: Profile, workdir: Path):
        self.platform = platform
        self.broker = broker
        self.amqp_uri = broker.amqp_uri
        self.profile = profile
        self.workdir = workdir
        self.run_id = uuid.uuid4().hex[:6]
        self.plan = workdir / "plan.json"
        self.accepted: list[dict] = []  # every accepted report of the timed steps, for the final account
        self.delivered_at_start = 0
        status = platform.status()
        self.dbs = collect.Databases(
            {
                **platform.env,
                "MONGO_URI": status["mongo_uri"],
                **{f"{name.upper()}_MONGO_URI": uri for name, uri in status["mongo_uris"].items()},
            }
        )
        # The services' own measurements are for administrators: the bench reads them as the demo's.
        answer = platform.sign_in(ADMIN, platform.env["DEMO_PASSWORD"])
        answer.raise_for_status()
        self.admin_token = answer.json()["access_token"]

    def service_metrics(self) -> dict[str, list[dict]]:
        return collect.service_metrics(self.amqp_uri, self.admin_token)

    def processes(self) -> dict[str, int | tuple[int, ...]]:
        """The platform's processes by name, and the broker's nodes as one entry (``collect.cpu_snapshot``)."""
        status = self.platform.status()
        return {**status["pids"], **status.get("store_pids", {}), self.broker.label: self.broker.pids()}

    def sign_in_officers(self, count: int = OFFICERS) -> None:
        """The officers the load reports as, signed in once (tokens last hours), written to the load's plan."""
        district = generate_district()
        officers = load.field_officers(district, count)
        for officer in officers:
            answer = self.platform.sign_in(officer["username"], self.platform.env["DEMO_PASSWORD"])
            answer.raise_for_status()
            officer["token"] = answer.json()["access_token"]
        self.plan.write_text(json.dumps({"categories": load.automatic_categories(district), "officers": officers}))

    def sign_in_people(self) -> Path:
        """The lifecycle's people (officers, operators, each department's handlers), signed in once, in a plan."""
        district = generate_district()
        password = self.platform.env["DEMO_PASSWORD"]

        def signed_in(username: str) -> dict:
            answer = self.platform.sign_in(username, password)
            answer.raise_for_status()
            return {"username": username, "token": answer.json()["access_token"]}

        officers = [
            {**officer, **signed_in(officer["username"])} for officer in load.field_officers(district, OFFICERS)
        ]
        users = district["users"]
        operators = [signed_in(u["username"]) for u in users if "operator" in u["roles"]]
        categories = lifecycle.plan_categories(district)
        # Every department's handlers: routing may send a case to another than the category's own (a street's rule).
        handlers = {}
        for user in users:
            if "handler" in user["roles"]:
                handlers.setdefault(user["department"], []).append(signed_in(user["username"]))
        plan = self.workdir / "lifecycle-plan.json"
        plan.write_text(
            json.dumps({"categories": categories, "officers": officers, "operators": operators, "handlers": handlers})
        )
        return plan

    def district_today(self) -> dict:
        """The whole district's figures for today, as a supervisor reads them."""
        token = self.platform.sign_in("supervisor", self.platform.env["DEMO_PASSWORD"]).json()["access_token"]
        answer = self.platform.session.get(
            f"{self.platform.url}/api/v1/stats/district",
            params={"period": "day"},
            headers={"Authorization": f"Bearer {token}"},
            timeout=30,
        )
        answer.raise_for_status()
        rows = answer.json()["rows"]
        return rows[0] if rows else {"reported": 0, "open": 0}

    def lifecycle(self, cases: int, people: int, profiled: bool = False) -> dict:
        """Cases round the whole loop (``bench.lifecycle``), then the account: every case read back closed, and
        the district's figures moved by exactly those cases (indicators catch up a moment later)."""
        plan = self.sign_in_people()
        # A case per person first, untimed, so connections, queues and caches exist before anything is timed.
        self.run_lifecycle(plan, people, people, f"w{self.run_id}")
        pids = self.processes()
        collect.wait_quiet(
            {k: v for k, v in pids.items() if k != self.broker.label or not self.broker.shared},
            cores=0.1,
            limit=self.profile.quiet_limit_seconds,
        )
        # Read once the platform is quiet: read at once, the indicators had not yet counted the last untimed cases'
        # closures (they group their commits), and the account found "N fewer open cases" than it expected.
        before = self.district_today()
        recorders = None
        if profiled:
            # Recorded for the whole timed run: stopped when it ends, however long it took.
            python = {name: pid for name, pid in pids.items() if name != self.broker.label}
            recorders = profile.start(python, FINAL_LIMIT_SECONDS + cases * 10, self.workdir)
        metrics_before = self.service_metrics()
        cpu_before = collect.cpu_snapshot(pids)
        result = self.run_lifecycle(plan, cases, people, f"l{self.run_id}")
        cpu_after = collect.cpu_snapshot(pids)
        cpu_before[LOAD], cpu_after[LOAD] = 0.0, result["cpu_seconds"]
        summary = lifecycle_figures.summarise(result, cpu_before, cpu_after, self.account(result, before))
        # Counts that do not depend on the machine's load: each service's store commands and messages per case.
        summary["per_case"] = lifecycle_figures.counts_per_case(
            collect.metrics_delta(metrics_before, self.service_metrics()), summary["closed"]
        )
        if recorders:
            summary["profile"] = profile.finish(recorders, top=25, stop=True)
        return summary

    def run_lifecycle(self, plan: Path, cases: int, people: int, tag: str) -> dict:
        out = self.workdir / f"lifecycle-{tag}.json"
        subprocess.run(
            [
                sys.executable,
                "-m",
                "bench.lifecycle",
                "--url",
                self.platform.url,
                "--plan",
                str(plan),
                "--cases",
                str(cases),
                "--people",
                str(people),
                "--tag",
                tag,
                "--out",
                str(out),
            ],
            cwd=ROOT,
            env=self.platform.env,
            check=True,
            timeout=FINAL_LIMIT_SECONDS + cases * 10,
        )
        return json.loads(out.read_text())

    def account(self, result: dict, before: dict) -> dict:
        ids = [o["case_id"] for o in result["outcomes"] if o.get("case_id")]
        operator = self.platform.as_user("operator1")
        closed_seen = sum(1 for case_id in ids if operator.get(f"/api/v1/cases/{case_id}").json()["status"] == "closed")
        expected = result["cases"]

        def figures() -> tuple[int, int]:
            now = self.district_today()
            return now["reported"] - before["reported"], now["open"] - before["open"]

        deadline = time.monotonic() + FINAL_STALL_SECONDS
        reported, opened = figures()
        while (reported, opened) != (expected, 0) and time.monotonic() < deadline:
            time.sleep(1)
            reported, opened = figures()
        return {
            "expected": expected,
            "closed_seen": closed_seen,
            "reported_counted": reported,
            "open_change": opened,
            "matches": closed_seen == expected and (reported, opened) == (expected, 0),
        }

    def load(self, rate: float, seconds: float, tag: str) -> dict:
        out = self.workdir / f"load-{tag}.json"
        subprocess.run(
            [
                sys.executable,
                "-m",
                "bench.load",
                "--url",
                self.platform.url,
                "--rate",
                str(rate),
                "--seconds",
                str(seconds),
                "--tag",
                tag,
                "--plan",
                str(self.plan),
                "--out",
                str(out),
            ],
            cwd=ROOT,
            env=self.platform.env,
            check=True,
            timeout=seconds + 120,
        )
        return json.loads(out.read_text())

    def delivered(self) -> int:
        """Inbox deliveries so far, as the notifications service counts them.

        Asking the service rather than counting the inbox keeps the store out of it:
        counting a collection is a scan on the embedded store.
        """
        return collect.handled(self.service_metrics(), "notifications", "on_case_dispatched")

    def wait_delivered(self, expected: int) -> None:
        collect.wait_for_count(
            self.delivered, expected, self.profile.drain_stall_seconds, self.profile.drain_limit_seconds
        )

    def warm_up(self) -> None:
        """A few reports first, so connections, queues and caches exist before anything is timed."""
        before = self.delivered()
        result = self.load(20, self.profile.warmup_seconds, f"w{self.run_id}")
        self.wait_delivered(before + sum(1 for r in result["requests"] if r["status"] == 202))
        self.delivered_at_start = self.delivered()

    def final_account(self) -> dict:
        """Every report accepted in the timed steps, counted once the backlog has drained (or stopped
        draining): a step's "late" reports are still on their way; only what never arrives is lost."""
        waited = collect.wait_for_count(
            self.delivered, self.delivered_at_start + len(self.accepted), FINAL_STALL_SECONDS, FINAL_LIMIT_SECONDS
        )
        return {
            "accepted": len(self.accepted),
            "waited_s": round(waited, 1),
            **analyse.account(self.dbs.trace(self.accepted)),
        }

    def step(self, rate: float, ceilings_found: dict, profiled: bool = False) -> dict:
        pids = self.processes()
        # The machine's broker is left out: its other users may keep it busy. A cluster of the bench's own is
        # waited for like the rest: its quorum queues go on writing and compacting their logs after a burst.
        quiet = {k: v for k, v in pids.items() if k != self.broker.label or not self.broker.shared}
        waited = collect.wait_quiet(quiet, cores=0.1, limit=self.profile.quiet_limit_seconds)
        recorders = None
        if profiled:
            python = {name: pid for name, pid in pids.items() if name != self.broker.label}
            recorders = profile.start(python, self.profile.step_seconds, self.workdir)
        metrics_before = self.service_metrics()
        delivered_before = collect.handled(metrics_before, "notifications", "on_case_dispatched")
        cpu_before = collect.cpu_snapshot(pids)
        started = time.monotonic()
        result = self.load(rate, self.profile.step_seconds, f"b{self.run_id}-{rate:g}")
        loaded = time.monotonic() - started
        cpu_loaded = collect.cpu_snapshot(pids)
        accepted = [r for r in result["requests"] if r["status"] == 202]
        self.accepted += accepted
        self.wait_delivered(delivered_before + len(accepted))
        cpu_drained = collect.cpu_snapshot(pids)
        metrics_after = self.service_metrics()

        # The load process has exited: its own count stands in for its /proc entry.
        cpu_before[LOAD] = 0.0
        cpu_loaded[LOAD] = cpu_drained[LOAD] = result["cpu_seconds"]
        cpu = analyse.cpu_use(cpu_before, cpu_loaded, loaded, 0)
        cpu["ms_per_report"] = analyse.cpu_use(cpu_before, cpu_drained, loaded, len(accepted))["ms_per_report"]
        step = analyse.summarise_step(
            rate,
            result,
            self.dbs.trace(accepted),
            collect.metrics_delta(metrics_before, metrics_after),
            cpu,
            ceilings_found,
            os.cpu_count(),
        )
        step["quiet_wait_s"] = round(waited, 1)  # at the limit: the step began with the processes still busy
        if recorders:
            step["profile"] = profile.finish(recorders)
        return step


def parse_args(argv=None):
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument(
        "--quick", action="store_true", help="four short steps, 10 to 40/s: one to two minutes on the single broker"
    )
    parser.add_argument(
        "--broker",
        choices=("single", "cluster", "both"),
        default="single",
        help="the machine's broker (single), a three-node cluster started for the run (cluster), "
        "or the one then the other, compared (both)",
    )
    parser.add_argument("--replicas", type=int, default=1, help="instances of each service")
    parser.add_argument(
        "--stores",
        choices=("one", "per-service"),
        default="per-service",
        help="one embedded store per service (as make run), or one for all services",
    )
    parser.add_argument(
        "--rates",
        type=lambda s: tuple(float(x) for x in s.split(",")),
        help="comma-separated reports/s to try, instead of the profile's",
    )
    parser.add_argument("--step-seconds", type=float, help="how long each rate is held")
    parser.add_argument(
        "--profile",
        type=float,
        nargs="?",
        const=0.0,
        metavar="RATE",
        help="record py-spy profiles of every process during the step at RATE (with --lifecycle, no RATE: "
        "during the timed run)",
    )
    parser.add_argument("--keep", action="store_true", help="keep the work directory (logs, raw records)")
    parser.add_argument(
        "--lifecycle",
        action="store_true",
        help="instead of intake: cases round all seven stages over the API, several people at once "
        "(bench/lifecycle.py)",
    )
    parser.add_argument("--cases", type=int, help="cases the lifecycle run takes round the loop (quick 60, full 600)")
    parser.add_argument("--people", type=int, default=12, help="people acting at once in the lifecycle run")
    return parser.parse_args(argv)


def passes(broker: str) -> tuple[str, ...]:
    """The brokers a run measures on, in order: ``both`` is the single broker, then the cluster."""
    return brokers.KINDS if broker == "both" else (broker,)


def run_pass(kind: str, args, mode: str, profile: Profile, workdir: Path, commit: str | None) -> dict:
    """One pass on one broker: start it and the platform, measure, stop both; returns the results."""
    broker = brokers.make(kind, workdir)
    platform = None
    bench = None
    try:
        if kind == "cluster":
            say(f"starting a {broker.nodes}-node RabbitMQ cluster")
        broker.start()
        # The store keeps its data on disk, as `make run` has it, not in memory.
        platform = Platform(
            workdir,
            broker.amqp_uri,
            unique_name("cgb") + "_",
            {
                **PRODUCTION_SETTINGS,
                "REPLICAS": str(args.replicas),
                "CIVICGRID_DB_PATH": str(workdir / "db"),
                "CIVICGRID_DB_STORES": args.stores,
            },
        )
        results = {
            "run": {
                "mode": mode,
                "replicas": args.replicas,
                "stores": args.stores,
                "broker": kind,
                "broker_nodes": broker.nodes,
                "started_at": datetime.now(UTC).isoformat(timespec="seconds"),
                "commit": commit,
                "step_seconds": profile.step_seconds,
                "rates": list(profile.rates),
            },
            "machine": report.machine(),
            "versions": report.versions(broker.admin.overview()),
        }
        say(
            f"starting the platform ({args.replicas} replica(s) of each service, {args.stores} store(s), "
            f"{kind} broker) in {workdir}"
        )
        # Declaring every quorum queue on three nodes takes longer than on one.
        platform.start(timeout=300 if kind == "cluster" else 120)
        bench = Bench(platform, broker, profile, workdir)
        if args.lifecycle:
            say(f"{args.cases} cases round the whole loop, {args.people} people at once")
            results["run"].update(lifecycle=True, cases=args.cases, people=args.people)
            results["lifecycle"] = bench.lifecycle(args.cases, args.people, profiled=args.profile is not None)
            return results
        say(f"signing in {OFFICERS} grid officers")
        bench.sign_in_officers()
        say("measuring raw ceilings")
        found = {
            **ceilings.broker(broker.amqp_uri, profile.ceiling_seconds),
            **ceilings.store(
                platform.status()["mongo_uri"], f"{platform.env['DB_PREFIX']}ceiling", profile.ceiling_seconds
            ),
        }
        results["ceilings"] = found
        say(f"ceilings: {found}")
        bench.warm_up()
        results["steps"] = []
        for rate in profile.rates:
            step = bench.step(rate, found, profiled=rate == args.profile)
            results["steps"].append(step)
            say(
                f"{rate:g}/s offered: {step['accepted_per_s']:g}/s accepted, e2e p99 {step['e2e_ms']['p99']} ms, "
                f"lost {step['lost']}, dup {step['duplicated']}, errors {sum(step['errors'].values())}, "
                f"store writes/report {step['per_report']['store_writes']:g} "
                f"({step['per_report']['store_documents_written']:g} documents) → {step['verdict']}"
            )
            if step["verdict"] == "breakdown":
                break
        say(f"waiting for the backlog of {len(bench.accepted)} accepted reports, then counting every one")
        results["final"] = bench.final_account()
        say(f"final account: {results['final']}")
        results["sustained"] = analyse.sustained(results["steps"])
        results["broker"] = {"kind": kind, "row": broker.label, "queue_leaders": broker.queue_leaders()}
        return results
    finally:
        if bench is not None:
            bench.dbs.close()
        if platform is not None:
            platform.stop()
        broker.stop()


def main(argv=None) -> int:
    args = parse_args(argv)
    mode = "quick" if args.quick else "full"
    profile = PROFILES[mode]
    if args.rates or args.step_seconds:
        profile = Profile(
            **{
                **profile.__dict__,
                **{k: v for k, v in (("rates", args.rates), ("step_seconds", args.step_seconds)) if v},
            }
        )
    # Taken once: the first pass's results files would make the second's tree read as changed.
    commit = report.git_commit(ROOT)
    if args.lifecycle and not args.cases:
        args.cases = 60 if args.quick else 600
    done: dict[str, dict] = {}
    for kind in passes(args.broker):
        # A directory per pass: each platform has its own var, stores and logs.
        workdir = Path(tempfile.mkdtemp(prefix=f"civicgrid-bench-{kind}-"))
        try:
            results = done[kind] = run_pass(kind, args, mode, profile, workdir, commit)
            if args.lifecycle:
                name = "lifecycle-" + report.results_name(mode, args.replicas, args.stores, kind)
                paths = report.write(results, RESULTS, name, render=lifecycle_figures.to_markdown)
                print(lifecycle_figures.to_markdown(results))
                say(f"results in {paths[0]} and {paths[1]}")
                continue
            paths = report.write(results, RESULTS, report.results_name(mode, args.replicas, args.stores, kind))
            report.write(results, RESULTS, "latest")
            print(report.to_markdown(results))
            say(f"results in {paths[0]} and {paths[1]}")
        finally:
            if args.keep:
                say(f"work directory kept: {workdir}")
            else:
                shutil.rmtree(workdir, ignore_errors=True)
    if len(done) == 2 and not args.lifecycle:
        compared = compare.compare(done["single"], done["cluster"])
        name = report.results_name(mode, args.replicas, args.stores, "single") + "-comparison"
        paths = report.write(compared, RESULTS, name, render=compare.to_markdown)
        print(compare.to_markdown(compared))
        say(f"comparison in {paths[0]} and {paths[1]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
