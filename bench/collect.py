"""What happened to each report, read at the source after a load step.

- the databases: for every accepted report, the timestamps it left along its
  correlation id (report received, case registered, assignment made, case
  dispatched, inbox entry filed) and how many inbox entries it got;
- the services: their ``metrics`` RPC (time per message, store commands);
- the kernel: CPU seconds of every process of the platform, and of the broker's nodes.
"""

import os
import time
from collections import Counter
from pathlib import Path

from pymongo import MongoClient

from deploy.services import SERVICES
from shared.auth.provider import TOKEN_CONTEXT_KEY
from shared.bus import standalone_rpc
from shared.config import mongo_target
from shared.ids import ulid

_CHUNK = 500
STORE_WRITES = frozenset({"insert", "update", "delete", "findAndModify"})
STORE_READS = frozenset({"find", "getMore", "aggregate", "count", "distinct"})


def _id_floor(prefix: str, epoch_seconds: float) -> str:
    """The smallest id (``shared.ids``: a ULID after its prefix) made at or after ``epoch_seconds``."""
    return prefix + ulid(int(max(epoch_seconds, 0) * 1000))[:10] + "0" * 16


def _chunks(items: list, size: int = _CHUNK):
    for start in range(0, len(items), size):
        yield items[start : start + size]


class Databases:
    """Read access to each service's database, found as the service finds it (``shared.config``)."""

    def __init__(self, config: dict):
        self.config = config
        self._clients: dict[str, MongoClient] = {}

    def __getitem__(self, service: str):
        uri, name = mongo_target(self.config, service)
        if uri not in self._clients:
            self._clients[uri] = MongoClient(uri, tz_aware=True)
        return self._clients[uri][name]

    def trace(self, accepted: list[dict]) -> dict[str, dict]:
        """Per correlation id: epoch timestamps of each step and the number of department inbox entries."""
        traces = {r["correlation_id"]: {"due": r["due"], "answered": r["done"], "inbox_entries": 0} for r in accepted}
        by_case = {r["case_id"]: r["correlation_id"] for r in accepted if r.get("case_id")}
        report_ids = [r["report_id"] for r in accepted if r.get("report_id")]
        for chunk in _chunks(report_ids):
            for report in self["reporting"].reports.find(
                {"_id": {"$in": chunk}}, {"correlation_id": 1, "received_at": 1}
            ):
                traces[report["correlation_id"]]["received"] = report["received_at"].timestamp()
        departments = set()
        for chunk in _chunks(list(by_case)):
            for case in self["cases"].cases.find(
                {"_id": {"$in": chunk}}, {"history.action": 1, "history.at": 1, "department": 1}
            ):
                departments.add(case.get("department"))
                steps = {h["action"]: h["at"].timestamp() for h in case["history"]}
                trace = traces[by_case[case["_id"]]]
                if "register" in steps:
                    trace["registered"] = steps["register"]
                if "dispatch" in steps:
                    trace["dispatched"] = steps["dispatch"]
            for assignment in self["dispatch"].assignments.find(
                {"case_id": {"$in": chunk}}, {"case_id": 1, "created_at": 1}
            ):
                traces[by_case[assignment["case_id"]]]["assigned"] = assignment["created_at"].timestamp()
        # People are told too (operators of a new case, the department's handlers); the report's journey ends at
        # its department's inbox, one entry per case. Read as a department reads its inbox (the inbox has no index
        # on correlation ids: nothing in the product asks by them), from when the first report was due.
        since = _id_floor("N", min((r["due"] for r in accepted), default=0) - 60)
        for department in filter(None, departments):
            for entry in self["notifications"].inbox.find(
                {"department": department, "_id": {"$gte": since}},
                {"correlation_id": 1, "created_at": 1, "kind": 1},
            ):
                trace = traces.get(entry.get("correlation_id"))
                if trace is None or entry.get("kind") != "case.dispatched":
                    continue
                trace["inbox_entries"] += 1
                trace.setdefault("inbox", entry["created_at"].timestamp())
        return traces

    def close(self) -> None:
        for client in self._clients.values():
            client.close()


def wait_for_count(count, expected: int, stall_seconds: float, limit_seconds: float) -> float:
    """Poll ``count()`` until it reaches ``expected``; gives up when it stops growing.

    Returns how long it waited.
    """
    started = time.monotonic()
    last, last_change = -1, started
    while True:
        value = count()
        now = time.monotonic()
        if value >= expected or now - started > limit_seconds or now - last_change > stall_seconds:
            return now - started
        if value != last:
            last, last_change = value, now
        time.sleep(0.5)


# -- the services' own measurements ---------------------------------------------
def service_metrics(amqp_uri: str, token: str) -> dict[str, list[dict]]:
    """Every service's ``metrics`` RPC answer (summed over its replicas by the services); ``token``: an
    administrator's."""
    with standalone_rpc(
        {"AMQP_URI": amqp_uri, "serializer": "json"}, timeout=15, context_data={TOKEN_CONTEXT_KEY: token}
    ) as cluster:
        return {name: getattr(cluster, name).metrics() for name in SERVICES}


def handled(metrics: dict[str, list[dict]], service: str, entrypoint: str) -> int:
    """How many messages ``service.entrypoint`` has handled, from a ``service_metrics`` reading."""
    return int(
        sum(
            s["value"]
            for s in metrics.get(service, [])
            if s["name"] == "civicgrid_worker_seconds_count" and s["labels"].get("entrypoint") == entrypoint
        )
    )


