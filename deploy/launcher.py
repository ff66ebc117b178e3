"""`make run`: the whole platform on one machine, stopped cleanly by Ctrl-C.

1. the stores: the embedded MongoDB-compatible server (SecantusDB), one process per
   service (data under ``var/db/<service>``, reopened on restart), unless
   ``MONGO_URI`` names a server (``deploy.launch.stores``);
2. the bus: RabbitMQ at ``AMQP_URI``, started if it is installed locally and down (``deploy.launch.broker``);
3. the deploy step (``deploy.prepare``): every queue declared before anything
   publishes, queues of an earlier version moved to this version's, and every
   service's collections and indexes created before any service starts (and indexes
   an earlier version left dropped: nothing older runs here);
4. the signing keys of access tokens (``var/keys``, made once) unless configured;
   only the directory gets the private key; the key sealing departments' webhook
   secrets (``var/keys/webhook_secrets.key``, made once) goes to notifications only (``deploy.launch.environment``);
5. each service (``python -m deploy.run``, ``--replicas`` instances each) and the gateway, each with its probes
   and metrics on a port of its own (``HEALTH_PORT``, recorded in ``var/run/status.json``);
   in demo mode (the default) the directory loads the demo district on first start
   and every demo person's password is ``DEMO_PASSWORD`` (made once, in
   ``var/demo-password``, when not given; ``deploy.launch.demo``);
6. waits until ``/readyz`` answers (and, in demo mode, until every service holds the
   demo data), prints what is where and the demo sign-ins, then supervises: a
   process or store that dies is restarted under one policy, with back-off (``deploy.launch.supervision``), so
   killing one loses nothing. Its processes are killed with it (even when it is killed), and with
   ``CIVICGRID_EXIT_WITH_PARENT`` it stops when whoever started it is gone.

This module is the command line and the order of those steps; each step is a module of ``deploy/launch/``. The e2e
tests start the platform through this same module. Settings come from the environment (see docs/configuration.md);
flags override the few that matter here.
"""

import argparse
import os
import signal
import sys
import time
import warnings
from pathlib import Path

from deploy.launch import LaunchError, say
from deploy.launch.broker import ensure_broker
from deploy.launch.environment import ROOT, add_common_settings, process_env, take_private_keys
from deploy.launch.readiness import wait_until_ready
from deploy.launch.status import announce, remove_status, write_status
from deploy.launch.stores import start_stores, store_uris
from deploy.launch.supervision import Child, SupervisedStore
from deploy.probes import SHUTDOWN_GRACE_SECONDS, SHUTDOWN_GRACE_SETTING
from deploy.services import SERVICES, service_classes
from shared.config import as_bool

# nameko is imported later (start-up); eventlet then announces its own deprecation,
# which tells an operator nothing.
warnings.filterwarnings("ignore", message=r"\s*Eventlet is deprecated")
warnings.filterwarnings("ignore", message="pkg_resources is deprecated")

CONFIG = ROOT / "deploy" / "nameko.yaml"


