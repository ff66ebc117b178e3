"""``python -m deploy.run <process>``: one civicgrid process, as `make run`, docker-compose and Kubernetes start it.

``<process>`` is a service's name (``dispatch``) or ``gateway``, or its class as ``deploy/services.py`` writes it
(``services.dispatch.service:DispatchService``, what the manifests' ``CIVICGRID_PROCESS`` holds).

What ``nameko run`` does, with what a process needs under a supervisor:

- its probes and metrics on ``HEALTH_PORT`` when set (``shared.probes``);
- one SIGTERM (or SIGINT) stops it: its consumers are cancelled, the messages in hand are finished and acknowledged
  after their commit, and the process exits 0. If that takes longer than ``SHUTDOWN_GRACE_SECONDS`` (25, below
  Kubernetes' 30), it is killed where it stands and exits 1: what it held unacknowledged goes back to its queue.
  Another SIGTERM meanwhile changes nothing (``nameko run`` stopped a second time and hung: "Trying to re-send()
  an already-triggered event"); a second SIGINT (Ctrl-C again) kills it at once.
"""

import eventlet

eventlet.monkey_patch()  # before anything opens a socket, as `nameko run` does

import argparse  # noqa: E402
import errno  # noqa: E402
import logging  # noqa: E402
import logging.config  # noqa: E402
import os  # noqa: E402
import signal  # noqa: E402
import sys  # noqa: E402
import warnings  # noqa: E402
from pathlib import Path  # noqa: E402

import yaml  # noqa: E402

warnings.filterwarnings("ignore", message="pkg_resources is deprecated")

from nameko.cli.main import setup_yaml_parser  # noqa: E402
from nameko.runners import ServiceRunner  # noqa: E402

from deploy.probes import HEALTH_PORT_SETTING, SHUTDOWN_GRACE_SECONDS, SHUTDOWN_GRACE_SETTING  # noqa: E402
from deploy.services import GATEWAY, SERVICES, load_class  # noqa: E402
from shared.bus import queue_consumer_of  # noqa: E402
from shared.config import setting  # noqa: E402
from shared.probes import ProcessProbes, serve_health  # noqa: E402

_log = logging.getLogger("civicgrid.run")

CONFIG = Path(__file__).resolve().parent / "nameko.yaml"
PROCESSES = {**SERVICES, "gateway": GATEWAY}
NAMES = {path: name for name, path in PROCESSES.items()}
KILL_SECONDS = 5  # after the grace period: how long killing may take before the process simply ends


def load_config(path: Path) -> dict:
    """``deploy/nameko.yaml`` with its ``${NAME:default}`` values taken from the environment, as nameko reads it."""
    setup_yaml_parser()
    with open(path) as handle:
        return yaml.safe_load(handle)


class Shutdown:
    """The stop a signal asks for, done once, within the grace period."""

    def __init__(self, runner: ServiceRunner, grace: float):
        self.runner = runner
        self.grace = grace
        self.requested = False
        self.killed = False
        self.started = eventlet.event.Event()

    def on_signal(self, signum, _frame) -> None:
        # A signal handler runs between two steps of whatever greenthread was running: it only hands the work on.
        if not self.requested:
            self.requested = True
            eventlet.spawn_n(self._stop, signal.Signals(signum).name)
        elif signum == signal.SIGINT:
            eventlet.spawn_n(self._kill, "a second SIGINT")
        else:
            eventlet.spawn_n(_log.info, "%s again: already stopping", signal.Signals(signum).name)

    def _stop(self, why: str) -> None:
        container = next(iter(self.runner.containers))
        if not self.started.ready():
            consumer = queue_consumer_of(container)
            if consumer is None or not consumer.state()["started"]:
                # Still setting up (waiting for its store or the deploy step): nothing consumed, nothing in hand.
                _log.info("%s while starting: nothing in hand, exiting", why)
                logging.shutdown()
                os._exit(0)
        _log.info("%s: no more messages taken; finishing those in hand (at most %gs)", why, self.grace)
        stopping = eventlet.spawn(self._stop_when_started)
        try:
            with eventlet.Timeout(self.grace):
                stopping.wait()
        except eventlet.Timeout:
            self._kill(f"still stopping after {self.grace:g}s")
            return
        _log.info("stopped")

    def _stop_when_started(self) -> None:
        self.started.wait()  # stopping a container half-started leaves nameko's events half-sent
        self.runner.stop()

    def _kill(self, why: str) -> None:
        _log.warning("%s: killing the process; what it holds unacknowledged returns to its queue", why)
        self.killed = True
        try:
            with eventlet.Timeout(KILL_SECONDS):
                self.runner.kill()
        except eventlet.Timeout:
            pass
        logging.shutdown()
        os._exit(1)


def run(name: str, config: dict) -> int:
    runner = ServiceRunner(config)
    runner.add_service(load_class(PROCESSES[name]))
    shutdown = Shutdown(runner, setting(config, SHUTDOWN_GRACE_SETTING, float(SHUTDOWN_GRACE_SECONDS), float))
    port = setting(config, HEALTH_PORT_SETTING, 0, int)
    if port:
        probes = ProcessProbes(next(iter(runner.containers)), stopping=lambda: shutdown.requested)
        _log.info("%s: probes and metrics on port %d (/livez /readyz /metrics)", name, serve_health(probes, port))
    signal.signal(signal.SIGTERM, shutdown.on_signal)
    signal.signal(signal.SIGINT, shutdown.on_signal)
    runner.start()
    shutdown.started.send(True)
    # The signal handler may interrupt the main greenthread's wait on a socket with EINTR: it waits in its own.
    waiting = eventlet.spawn(runner.wait)
    while True:
        try:
            waiting.wait()
            return 1 if shutdown.killed else 0
        except OSError as exc:
            if exc.errno != errno.EINTR:
                raise


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m deploy.run", description=__doc__.splitlines()[0])
    parser.add_argument(
        "process",
        choices=[*PROCESSES, *NAMES],
        metavar="process",
        help=f"the process to run: {', '.join(PROCESSES)} (or its class, module:Class)",
    )
    parser.add_argument("--config", default=str(CONFIG), help="nameko configuration (default: deploy/nameko.yaml)")
    args = parser.parse_args(argv)
    if "." not in sys.path:
        sys.path.insert(0, ".")
    config = load_config(Path(args.config))
    if "LOGGING" in config:
        logging.config.dictConfig(config["LOGGING"])
    else:
        logging.basicConfig(level=logging.INFO)
    return run(NAMES.get(args.process, args.process), config)


if __name__ == "__main__":
    sys.exit(main())
