"""The broker a bench pass runs against: the machine's own node, or a three-node cluster of its own.

Either way the pass gets a vhost of its own, an ``AMQP_URI`` for the platform, the
management API (versions, queues) and the OS pids whose CPU is the broker's.

- ``single``: the machine's RabbitMQ on 5672 (``rabbit@localhost``), shared with
  whatever else runs on the machine (other people's tests): its CPU is "shared".
- ``cluster``: three RabbitMQ nodes started for the pass (``LocalRabbitCluster``),
  every queue a quorum queue with a member on each node; nothing else uses them.
"""

from pathlib import Path

from tests.support.infra import RabbitAdmin, amqp_base_uri, rabbit_api_uri, unique_name
from tests.support.rabbit_cluster import LocalRabbitCluster

KINDS = ("single", "cluster")
BEAM = "beam.smp"


def node_os_pid(overview: dict, nodes: list[dict]) -> int | None:
    """The OS pid of the node a management API answers for, from its ``/overview`` and ``/nodes``.

    The API's own node is named in the overview; ``os_pid`` of that entry is its
    ``beam.smp``. Any other ``beam.smp`` on the machine may be a test cluster's node or
    a ``rabbitmqctl`` run (the CLI is an Erlang node too).
    """
    name = overview.get("node")
    for node in nodes:
        if node.get("name") == name and node.get("os_pid"):
            return int(node["os_pid"])
    return None


def is_beam(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/comm").read_text().strip() == BEAM
    except OSError:
        return False


class SingleBroker:
    """The machine's own node; the pass's vhost is deleted when it ends."""

    kind = "single"
    label = "broker (shared)"
    shared = True  # others may keep it busy: the bench does not wait for it to go quiet

    def __init__(self):
        self.admin = RabbitAdmin(rabbit_api_uri())
        self.vhost = unique_name("cgbench")
        self.nodes = 1

    def start(self) -> None:
        self.admin.check()
        self.admin.create_vhost(self.vhost)

    @property
    def amqp_uri(self) -> str:
        return f"{amqp_base_uri()}{self.vhost}"

    def pids(self) -> tuple[int, ...]:
        pid = node_os_pid(self.admin.overview(), self.admin.cluster_nodes())
        if pid is None or not is_beam(pid):
            raise RuntimeError(f"the management API names no {BEAM} of its own node (os_pid {pid})")
        return (pid,)

    def queue_leaders(self) -> dict[str, int]:
        return {}

    def stop(self) -> None:
        self.admin.delete_vhost(self.vhost)


class ClusterBroker:
    """Three nodes started for the pass (~30 s) and stopped after it; their logs go to ``workdir/logs``."""

    kind = "cluster"
    shared = False  # ours alone: each step waits for it to go quiet, as for the platform's processes

    def __init__(self, workdir: Path, size: int = 3):
        self.cluster = LocalRabbitCluster(workdir, size=size)
        self.vhost = unique_name("cgbench")
        self.nodes = size
        self.label = f"broker ({size} nodes)"
        self.admin: RabbitAdmin | None = None

    def start(self) -> None:
        self.cluster.start()
        self.admin = self.cluster.admin()
        self.admin.create_vhost(self.vhost)

    @property
    def amqp_uri(self) -> str:
        return self.cluster.amqp_uri(self.vhost)

    def pids(self) -> tuple[int, ...]:
        # Each node's pid file names its beam.smp (checked against the node's name by ClusterNode.pid).
        pids = tuple(node.pid for node in self.cluster.nodes)
        if None in pids:
            down = [n.name for n in self.cluster.nodes if n.pid is None]
            raise RuntimeError(f"cluster nodes {down} have no running process")
        return pids

    def queue_leaders(self) -> dict[str, int]:
        """How many of the vhost's quorum queues each node leads."""
        leaders: dict[str, int] = {}
        for queue in self.admin.queues(self.vhost).values():
            if queue.get("type") == "quorum" and queue.get("leader"):
                leaders[queue["leader"]] = leaders.get(queue["leader"], 0) + 1
        return dict(sorted(leaders.items()))

    def stop(self) -> None:
        self.cluster.stop()


def make(kind: str, workdir: Path):
    if kind == "single":
        return SingleBroker()
    if kind == "cluster":
        return ClusterBroker(workdir)
    raise ValueError(f"no broker kind {kind!r}; one of {KINDS}")
