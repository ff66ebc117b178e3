"""What every service process measures about itself: time per message, store commands.

Prometheus metrics (prometheus-client), labelled by service:

- ``civicgrid_worker_seconds{entrypoint}``: a histogram of the time each worker took,
  from its start to its result: the service's own time per message or call;
- ``civicgrid_store_commands_total{command}`` and
  ``civicgrid_store_command_seconds_total{command}``: commands sent to the store and
  the time spent waiting for them (``insert``, ``update``, ``find``, …), and
  ``civicgrid_store_documents_written_total{command}``: the documents they changed
  (one ``update_many`` may change many), seen by pymongo's command monitoring, so
  the outbox relay's writes count too.

A service answers them over RPC (``shared.operable``). Several processes of one
service (``--replicas``) each count their own; when ``PROMETHEUS_MULTIPROC_DIR`` is
set (the launcher sets it) every process writes its samples there and a reading sums
them over all processes, so whichever replica answers, the answer covers them all.
"""

import os
import time

from nameko.extensions import DependencyProvider
from prometheus_client import REGISTRY, CollectorRegistry, Counter, Histogram
from prometheus_client.multiprocess import MultiProcessCollector
from pymongo import monitoring

WORKER_SECONDS = Histogram(
    "civicgrid_worker_seconds",
    "Time a worker took from its start to its result",
    ["service", "entrypoint"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0),
)
STORE_COMMANDS = Counter("civicgrid_store_commands", "Commands sent to the store", ["service", "command"])
STORE_SECONDS = Counter("civicgrid_store_command_seconds", "Time spent waiting for the store", ["service", "command"])
STORE_DOCUMENTS = Counter(
    "civicgrid_store_documents_written", "Documents inserted, modified or deleted", ["service", "command"]
)
# How many documents a write command changed, by the field of its reply that says so.
_WRITTEN_FIELD = {"insert": "n", "update": "nModified", "delete": "n"}


class StoreCommandMetrics(monitoring.CommandListener):
    """Counts each command a ``MongoClient`` sends; pass it in ``event_listeners``."""

    def __init__(self, service: str):
        self.service = service
        self._children = {}  # command -> its labelled metrics: labels() is too slow to call per command

    def started(self, event) -> None:
        pass

    def succeeded(self, event) -> None:
        documents = self._count(event)
        field = _WRITTEN_FIELD.get(event.command_name)
        if field is not None:
            documents.inc(event.reply.get(field, 0))

    def failed(self, event) -> None:
        self._count(event)

    def _count(self, event):
        """Counts the command and its time; returns its documents-written counter."""
        children = self._children.get(event.command_name)
        if children is None:
            children = self._children[event.command_name] = tuple(
                metric.labels(self.service, event.command_name)
                for metric in (STORE_COMMANDS, STORE_SECONDS, STORE_DOCUMENTS)
            )
        commands, seconds, documents = children
        commands.inc()
        seconds.inc(event.duration_micros / 1e6)
        return documents


class WorkerTimer(DependencyProvider):
    """Times every worker of the service it is declared on."""

    def setup(self):
        self._started = {}
        self._histograms = {}  # entrypoint -> its labelled histogram

    def worker_setup(self, worker_ctx):
        self._started[worker_ctx] = time.perf_counter()

    def worker_result(self, worker_ctx, result=None, exc_info=None):
        started = self._started.pop(worker_ctx, None)
        if started is None:
            return
        entrypoint = worker_ctx.entrypoint.method_name
        histogram = self._histograms.get(entrypoint)
        if histogram is None:
            histogram = self._histograms[entrypoint] = WORKER_SECONDS.labels(worker_ctx.service_name, entrypoint)
        histogram.observe(time.perf_counter() - started)


def _registry():
    path = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if not path:
        return REGISTRY
    registry = CollectorRegistry()
    MultiProcessCollector(registry, path)
    return registry


def samples(service: str) -> list[dict]:
    """The current samples of ``service`` (over all its processes), JSON-ready."""
    return [
        {
            "name": sample.name,
            "labels": {k: v for k, v in sample.labels.items() if k != "service"},
            "value": sample.value,
        }
        for family in _registry().collect()
        for sample in family.samples
        if sample.labels.get("service") == service and not sample.name.endswith("_created")
    ]
