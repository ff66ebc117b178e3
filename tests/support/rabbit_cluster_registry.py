"""Which local RabbitMQ test clusters exist on this machine, who started them, what they hold.

Every cluster lives in a directory of its own under :data:`BASE_DIR` with an ``owner.json``:
the pid (and start time) of the process that started it and the ports it holds for its whole
life, also while one of its nodes is down. Test runs in other worktrees start clusters at the
same time, so ports are handed out under a lock; a run that was killed leaves nodes nobody will
stop, so each start first ends the clusters whose owner has gone.
"""

import contextlib
import fcntl
import json
import logging
import os
import shutil
import tempfile
import time
from pathlib import Path

from tests.support import local_processes as procs

log = logging.getLogger(__name__)

BASE_DIR = Path(tempfile.gettempdir()) / "civicgrid-rabbit-clusters"
# A directory without an owner file is being set up by another run, unless it is this old.
SETUP_GRACE = 120.0


def claim(name: str, port_count: int) -> tuple[Path, list[int]]:
    """Make the cluster directory ``BASE_DIR/name``, owned by this process, and reserve
    ``port_count`` ports no other live cluster holds. FileExistsError if the name is taken."""
    BASE_DIR.mkdir(mode=0o755, exist_ok=True)
    with open(BASE_DIR / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        home = BASE_DIR / name
        held = {port for other in cluster_dirs() for port in _owner(other)["ports"]}
        ports = procs.pick_ports(port_count, avoid=held)
        home.mkdir(mode=0o755)
        owner = {"pid": os.getpid(), "start_time": procs.process_start_time(os.getpid()), "ports": ports}
        (home / ".owner.tmp").write_text(json.dumps(owner))
        (home / ".owner.tmp").rename(home / "owner.json")
    return home, ports


def cluster_dirs() -> list[Path]:
    return [path for path in BASE_DIR.iterdir() if path.is_dir()] if BASE_DIR.is_dir() else []


def _owner(home: Path) -> dict:
    try:
        return json.loads((home / "owner.json").read_text())
    except (OSError, ValueError):
        return {"ports": []}


def owner_alive(home: Path) -> bool | None:
    """Whether the process that started the cluster in ``home`` still runs; None if unknown."""
    owner = _owner(home)
    if "pid" not in owner:
        return None
    return procs.process_start_time(owner["pid"]) == owner["start_time"]


def processes_under(root: Path) -> dict[int, dict[str, str]]:
    """pid -> environment of the processes (nodes, their helpers, their start scripts) whose
    data directory lies under ``root``."""
    prefix = f"{root}/"
    found = {}
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            env = procs.environ(int(entry.name))
            if env.get("RABBITMQ_MNESIA_BASE", "").startswith(prefix):
                found[int(entry.name)] = env
    return found


def reap_stale_clusters() -> None:
    """End the nodes of clusters whose owner has gone (a run killed or crashed before its
    ``stop()`` or atexit ran) and remove their directories."""
    by_cluster: dict[Path, list[int]] = {}
    for pid, env in processes_under(BASE_DIR).items():
        relative = Path(env["RABBITMQ_MNESIA_BASE"]).relative_to(BASE_DIR)
        by_cluster.setdefault(BASE_DIR / relative.parts[0], []).append(pid)
    for home in set(cluster_dirs()) | set(by_cluster):
        alive = owner_alive(home)
        if alive:
            continue
        if alive is None:
            with contextlib.suppress(OSError):
                if time.time() - home.stat().st_mtime < SETUP_GRACE:
                    continue
        pids = by_cluster.get(home, [])
        log.warning("ending %d process(es) of the stale RabbitMQ cluster in %s", len(pids), home)
        for pid in pids:
            with contextlib.suppress(RuntimeError):
                procs.kill_and_wait(pid)
        shutil.rmtree(home, ignore_errors=True)
