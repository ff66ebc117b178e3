"""A real RabbitMQ cluster of several nodes on this machine, beside the machine's own broker.

Each node is Debian's ``rabbitmq-server`` started detached under a name of its own
(``<prefix>1@localhost`` ...), on ports picked free at start, with its own data, logs, plugins,
config, pid and feature-flags files; nodes 2.. join node 1 (docs: platform-notes.md, "A RabbitMQ
cluster on one machine"). The machine's node (``rabbit@localhost``; 5672, 15672, 25672) is
never touched; epmd (4369) is shared, as Erlang nodes on one machine share it.

The nodes' files live under ``rabbit_cluster_registry.BASE_DIR``, not in the caller's
``workdir``: the server runs as the ``rabbitmq`` user, who cannot enter pytest's private
temporary directories, and a later run finds there the nodes of a run that crashed (and ends
them). ``workdir`` receives the nodes' logs when the cluster stops.
"""

import atexit
import contextlib
import json
import logging
import os
import pwd
import re
import secrets
import shutil
import time
from dataclasses import dataclass
from pathlib import Path
from subprocess import DEVNULL, PIPE, STDOUT, CompletedProcess, TimeoutExpired
from urllib.parse import quote

from tests.support import local_processes as procs
from tests.support import rabbit_cluster_registry as registry
from tests.support.infra import RabbitAdmin, wait_for

log = logging.getLogger(__name__)

RABBITMQ_SERVER = "/usr/sbin/rabbitmq-server"
RABBITMQCTL = "/usr/sbin/rabbitmqctl"
RABBITMQ_USER = "rabbitmq"

# Generous for a loaded two-core CI machine: nodes boot in ~12 s on an idle one.
START_TIMEOUT = 120.0
CTL_TIMEOUT = 60.0
STOP_TIMEOUT = 30.0

NODE_CONF = """\
listeners.tcp.default = 127.0.0.1:{amqp_port}
management.tcp.ip = 127.0.0.1
management.tcp.port = {management_port}
loopback_users = none
"""
# Stands in for /etc/rabbitmq/rabbitmq-env.conf, whose NODENAME is the machine's own node.
NODE_ENV_CONF = """\
ERL_EPMD_ADDRESS=127.0.0.1
export ERL_FLAGS="-kernel inet_dist_use_interface {127,0,0,1}"
"""


@dataclass(eq=False)
class ClusterNode:
    """One node of a :class:`LocalRabbitCluster`."""

    name: str  # "<prefix>N@localhost"
    amqp_port: int
    management_port: int
    dist_port: int
    home: Path  # its own directory (data, logs, config), owned by the rabbitmq user
    running: bool = False

    @property
    def pid(self) -> int | None:
        """The node's OS pid (beam.smp) from its pid file; None if it has none or that pid is gone."""
        try:
            pid = int((self.home / "node.pid").read_text().strip())
        except (OSError, ValueError):
            return None
        # A pid file a node left behind may name a process that is not it any more.
        return pid if procs.environ(pid).get("RABBITMQ_NODENAME") == self.name else None

    @property
    def log_file(self) -> Path:
        return self.home / "log" / f"{self.name}.log"

    def log_tail(self) -> str:
        """What the node and its start command wrote, for an error message: the first error
        (the cause; what follows it is mostly shutting down) and the end."""
        parts = []
        for path in (self.home / "start.out", self.log_file):
            with contextlib.suppress(OSError):
                parts.append(f"--- {path.name} ---\n" + excerpt(path.read_text(errors="replace")))
        with contextlib.suppress(OSError):
            slogan = (self.home / "erl_crash.dump").read_text(errors="replace").splitlines()[:3]
            parts.append("--- erl_crash.dump ---\n" + "\n".join(slogan))
        return "\n".join(parts) or "(the node wrote nothing)"