class Launcher:
    def __init__(self, args):
        self.args = args
        self.var = Path(args.var).resolve()
        for sub in ("log", "run"):
            (self.var / sub).mkdir(parents=True, exist_ok=True)
        self.stores: list[SupervisedStore] = []
        self.children: list[Child] = []
        self.stopping = False
        self.gateway_url = f"http://{args.host}:{args.port}"
        # A test run or the bench starts the launcher: if that process is killed, the platform goes with it.
        self.parent = os.getppid() if as_bool(os.environ.get("CIVICGRID_EXIT_WITH_PARENT") or "0") else None

    # -- start ---------------------------------------------------------------------
    def start(self) -> None:
        env = dict(os.environ)
        env.setdefault("AMQP_URI", "amqp://guest:guest@localhost:5672/")
        if not env.get("MONGO_URI"):
            self.stores = [SupervisedStore(store, self._prepare_served_by) for store in start_stores(env, self.var)]
        ensure_broker(env["AMQP_URI"])
        from deploy.prepare import PrepareFailed, prepare_broker, prepare_stores, retire_queues

        try:
            _, moved = prepare_broker(env)
            if moved:
                say(f"moved the queues of an earlier version to this version's: {', '.join(moved)}")
            retired = retire_queues(env)  # nothing older runs here
            if retired:
                say(f"deleted the queues no service consumes any more: {', '.join(retired)}")
            say(f"preparing {prepare_stores(env, retire=True)} collections and their indexes")
        except PrepareFailed as exc:
            raise LaunchError(str(exc)) from None
        keys = take_private_keys(env, self.var)
        add_common_settings(
            env,
            self.var,
            demo=self.args.demo,
            gateway_url=self.gateway_url,
            gateway_address=f"{self.args.host}:{self.args.port}",
        )
        self.env = env
        processes = [
            (name if self.args.replicas == 1 else f"{name}-{replica}", name)
            for name in SERVICES
            for replica in range(1, self.args.replicas + 1)
        ]
        for turn, (label, name) in enumerate([*processes, ("gateway", "gateway")]):
            argv = [sys.executable, "-m", "deploy.run", "--config", str(CONFIG), name]
            self.children.append(
                Child(label, argv, process_env(env, keys, name, turn), self.var / "log" / f"{label}.log", cwd=ROOT)
            )
        for child in self.children:
            child.start()
        self._write_status()
        ready = wait_until_ready(
            self.gateway_url,
            demo=self.args.demo,
            supervised=[*self.stores, *self.children],
            tick=self._restart_exited,
            stopping=lambda: self.stopping,
            logs=self.var / "log",
        )
        if ready:
            announce(self.var, env, self.gateway_url, [s.store for s in self.stores], demo=self.args.demo)

    def _prepare_served_by(self, store) -> None:
        """Make again the collections and indexes of the services a store that came back serves (it kept none if
        it held them in memory)."""
        from shared.mongo import prepare_databases

        served = [cls for cls in service_classes() if store_uris(self.env).get(cls.name) == store.uri]
        prepare_databases(self.env, served)

    def _write_status(self) -> None:
        write_status(self.var, self.env, self.gateway_url, [s.store for s in self.stores], self.children)

    # -- supervise -----------------------------------------------------------------
    def supervise(self) -> None:
        while not self.stopping:
            self._restart_exited()
            time.sleep(0.2)

    def _orphaned(self) -> bool:
        """Whether the process that started us with ``CIVICGRID_EXIT_WITH_PARENT`` is gone (we were handed on)."""
        if self.parent is not None and os.getppid() != self.parent:
            say(f"the process that started the platform (pid {self.parent}) is gone: stopping")
            self.stopping = True
        return self.stopping

    def _restart_exited(self) -> None:
        """Restart every store and process that exited — at start-up too (a busy store, a slow broker) — stores
        first: their services wait for them."""
        if self._orphaned():
            return
        changed = False
        for each in [*self.stores, *self.children]:
            changed = each.restart_if_exited(time.monotonic()) or changed
        if changed:
            self._write_status()

    def request_stop(self, *_args) -> None:
        self.stopping = True

    def shutdown(self) -> None:
        self.stopping = True
        say("stopping…")
        gateway = [c for c in self.children if c.name == "gateway"]
        services = [c for c in self.children if c.name != "gateway"]
        for group in (gateway, services):
            for child in group:
                child.terminate()
            # each finishes what it has in hand within its grace period (deploy/run.py), then is killed
            deadline = (
                time.monotonic()
                + float(getattr(self, "env", os.environ).get(SHUTDOWN_GRACE_SETTING) or SHUTDOWN_GRACE_SECONDS)
                + 5
            )
            for child in group:
                child.wait(deadline - time.monotonic())
        for store in self.stores:
            store.store.terminate()
        for store in self.stores:
            store.store.stop()
        remove_status(self.var)
        say("stopped")


def parse_args(argv=None):
    parser = argparse.ArgumentParser(prog="civicgrid-run", description=__doc__.splitlines()[0])
    parser.add_argument("--host", default=os.environ.get("GATEWAY_HOST", "127.0.0.1"))
    parser.add_argument("--port", type=int, default=int(os.environ.get("GATEWAY_PORT", "8000")))
    parser.add_argument(
        "--replicas",
        type=int,
        default=int(os.environ.get("REPLICAS", "1")),
        help="instances of each service (competing consumers)",
    )
    parser.add_argument(
        "--var", default=os.environ.get("CIVICGRID_VAR", str(ROOT / "var")), help="where data, logs and pid files go"
    )
    parser.add_argument(
        "--demo",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="load the demo district on first start (default: on; CIVICGRID_DEMO)",
    )
    args = parser.parse_args(argv)
    if args.demo is None:
        try:  # read as every other switch is (shared.config.as_bool), so "off" is off
            args.demo = as_bool(os.environ.get("CIVICGRID_DEMO", "").strip() or "1")
        except ValueError:
            parser.error(
                f"CIVICGRID_DEMO={os.environ['CIVICGRID_DEMO']!r} is neither on nor off "
                "(1/0, true/false, yes/no, on/off)"
            )
    return args


def main(argv=None) -> int:
    args = parse_args(argv)
    launcher = Launcher(args)
    signal.signal(signal.SIGINT, launcher.request_stop)
    signal.signal(signal.SIGTERM, launcher.request_stop)
    try:
        launcher.start()
        launcher.supervise()
    except LaunchError as exc:
        say(f"cannot start: {exc}")
        return 1
    finally:
        launcher.shutdown()
    return 0


if __name__ == "__main__":
    sys.exit(main())