def metrics_delta(before: dict[str, list[dict]], after: dict[str, list[dict]]) -> dict[str, dict]:
    """Per service, what happened between two readings: workers by entrypoint, store commands."""

    def index(samples):
        return {(s["name"], tuple(sorted(s["labels"].items()))): s["value"] for s in samples}

    result = {}
    for service, samples in after.items():
        old = index(before.get(service, []))
        workers: dict[str, dict] = {}
        commands: dict[str, dict] = {}
        for (name, labels), value in index(samples).items():
            diff = value - old.get((name, labels), 0.0)
            labels = dict(labels)
            if name == "civicgrid_worker_seconds_count":
                workers.setdefault(labels["entrypoint"], {})["count"] = int(round(diff))
            elif name == "civicgrid_worker_seconds_sum":
                workers.setdefault(labels["entrypoint"], {})["seconds"] = diff
            elif name == "civicgrid_store_commands_total":
                commands.setdefault(labels["command"], {})["count"] = int(round(diff))
            elif name == "civicgrid_store_command_seconds_total":
                commands.setdefault(labels["command"], {})["seconds"] = diff
            elif name == "civicgrid_store_documents_written_total":
                commands.setdefault(labels["command"], {})["documents"] = int(round(diff))
        result[service] = {
            "workers": {k: v for k, v in workers.items() if v.get("count")},
            "store": {k: v for k, v in commands.items() if v.get("count")},
        }
    return result


def store_operations(delta: dict[str, dict]) -> dict[str, Counter]:
    """Per service: store write commands, documents they changed, and reads, in a metrics delta."""
    result = {}
    for service, measured in delta.items():
        counts = Counter()
        for command, figures in measured["store"].items():
            if command in STORE_WRITES:
                counts["writes"] += figures["count"]
                counts["documents_written"] += figures.get("documents", 0)
            elif command in STORE_READS:
                counts["reads"] += figures["count"]
        result[service] = counts
    return result


# -- CPU of processes -----------------------------------------------------------
_TICKS = os.sysconf("SC_CLK_TCK")
MACHINE = "machine (all processes)"


def _stat_fields(pid: int) -> list[str] | None:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # The command name may hold spaces and parentheses; the fields after it do not.
    return stat.rsplit(")", 1)[1].split()


def cpu_seconds(pid: int) -> float | None:
    """User + system CPU seconds a live process has used; None if it is gone."""
    fields = _stat_fields(pid)
    if fields is None:
        return None
    return (int(fields[11]) + int(fields[12])) / _TICKS


def parents() -> dict[int, int]:
    """pid -> parent pid of every process on the machine."""
    found = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and (fields := _stat_fields(int(entry.name))) is not None:
            found[int(entry.name)] = int(fields[1])
    return found


def descendants(root: int, parent_of: dict[int, int]) -> set[int]:
    """Every process below ``root`` in a pid -> parent pid map (not ``root`` itself)."""
    children: dict[int, list[int]] = {}
    for pid, parent in parent_of.items():
        children.setdefault(parent, []).append(pid)
    found, todo = set(), [root]
    while todo:
        for child in children.get(todo.pop(), []):
            if child not in found:
                found.add(child)
                todo.append(child)
    return found


def tree_cpu_seconds(root: int, parent_of: dict[int, int]) -> float | None:
    """CPU seconds of ``root`` and the processes below it, those that have ended included; None if
    ``root`` is gone.

    A RabbitMQ node is a ``beam.smp`` with helpers below it (``erl_child_setup``, ``inet_gethost``,
    the disk monitor's shell and the ``df`` it runs): each live one counts its own time, and one that
    has ended and been reaped lives on in its parent's children's time (``cutime``, ``cstime``).
    """
    total = 0.0
    for pid in (root, *descendants(root, parent_of)):
        fields = _stat_fields(pid)
        if fields is None:
            if pid == root:
                return None
            continue  # ended between the listing and now: its parent's children's time has it
        total += sum(int(x) for x in fields[11:15]) / _TICKS
    return total


def machine_busy_seconds() -> float:
    """CPU seconds every core of the machine has spent busy since boot (all processes)."""
    fields = Path("/proc/stat").read_text().splitlines()[0].split()[1:]
    user, nice, system, idle, iowait, irq, softirq, steal = (int(x) for x in fields[:8])
    return (user + nice + system + irq + softirq + steal) / _TICKS


def cpu_snapshot(pids: dict[str, int | tuple[int, ...]]) -> dict[str, float]:
    """CPU seconds of each live process, and of the whole machine under ``MACHINE``.

    A tuple of pids is one entry counted together, each with the processes below it (the
    broker's nodes); it is left out, as a process that has gone is, if any of them has gone.
    """
    snapshot = {}
    parent_of = parents() if any(isinstance(pid, tuple) for pid in pids.values()) else {}
    for name, pid in pids.items():
        if isinstance(pid, tuple):
            trees = [tree_cpu_seconds(root, parent_of) for root in pid]
            seconds = None if None in trees else sum(trees)
        else:
            seconds = cpu_seconds(pid)
        if seconds is not None:
            snapshot[name] = seconds
    snapshot[MACHINE] = machine_busy_seconds()
    return snapshot


def wait_quiet(pids: dict[str, int | tuple[int, ...]], cores: float, limit: float, window: float = 1.0) -> float:
    """Wait until ``pids`` together keep fewer than ``cores`` busy over ``window`` seconds.

    The store and the broker go on working after a burst (checkpoints, message
    store clean-up); a load step that starts before they are done measures them too.
    Returns how long it waited.
    """
    started = time.monotonic()
    while time.monotonic() - started < limit:
        before = cpu_snapshot(pids)
        time.sleep(window)
        after = cpu_snapshot(pids)
        if sum(after[name] - before[name] for name in after if name in before and name != MACHINE) / window < cores:
            break
    return time.monotonic() - started
