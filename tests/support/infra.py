"""Real infrastructure for tests: a throw-away vhost per test, a SecantusDB per run."""

import contextlib
import os
import time
import uuid
from pathlib import Path
from urllib.parse import quote, urlparse

import requests
from pymongo import MongoClient

from deploy.launch.embedded_store import EmbeddedStore
from deploy.launch.processes import free_port


def unique_name(prefix: str) -> str:
    return f"{prefix}_{uuid.uuid4().hex[:12]}"


def amqp_base_uri() -> str:
    """The broker tests use, without a vhost (``TEST_AMQP_URI``, default local guest)."""
    uri = os.environ.get("TEST_AMQP_URI", "amqp://guest:guest@127.0.0.1:5672/")
    parsed = urlparse(uri)
    return f"{parsed.scheme}://{parsed.netloc}/"


def rabbit_api_uri() -> str:
    return os.environ.get("TEST_RABBIT_API_URI", "http://guest:guest@127.0.0.1:15672")


class RabbitAdmin:
    """The bits of RabbitMQ's management API the tests need."""

    def __init__(self, api_uri: str):
        parsed = urlparse(api_uri)
        self.base = f"{parsed.scheme}://{parsed.hostname}:{parsed.port or 15672}/api"
        self.auth = (parsed.username or "guest", parsed.password or "guest")
        self.user = parsed.username or "guest"

    def _call(self, method: str, path: str, timeout: float = 10, **kwargs):
        response = requests.request(method, f"{self.base}{path}", auth=self.auth, timeout=timeout, **kwargs)
        response.raise_for_status()
        return response.json() if response.content else None

    def check(self) -> None:
        try:
            self.overview()
        except requests.RequestException as exc:
            raise RuntimeError(
                "RabbitMQ's management API is not reachable; run "
                "`rabbitmq-plugins enable rabbitmq_management` (make test does: deploy/machine.sh)"
            ) from exc

    def overview(self) -> dict:
        """The broker's versions and totals."""
        return self._call("GET", "/overview")

    def create_vhost(self, name: str) -> None:
        # A vhost starts its own message stores: seconds on a busy broker (seen: over 10 s with several runs at once).
        self._call("PUT", f"/vhosts/{quote(name, safe='')}", timeout=60)
        self._call(
            "PUT",
            f"/permissions/{quote(name, safe='')}/{quote(self.user, safe='')}",
            json={"configure": ".*", "write": ".*", "read": ".*"},
        )

    def delete_vhost(self, name: str) -> None:
        with contextlib.suppress(requests.RequestException):
            self._call("DELETE", f"/vhosts/{quote(name, safe='')}")

    def queues(self, vhost: str) -> dict[str, dict]:
        return {q["name"]: q for q in self._call("GET", f"/queues/{quote(vhost, safe='')}")}

    def queue(self, vhost: str, name: str) -> dict:
        """One queue; a quorum queue's has ``leader``, ``members`` and ``online`` (node names)."""
        return self._call("GET", f"/queues/{quote(vhost, safe='')}/{quote(name, safe='')}")

    def connections(self) -> list[dict]:
        """Open client connections, each with ``name``, ``client_properties`` and ``node``."""
        return self._call("GET", "/connections")

    def close_connection(self, name: str) -> None:
        """Close a client connection by its ``name`` (as :meth:`connections` gives it)."""
        self._call("DELETE", f"/connections/{quote(name, safe='')}")

    def cluster_nodes(self) -> list[dict]:
        """The cluster's nodes, each with ``name`` and ``running``."""
        return self._call("GET", "/nodes")


class SecantusServer(EmbeddedStore):
    """A throw-away store for tests, started as `make run` starts its own (``deploy.launch.embedded_store``): in
    memory, on a free port, its log in ``workdir`` (``standalone``: one that says it is no replica set, as a
    standalone mongod; ``keep_oplog``: one with an oplog, as SecantusDB has it)."""

    def __init__(self, workdir: Path, standalone: bool = False, keep_oplog: bool = False):
        workdir = Path(workdir)
        super().__init__(
            free_port(),
            log_file=workdir / "store.log",
            standalone=standalone,
            bound=False,
            cwd=workdir,
            keep_oplog=keep_oplog,
        )

    def client(self) -> MongoClient:
        return test_client(self.uri)


def test_client(uri: str) -> MongoClient:
    """A client for a test's own checks: it fails rather than hangs if the store stops answering."""
    return MongoClient(
        uri, tz_aware=True, socketTimeoutMS=20000, waitQueueTimeoutMS=20000, serverSelectionTimeoutMS=20000
    )


# Generous: on a loaded two-core machine a healthy system can be slow; only a broken one takes this long.
RPC_TIMEOUT = 30


def wait_for(predicate, timeout: float = 20.0, interval: float = 0.05, message: str = "condition"):
    """Poll ``predicate`` until it returns something truthy; that value is returned."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {message}")
        time.sleep(interval)