class LocalRabbitCluster:
    """``size`` RabbitMQ nodes clustered on this machine, for tests and the benchmark.

    ``prefix`` names the nodes (``<prefix>1@localhost`` ...); the default is unique per
    instance, so two clusters never collide. ``stop()`` runs at exit too.
    """

    def __init__(self, workdir: Path, size: int = 3, prefix: str | None = None):
        if size < 1:
            raise ValueError("a cluster has at least one node")
        self.prefix = prefix or f"cg{secrets.token_hex(3)}rq"
        if not re.fullmatch(r"[A-Za-z][A-Za-z0-9_-]{0,40}", self.prefix):
            raise ValueError(f"{self.prefix!r} cannot prefix an Erlang node name")
        self.workdir = Path(workdir)
        self.size = size
        self.home = registry.BASE_DIR / self.prefix
        self.nodes: list[ClusterNode] = []
        self._created = False  # self.home is ours to remove
        self._stopped = False

    # --- the API ---------------------------------------------------------------------------

    def start(self) -> None:
        """Start every node and cluster them; returns when all run in one cluster.

        Raises (with the failing node's log tail) if a node does not come up, after stopping
        whatever had started.
        """
        if self._created:
            raise RuntimeError("this cluster was started already; make a new one")
        check_tools()
        registry.reap_stale_clusters()
        began = time.monotonic()
        try:
            self._prepare()
            for node in self.nodes:
                self._launch(node)
            # The nodes boot side by side, so they share one deadline.
            deadline = time.monotonic() + START_TIMEOUT
            for node in self.nodes:
                self._await_startup(node, deadline)
            booted = time.monotonic()
            first = self.nodes[0]
            for node in self.nodes[1:]:
                self._ctl(node, "stop_app")
                self._ctl(node, "join_cluster", first.name)
                self._ctl(node, "start_app")
            joined = time.monotonic()
            # Quorum queues and at-least-once dead-lettering need quorum_queue and stream_queue.
            self._ctl(first, "enable_feature_flag", "all")
            self._await_members(self.nodes)
        except BaseException:
            self.stop()
            raise
        now = time.monotonic()
        log.info(
            "%d-node cluster %s up in %.1f s (boot %.1f s, join %.1f s, feature flags %.1f s)",
            self.size,
            self.prefix,
            now - began,
            booted - began,
            joined - booted,
            now - joined,
        )

    def stop(self) -> None:
        """Stop every node (``rabbitmqctl stop``, SIGKILL if that does not end it) and remove
        the nodes' files, keeping their logs in ``workdir/logs``. Idempotent; safe in
        ``finally`` and at exit."""
        if self._stopped or not self._created:
            return
        self._stopped = True
        atexit.unregister(self.stop)
        stopping = []
        for node in self.nodes:
            if node.pid:
                with contextlib.suppress(OSError):
                    stopping.append(
                        procs.spawn(self._ctl_argv(node, "stop"), ctl_env(), stdout=DEVNULL, stderr=DEVNULL)
                    )
        deadline = time.monotonic() + STOP_TIMEOUT
        for process in stopping:
            with contextlib.suppress(TimeoutExpired):
                procs.finish(process, max(1.0, deadline - time.monotonic()))
        survivors = []
        for pid in registry.processes_under(self.home):
            try:
                procs.kill_and_wait(pid)
            except RuntimeError:
                survivors.append(pid)
        for node in self.nodes:
            node.running = False
        self._keep_logs()
        shutil.rmtree(self.home, ignore_errors=True)
        if survivors:
            raise RuntimeError(f"processes {survivors} of cluster {self.prefix} outlived SIGKILL")

    def kill(self, node: ClusterNode | str) -> None:
        """SIGKILL the node's OS process, a real node loss; returns when the process is gone."""
        node = self._node(node)
        pid = node.pid
        if pid is None:
            raise RuntimeError(f"{node.name} has no running process to kill")
        procs.kill_and_wait(pid)
        node.running = False
        for leftover in node_processes(node):
            procs.kill_and_wait(leftover)
        (node.home / "node.pid").unlink(missing_ok=True)
        short = node.name.split("@")[0]
        wait_for(lambda: short not in procs.epmd_names(), timeout=10, message=f"epmd to forget {node.name}")

    def restart(self, node: ClusterNode | str) -> None:
        """Start a killed or stopped node again on its data; returns when it runs and the
        cluster counts it among its running nodes."""
        node = self._node(node)
        if node.pid is not None:
            raise RuntimeError(f"{node.name} still runs (pid {node.pid})")
        began = time.monotonic()
        self._launch(node)
        self._await_startup(node, time.monotonic() + START_TIMEOUT)
        self._await_members([node])
        log.info("%s back in the cluster in %.1f s", node.name, time.monotonic() - began)

    def amqp_uri(self, vhost: str = "") -> str:
        """Every node's AMQP URI in kombu's failover form (``uri1;uri2;...``); "" is vhost "/"."""
        path = quote(vhost, safe="")
        return ";".join(f"amqp://guest:guest@127.0.0.1:{n.amqp_port}/{path}" for n in self.nodes)

    def admin(self, node: ClusterNode | str | None = None) -> RabbitAdmin:
        """The management API of ``node``, by default of the first running node."""
        if node is None:
            node = next((n for n in self.nodes if n.running), None)
            if node is None:
                raise RuntimeError("no node of the cluster runs")
        node = self._node(node)
        return RabbitAdmin(f"http://guest:guest@127.0.0.1:{node.management_port}")

    def queue_leader(self, vhost: str, queue: str) -> ClusterNode:
        """The node holding the queue: a quorum queue's leader, a classic queue's node, as the
        management API reports it. LookupError while it reports none."""
        info = self.admin().queue(vhost or "/", queue)
        name = info.get("leader") or info.get("node")
        if not name:
            raise LookupError(f"no leader known for queue {queue!r} in vhost {vhost!r}")
        return self.node_named(name)

    def node_named(self, name: str) -> ClusterNode:
        """The node called ``name`` (``"<prefix>N@localhost"``); KeyError if none is."""
        for node in self.nodes:
            if node.name == name:
                return node
        raise KeyError(name)

    def cluster_status(self, via: ClusterNode | None = None) -> dict:
        """``rabbitmqctl cluster_status`` as JSON, asked of ``via`` (default: a running node)."""
        via = via or next(n for n in self.nodes if n.running)
        return json.loads(self._ctl(via, "cluster_status", "--formatter", "json").stdout)

    # --- starting nodes ----------------------------------------------------------------------

    def _prepare(self) -> None:
        """The cluster's directory and ports (held until it stops), each node's files."""
        try:
            _, ports = registry.claim(self.prefix, 3 * self.size)
        except FileExistsError:
            raise RuntimeError(f"a cluster named {self.prefix!r} exists already ({self.home})") from None
        self._created = True
        atexit.register(self.stop)
        registered = procs.epmd_names()
        user = pwd.getpwnam(RABBITMQ_USER)
        for index in range(self.size):
            short = f"{self.prefix}{index + 1}"
            if short in registered:
                raise RuntimeError(f"an Erlang node named {short} runs already")
            amqp, management, dist = ports[3 * index : 3 * index + 3]
            node = ClusterNode(f"{short}@localhost", amqp, management, dist, self.home / short)
            (node.home / "mnesia").mkdir(parents=True)
            (node.home / "log").mkdir()
            (node.home / "enabled_plugins").write_text("[rabbitmq_management].\n")
            (node.home / "rabbitmq.conf").write_text(NODE_CONF.format(amqp_port=amqp, management_port=management))
            (node.home / "rabbitmq-env.conf").write_text(NODE_ENV_CONF)
            chown_tree(node.home, user.pw_uid, user.pw_gid)
            self.nodes.append(node)

    def _env(self, node: ClusterNode) -> dict[str, str]:
        env = ctl_env()
        home = node.home
        env.update(
            RABBITMQ_NODENAME=node.name,
            RABBITMQ_DIST_PORT=str(node.dist_port),
            RABBITMQ_MNESIA_BASE=str(home / "mnesia"),
            RABBITMQ_LOG_BASE=str(home / "log"),
            RABBITMQ_ENABLED_PLUGINS_FILE=str(home / "enabled_plugins"),
            RABBITMQ_CONFIG_FILE=str(home / "rabbitmq.conf"),
            RABBITMQ_ADVANCED_CONFIG_FILE=str(home / "advanced.config"),
            RABBITMQ_CONF_ENV_FILE=str(home / "rabbitmq-env.conf"),
            RABBITMQ_PID_FILE=str(home / "node.pid"),
            RABBITMQ_FEATURE_FLAGS_FILE=str(home / "feature_flags"),
            # Else a crash dump lands in the wrapper's working directory, the machine node's.
            ERL_CRASH_DUMP=str(home / "erl_crash.dump"),
        )
        return env

    def _launch(self, node: ClusterNode) -> None:
        (node.home / "node.pid").unlink(missing_ok=True)
        node.running = False
        with open(node.home / "start.out", "a") as out:
            try:
                result = procs.run(
                    [RABBITMQ_SERVER, "-detached"], self._env(node), CTL_TIMEOUT, stdout=out, stderr=STDOUT, cwd="/"
                )
            except TimeoutExpired:
                raise RuntimeError(f"`rabbitmq-server -detached` of {node.name} hung\n{node.log_tail()}") from None
        if result.returncode != 0:
            raise RuntimeError(
                f"`rabbitmq-server -detached` of {node.name} failed (exit {result.returncode})\n{node.log_tail()}"
            )

    def _await_startup(self, node: ClusterNode, deadline: float) -> None:
        """Wait for the node to boot; fail fast if its process dies instead."""
        launched = time.monotonic()
        short = node.name.split("@")[0]
        # epmd answers cheaply; rabbitmqctl costs a second of CPU per call, so it is asked once.
        while short not in procs.epmd_names():
            if not node_processes(node) and time.monotonic() - launched > 5:
                raise RuntimeError(f"{node.name} exited while starting\n{node.log_tail()}{self._diagnose(node)}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"{node.name} did not start in time\n{node.log_tail()}")
            time.sleep(0.2)
        remaining = max(5, int(deadline - time.monotonic()))
        result = self._ctl(node, "await_startup", "--timeout", str(remaining), timeout=remaining + 15, check=False)
        if result.returncode != 0:
            raise RuntimeError(f"{node.name} did not start: {result.stdout}{result.stderr}\n{node.log_tail()}")
        node.running = True

    def _diagnose(self, node: ClusterNode) -> str:
        """What the node says when started in the foreground, if it died before writing a log:
        a detached node prints the reason it stops at boot (a bad config, a name in use) to
        nowhere."""
        if node.log_file.exists() and node.log_file.stat().st_size:
            return ""
        try:
            result = procs.run([RABBITMQ_SERVER], self._env(node), 30, stdout=PIPE, stderr=STDOUT, cwd="/")
            said = result.stdout
        except TimeoutExpired:
            said = "(in the foreground it started, and was stopped again)"
        finally:
            for pid in node_processes(node):
                procs.kill_and_wait(pid)
        return f"\n--- {node.name} started in the foreground ---\n{excerpt(said)}"

    def _await_members(self, nodes: list[ClusterNode]) -> None:
        """Wait until a running node other than these (or the first) counts them running."""
        others = [n for n in self.nodes if n.running and n not in nodes]
        via = others[0] if others else self.nodes[0]
        wanted = {n.name for n in nodes}

        def counted() -> bool:
            try:
                return wanted <= set(self.cluster_status(via).get("running_nodes", []))
            except RuntimeError:  # rabbitmqctl failed: a node still settling
                return False

        wait_for(counted, timeout=60, interval=1, message=f"{sorted(wanted)} running in the cluster")

    # --- rabbitmqctl -------------------------------------------------------------------------

    def _ctl_argv(self, node: ClusterNode, *args: str) -> list[str]:
        return [RABBITMQCTL, "-n", node.name, "-q", *args]

    def _ctl(self, node: ClusterNode, *args: str, timeout: float = CTL_TIMEOUT, check: bool = True) -> CompletedProcess:
        argv = self._ctl_argv(node, *args)
        try:
            result = procs.run(argv, ctl_env(), timeout, stdout=PIPE, stderr=PIPE, cwd="/")
        except TimeoutExpired:
            raise RuntimeError(
                f"`rabbitmqctl {' '.join(argv[1:])}` hung for {timeout:.0f} s\n{node.log_tail()}"
            ) from None
        if check and result.returncode != 0:
            raise RuntimeError(
                f"`rabbitmqctl {' '.join(argv[1:])}` failed (exit "
                f"{result.returncode}): {result.stdout}{result.stderr}\n"
                f"{node.log_tail()}"
            )
        return result

    # --- helpers -----------------------------------------------------------------------------

    def _node(self, node: ClusterNode | str) -> ClusterNode:
        return node if isinstance(node, ClusterNode) else self.node_named(node)

    def _keep_logs(self) -> None:
        with contextlib.suppress(OSError):
            target = self.workdir / "logs"
            target.mkdir(parents=True, exist_ok=True)
            for node in self.nodes:
                for path in (node.log_file, node.home / "start.out"):
                    if path.exists():
                        shutil.copyfile(path, target / f"{node.name.split('@')[0]}-{path.name}")


def excerpt(text: str, head: int = 15, tail: int = 10) -> str:
    """From the first error line on, ``head`` lines, then the last ``tail`` lines."""
    lines = text.splitlines()
    first = next((i for i, line in enumerate(lines) if "[error]" in line), None)
    if first is None or first >= len(lines) - head - tail:
        return "\n".join(lines[-(head + tail) :])
    return "\n".join(lines[first : first + head] + ["..."] + lines[-tail:])


def check_tools() -> None:
    """Raise, naming the package, if Debian's RabbitMQ is not installed; and if not root."""
    missing = [p for p in (RABBITMQ_SERVER, RABBITMQCTL) if not os.access(p, os.X_OK)]
    try:
        pwd.getpwnam(RABBITMQ_USER)
    except KeyError:
        missing.append(f"the {RABBITMQ_USER} user")
    if missing:
        raise RuntimeError(
            f"{', '.join(missing)} not found: a local RabbitMQ cluster needs "
            "Debian's RabbitMQ (apt-get install rabbitmq-server)"
        )
    if os.geteuid() != 0:
        raise RuntimeError(
            "a local RabbitMQ cluster must be started as root (its directories are handed to the rabbitmq user)"
        )


def ctl_env() -> dict[str, str]:
    """This process's environment without RabbitMQ's and Erlang's variables, which would
    steer a node or rabbitmqctl elsewhere."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("RABBITMQ_", "ERL_"))}
    env["LC_ALL"] = "C.UTF-8"  # the CLI warns on any non-UTF-8 locale
    return env


def chown_tree(root: Path, uid: int, gid: int) -> None:
    os.chown(root, uid, gid)
    for directory, subdirs, files in os.walk(root):
        for name in subdirs + files:
            os.chown(os.path.join(directory, name), uid, gid)


def node_processes(node: ClusterNode) -> list[int]:
    return [
        pid
        for pid, env in registry.processes_under(node.home.parent).items()
        if env.get("RABBITMQ_NODENAME") == node.name
    ]
