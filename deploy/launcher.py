"""`make run`: the whole platform on one machine, stopped cleanly by Ctrl-C.

1. the stores: the embedded MongoDB-compatible server (SecantusDB), one process per
   service (data under ``var/db/<service>``, reopened on restart), unless
   ``MONGO_URI`` names a server;
2. the bus: RabbitMQ at ``AMQP_URI``, started if it is installed locally and down;
3. the deploy step (``deploy.prepare``): every queue declared before anything
   publishes, queues of an earlier version moved to this version's, and every
   service's collections and indexes created before any service starts (and indexes
   an earlier version left dropped: nothing older runs here);
4. the signing keys of access tokens (``var/keys``, made once) unless configured;
   only the directory gets the private key; the key sealing departments' webhook
   secrets (``var/keys/webhook_secrets.key``, made once) goes to notifications only;
5. each service (``python -m deploy.run``, ``--replicas`` instances each) and the gateway, each with its probes
   and metrics on a port of its own (``HEALTH_PORT``, recorded in ``var/run/status.json``);
   in demo mode (the default) the directory loads the demo district on first start
   and every demo person's password is ``DEMO_PASSWORD`` (made once, in
   ``var/demo-password``, when not given);
6. waits until ``/readyz`` answers (and, in demo mode, until every service holds the
   demo data), prints what is where and the demo sign-ins, then supervises: a
   process that dies is restarted (with back-off), so killing one loses nothing.
   Its processes are killed with it (even when it is killed), and with
   ``CIVICGRID_EXIT_WITH_PARENT`` it stops when whoever started it is gone.

The e2e tests start the platform through this same module. Settings come from the
environment (see docs/configuration.md); flags override the few that matter here.
"""

import argparse
import functools
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import warnings
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlparse

from deploy.probes import SHUTDOWN_GRACE_SECONDS, SHUTDOWN_GRACE_SETTING
from deploy.services import GATEWAY, MAX_WORKERS, SERVICES, service_classes
from services.notifications.secretbox import ensure_key_file
from shared.auth.keys import ensure_keypair
from shared.config import as_bool

# nameko is imported later (start-up); eventlet then announces its own deprecation,
# which tells an operator nothing.
warnings.filterwarnings("ignore", message=r"\s*Eventlet is deprecated")
warnings.filterwarnings("ignore", message="pkg_resources is deprecated")

ROOT = Path(__file__).resolve().parent.parent
CONFIG = ROOT / "deploy" / "nameko.yaml"


def say(message: str) -> None:
    print(f"[civicgrid] {message}", flush=True)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def port_open(host: str, port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex((host, port)) == 0


def _tail(path: Path, lines: int = 15) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


class LaunchError(Exception):
    pass


def bound_to_launcher(argv: list[str]) -> list[str]:
    """``argv`` run so that the process is killed when the launcher dies, even by SIGKILL: a launcher killed never
    leaves services and stores running unsupervised. util-linux's ``setpriv --pdeathsig`` (Linux; elsewhere the
    command runs as it is). The signal follows the *thread* that started the child, and the kernel sends it again
    each time the child passes to another of the dying launcher's threads: a second SIGTERM made ``nameko run``'s
    stop fail half-way and the process hang (seen in CI; ``deploy.run`` now ignores it, but a store need not), so
    it is SIGKILL, which the platform is built to survive (acks after commit, stores that sync every commit). The
    launcher starts children from its main thread only."""
    prefix = _pdeathsig_prefix()
    return [*prefix, *argv]


@functools.cache
def _pdeathsig_prefix() -> tuple[str, ...]:
    """``setpriv --pdeathsig KILL --`` where it works (util-linux 2.33 and later), else nothing: an older setpriv
    would make every child exit at once with "unrecognized option"."""
    setpriv = shutil.which("setpriv") if sys.platform.startswith("linux") else None
    if setpriv is None:
        return ()
    prefix = (setpriv, "--pdeathsig", "KILL", "--")
    try:
        works = subprocess.run([*prefix, "true"], capture_output=True, timeout=10).returncode == 0
    except (OSError, subprocess.SubprocessError):
        works = False
    if not works:
        say("setpriv cannot set a parent-death signal here: services and stores outlive a launcher that is killed")
    return prefix if works else ()


def max_workers(name: str, env: dict) -> str | None:
    """``MAX_WORKERS`` for the processes of ``name`` (a service or ``gateway``), where it is not the common one:
    ``<NAME>_MAX_WORKERS`` if set, else ``deploy.services.MAX_WORKERS``."""
    workers = env.get(f"{name.upper()}_MAX_WORKERS") or MAX_WORKERS.get(name)
    return str(workers) if workers else None


def single_store_data(storage: str) -> bool:
    """Whether ``storage`` holds one store's data (WiredTiger's files at its top), not a directory per service."""
    return storage != ":memory:" and (Path(storage) / "WiredTiger").exists()


def starting_with(amqp_uri: str, turn: int) -> str:
    """``amqp_uri``'s brokers, the ``turn``-th first: each process connects first to a different node of a cluster,
    so connections spread over the nodes, and a node's loss moves a share of them, not all or none."""
    brokers = [uri for uri in amqp_uri.split(";") if uri.strip()]
    turn %= max(1, len(brokers))
    return ";".join(brokers[turn:] + brokers[:turn])


START_UP_RESTARTS = 3  # a process that exits this often before the platform is ready has a real problem


class EmbeddedStore:
    """SecantusDB in its own process: the embedded default when MONGO_URI is unset."""

    def __init__(self, var: Path, port: int, storage: str, name: str = "store", sync: bool = True):
        self.var = var
        self.port = port
        self.storage = storage
        self.name = name
        # Without --sync-on-commit SecantusDB keeps its log's last moments in the process: a store killed then loses
        # writes it had acknowledged (a report answered 202, a case whose events went out). A throw-away store
        # (:memory:) loses everything on a restart anyway.
        self.sync = sync and storage != ":memory:"
        self.process: subprocess.Popen | None = None
        self.pid_file = var / "run" / f"{name}.pid"
        self.log_file = var / "log" / f"{name}.log"
        self.restart_at = 0.0  # monotonic time before which a failed restart is not tried again

    @property
    def uri(self) -> str:
        # retryWrites=false: SecantusDB 0.7 scans (and past 10,000 entries sorts) its whole
        # table of retryable-write records on every write, which made it the platform's
        # bottleneck (docs/benchmarks.md). Nothing depends on the driver's one retry: every
        # write is idempotent and a failed one is retried by the consumer or the client.
        return f"mongodb://127.0.0.1:{self.port}/?directConnection=true&retryWrites=false"

    def _stop_stale(self) -> None:
        """Stop a store an earlier, uncleanly ended run of ours left behind."""
        try:
            pid = int(self.pid_file.read_text())
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
        except (OSError, ValueError):
            return
        if b"secantusd" in cmdline:
            say(f"stopping the store left running by an earlier run (pid {pid})")
            os.kill(pid, signal.SIGTERM)
            for _ in range(50):
                if not Path(f"/proc/{pid}").exists():
                    break
                time.sleep(0.2)

    def start(self) -> None:
        self.spawn()
        self.wait_ready()

    def spawn(self) -> None:
        """Start the process (from the launcher's main thread: see ``bound_to_launcher``); ``wait_ready`` waits
        until it answers."""
        self._stop_stale()
        if port_open("127.0.0.1", self.port):
            raise LaunchError(
                f"port {self.port} is taken (a MongoDB or another civicgrid?). Set MONGO_URI to use "
                f"that server, or CIVICGRID_DB_PORT to give the embedded store another port."
            )
        binary = shutil.which("secantusd-py", path=str(Path(sys.executable).parent)) or shutil.which("secantusd-py")
        if binary is None:
            raise LaunchError("secantusd-py is not installed: run `make install` (it comes from requirements.lock)")
        storage = self.storage
        if storage != ":memory:":
            Path(storage).mkdir(parents=True, exist_ok=True)
        with open(self.log_file, "ab") as log:
            self.process = subprocess.Popen(
                bound_to_launcher([binary, "--host", "127.0.0.1", "--port", str(self.port), "--storage-path", storage,
                                   "--log-level", "WARNING", *(["--sync-on-commit"] if self.sync else [])]),
                stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
            )
        self.pid_file.write_text(str(self.process.pid))

    def wait_ready(self, timeout: float = 60) -> None:
        from pymongo import MongoClient
        from pymongo.errors import PyMongoError

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise LaunchError(f"the store exited:\n{_tail(self.log_file)}")
            try:
                client = MongoClient(self.uri, serverSelectionTimeoutMS=500)
                client.admin.command("ping")
                client.close()
                return
            except PyMongoError:
                time.sleep(0.2)
        raise LaunchError("the store did not answer within a minute")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
        self.pid_file.unlink(missing_ok=True)


def ensure_broker(amqp_uri: str) -> None:
    """Make sure RabbitMQ answers (one of the brokers, where ``AMQP_URI`` names several); start the local one if it
    is the only one named, installed and down."""
    from shared.broker import connect

    brokers = [uri for uri in amqp_uri.split(";") if uri.strip()]

    def reachable() -> bool:
        try:
            with connect(amqp_uri, rounds=1, connect_timeout=2):
                pass
            return True
        except Exception:
            return False

    if reachable():
        return
    host = urlparse(brokers[0]).hostname or "localhost"
    server = shutil.which("rabbitmq-server") or ("/usr/sbin/rabbitmq-server" if Path("/usr/sbin/rabbitmq-server").exists() else None)
    if len(brokers) > 1:
        raise LaunchError(f"none of the {len(brokers)} brokers named in AMQP_URI answers; is the cluster up?")
    if host not in {"localhost", "127.0.0.1", "::1"} or server is None:
        raise LaunchError(
            f"RabbitMQ is not reachable at {amqp_uri}.\n"
            "  On Debian/Ubuntu: sudo apt-get install -y rabbitmq-server && sudo rabbitmq-server -detached\n"
            "  Or point AMQP_URI at a running broker (amqp://user:password@host:5672/vhost)."
        )
    say("RabbitMQ is down; starting the local one")
    # Through its init script where there is one: `rabbitmq-server -detached` changes user through su, which drops
    # the open-files limit to 1024, too few for a platform's quorum queues (deploy/machine.sh says the same).
    init = "/etc/init.d/rabbitmq-server"
    start = f"{init} start" if Path(init).exists() else f"{server} -detached"
    subprocess.run(["sh", "-c", f"ulimit -n $(ulimit -Hn) 2>/dev/null; ulimit -n 65536 2>/dev/null; {start}"],
                   check=False, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if reachable():
            return
        time.sleep(1)
    raise LaunchError("RabbitMQ was started but did not answer within 90 s; see /var/log/rabbitmq/")


DEMO_SIGN_INS = (
    ("admin", "administrator 系统管理员"),
    ("supervisor", "supervisor 监督/督办"),
    ("operator1", "command-centre operator 指挥中心派遣员"),
    ("head-sanitation", "department head 部门负责人 (环卫所)"),
    ("handler-sanitation-1", "department handler 处置人员 (环卫所)"),
    ("officer-610102001001001", "grid officer 网格员 (grid 610102001001001)"),
    ("leader-610102001001", "grid leader 网格长 (community 610102001001)"),
)


def demo_password(var: Path) -> str:
    """The demo password: given, or made once and kept in ``var/demo-password``."""
    return _demo_secret(var / "demo-password", os.environ.get("DEMO_PASSWORD"), lambda: secrets.token_urlsafe(9))


def demo_open311_key(var: Path) -> str:
    """The demo app's Open311 API key: given, or made once and kept in ``var/demo-open311-key``."""
    from services.directory.apikeys import make_key

    return _demo_secret(var / "demo-open311-key", os.environ.get("DEMO_OPEN311_KEY"), make_key)


def _demo_secret(path: Path, given: str | None, make) -> str:
    if given:
        return given
    if not path.exists():
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(make())
    return path.read_text().strip()


class Child:
    """One supervised process."""

    def __init__(self, name: str, argv: list[str], env: dict, log_path: Path):
        self.name = name
        self.argv = argv
        self.env = env
        self.log_path = log_path
        self.process: subprocess.Popen | None = None
        self.started_at = 0.0
        self.restarts = 0
        self.restart_at: float | None = None

    @property
    def health_port(self) -> int:
        return int(self.env["HEALTH_PORT"])

    def start(self) -> None:
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(
                bound_to_launcher(self.argv), env=self.env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self.started_at = time.monotonic()

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process else None

    def exited(self) -> int | None:
        return None if self.process is None else self.process.poll()

    def terminate(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)

    def wait(self, timeout: float) -> None:
        if self.process is None:
            return
        try:
            self.process.wait(timeout=max(timeout, 0.1))
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


class Launcher:
    def __init__(self, args):
        self.args = args
        self.var = Path(args.var).resolve()
        for sub in ("log", "run"):
            (self.var / sub).mkdir(parents=True, exist_ok=True)
        self.stores: list[EmbeddedStore] = []
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
            self._start_stores(env)
        ensure_broker(env["AMQP_URI"])
        from deploy.prepare import PrepareFailed, prepare_broker, prepare_stores

        try:
            _, moved = prepare_broker(env)
            if moved:
                say(f"moved the queues of an earlier version to this version's: {', '.join(moved)}")
            say(f"preparing {prepare_stores(env, retire=True)} collections and their indexes")
        except PrepareFailed as exc:
            raise LaunchError(str(exc)) from None
        self.private_key_file = env.pop("AUTH_PRIVATE_KEY_FILE", None)
        if not env.get("AUTH_PUBLIC_KEY_FILE"):
            private, public = ensure_keypair(self.var / "keys")
            env["AUTH_PUBLIC_KEY_FILE"], self.private_key_file = str(public), str(private)
        # the key sealing departments' webhook secrets: the notifications service's alone
        self.webhook_key_file = env.pop("WEBHOOK_SECRETS_KEY_FILE", None) or str(
            ensure_key_file(self.var / "keys" / "webhook_secrets.key"))
        if self.args.demo:
            env.update({"DEMO_MODE": "true", "DEMO_PASSWORD": demo_password(self.var),
                        "DEMO_OPEN311_KEY": demo_open311_key(self.var)})
        if not env.get("PROMETHEUS_MULTIPROC_DIR"):
            # Replicas of a service write their measurements here so one RPC answer sums them
            # (shared/metrics.py); emptied first, as prometheus-client asks, so counts start at zero.
            metrics_dir = self.var / "run" / "metrics"
            shutil.rmtree(metrics_dir, ignore_errors=True)
            metrics_dir.mkdir(parents=True)
            env["PROMETHEUS_MULTIPROC_DIR"] = str(metrics_dir)
        env.setdefault("PUBLIC_BASE_URL", self.gateway_url)  # links in notifications
        env.update(
            {
                "GATEWAY_ADDRESS": f"{self.args.host}:{self.args.port}",
                "PYTHONUNBUFFERED": "1",
                "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")])),
                # nameko 2.14 imports pkg_resources and eventlet announces its own deprecation
                # at every start: neither tells an operator anything.
                "PYTHONWARNINGS": "ignore:pkg_resources is deprecated:UserWarning,ignore:\nEventlet is deprecated",
            }
        )
        self.env = env
        for name, path in SERVICES.items():
            for replica in range(1, self.args.replicas + 1):
                label = name if self.args.replicas == 1 else f"{name}-{replica}"
                self._add_child(label, path, name)
        self._add_child("gateway", GATEWAY, "gateway")
        for child in self.children:
            child.start()
        self._write_status()
        self._wait_ready()

    def _add_child(self, label: str, path: str, name: str) -> None:
        argv = [sys.executable, "-m", "deploy.run", "--config", str(CONFIG), name]
        env = {**self.env, "HEALTH_PORT": str(free_port())}
        if path == SERVICES["directory"]:  # the only process that can sign access tokens
            env = {**env, "AUTH_PRIVATE_KEY_FILE": self.private_key_file or ""}
        if path == SERVICES["notifications"]:
            env = {**env, "WEBHOOK_SECRETS_KEY_FILE": self.webhook_key_file}
        workers = max_workers(name, env)
        if workers:
            env = {**env, "MAX_WORKERS": workers}
        env = {**env, "AMQP_URI": starting_with(env["AMQP_URI"], len(self.children))}
        self.children.append(Child(label, argv, env, self.var / "log" / f"{label}.log"))

    def _wait_ready(self, timeout: float = 180) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and not self.stopping:
            for child in self.children:
                if child.exited() is not None and child.restarts >= START_UP_RESTARTS:
                    raise LaunchError(f"{child.name} keeps exiting at start-up:\n{_tail(child.log_path)}")
            self._restart_exited()
            try:
                with urllib.request.urlopen(f"{self.gateway_url}/readyz", timeout=3) as answer:
                    ready = json.loads(answer.read())
                if answer.status == 200 and (ready["reference_complete"] or not self.args.demo):
                    self._announce()
                    return
            except (urllib.error.URLError, OSError, ValueError, KeyError):
                pass
            time.sleep(0.3)
        if not self.stopping:
            raise LaunchError(f"the platform was not ready within {timeout:.0f} s; logs in {self.var / 'log'}")

    def _start_stores(self, env: dict) -> None:
        """The embedded store: one per service (the default), or one for all (``CIVICGRID_DB_STORES=one``).
        SecantusDB is one Python process on one core: one per service spreads the store's work over the machine's
        cores, and gives each service its own server, as in a deployment. A data directory an earlier ``one``
        layout left is kept in that layout."""
        port = int(env.get("CIVICGRID_DB_PORT") or 27017)
        storage = env.get("CIVICGRID_DB_PATH") or str(self.var / "db")
        mode = env.get("CIVICGRID_DB_STORES") or ("one" if single_store_data(storage) else "per-service")
        if mode not in ("one", "per-service"):
            raise LaunchError(f"CIVICGRID_DB_STORES={mode!r}: one or per-service")
        if mode == "one" and not env.get("CIVICGRID_DB_STORES"):
            say(f"{storage} holds the data of one store for all services: keeping that layout "
                f"(CIVICGRID_DB_STORES=one; docs/configuration.md)")
        try:
            sync = as_bool(env.get("CIVICGRID_DB_SYNC") or "1")
        except ValueError:
            raise LaunchError(f"CIVICGRID_DB_SYNC={env['CIVICGRID_DB_SYNC']!r}: 1 or 0") from None
        if mode == "one":
            self.stores = [EmbeddedStore(self.var, port or free_port(), storage, sync=sync)]
        else:
            def place(name):
                return storage if storage == ":memory:" else str(Path(storage) / name)
            self.stores = [EmbeddedStore(self.var, (port + i) if port else free_port(), place(name), f"store-{name}",
                                         sync=sync)
                           for i, name in enumerate(SERVICES)]
        for store in self.stores:
            say(f"starting the embedded store (SecantusDB) {store.name} on port {store.port}, data in {store.storage}")
        # started one after the other from this thread, then waited for together: each takes a second or two to
        # open its data
        for store in self.stores:
            store.spawn()
        with ThreadPoolExecutor(len(self.stores)) as pool:
            for ready in [pool.submit(store.wait_ready) for store in self.stores]:
                ready.result()
        env["MONGO_URI"] = self.stores[0].uri
        if mode == "per-service":
            for name, store in zip(SERVICES, self.stores, strict=True):
                env[f"{name.upper()}_MONGO_URI"] = store.uri

    def store_uris(self) -> dict[str, str]:
        """Each service's store, as the services find it (``shared.config.mongo_target``)."""
        return {name: self.env.get(f"{name.upper()}_MONGO_URI") or self.env["MONGO_URI"] for name in SERVICES}

    def _announce(self) -> None:
        store = ", ".join(s.uri for s in self.stores) if self.stores else "MONGO_URI (external)"
        lines = [
            "civicgrid is running",
            f"  web app    {self.gateway_url}/",
            f"  API        {self.gateway_url}/api/v1/",
            f"  API docs   {self.gateway_url}/docs   (OpenAPI: {self.gateway_url}/openapi.json)",
            f"  health     {self.gateway_url}/healthz   {self.gateway_url}/readyz",
            f"  store      {store}",
            f"  bus        {self.env['AMQP_URI']}",
            f"  logs       {self.var / 'log'}/",
            f"  probes     each process's /livez /readyz /metrics: health_ports in {self.var / 'run' / 'status.json'}",
        ]
        if self.args.demo:
            password = self.env["DEMO_PASSWORD"]
            lines.append(f"  demo mode: every demo person's password is  {password}")
            lines += [f"    {username:<26} {role}" for username, role in DEMO_SIGN_INS]
            lines.append("    (and officer-<grid code>, leader-<community code>, handler-<department>-1..3, "
                         "head-<department>, operator1..6)")
            lines.append(f"  Open311    {self.gateway_url}/open311/v2/discovery.json   demo api_key "
                         f"{self.env['DEMO_OPEN311_KEY']}  (in {self.var / 'demo-open311-key'})")
        lines.append("  Ctrl-C stops everything.")
        for line in lines:
            say(line)

    def _write_status(self) -> None:
        status = {
            "gateway": self.gateway_url,
            "mongo_uri": self.env["MONGO_URI"],
            "mongo_uris": self.store_uris(),
            "store_pids": {s.name: s.process.pid for s in self.stores if s.process},
            "amqp_uri": self.env["AMQP_URI"],
            "launcher_pid": os.getpid(),
            "pids": {c.name: c.pid for c in self.children},
            # each process's /livez, /readyz and /metrics (shared/probes.py), on 127.0.0.1
            "health_ports": {c.name: c.health_port for c in self.children},
        }
        tmp = self.var / "run" / "status.json.tmp"
        tmp.write_text(json.dumps(status, indent=2))
        tmp.replace(self.var / "run" / "status.json")

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
        """Restart, with back-off, every process that exited — at start-up too (a busy store, a slow broker)."""
        if self._orphaned():
            return
        now = time.monotonic()
        changed = self._restart_exited_stores(now)
        for child in self.children:
            code = child.exited()
            if code is not None and child.restart_at is None:
                ran = now - child.started_at
                child.restarts = 0 if ran > 60 else child.restarts + 1
                delay = min(30.0, 0.5 * 2 ** child.restarts)
                say(f"{child.name} exited with {code}; restarting in {delay:.1f}s (log: {child.log_path})")
                child.restart_at = now + delay
            if child.restart_at is not None and now >= child.restart_at:
                child.restart_at = None
                child.start()
                changed = True
        if changed:
            self._write_status()

    def _restart_exited_stores(self, now: float) -> bool:
        """An embedded store that died is started again on its port and data (its services retry meanwhile), and
        its services' collections and indexes are made again where it kept none (``:memory:``)."""
        restarted = False
        for store in self.stores:
            if self.stopping or store.process is None or store.process.poll() is None:
                continue
            if now < store.restart_at:
                continue
            say(f"{store.name} exited with {store.process.returncode}; restarting it (log: {store.log_file})")
            try:
                store.start()
            except LaunchError as exc:
                store.restart_at = now + 5.0
                say(f"{store.name} did not come back ({exc}); trying again in 5 s")
                continue
            from shared.mongo import prepare_databases

            served = [cls for cls in service_classes() if self.store_uris().get(cls.name) == store.uri]
            prepare_databases(self.env, served)
            restarted = True
        return restarted

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
            deadline = time.monotonic() + float(getattr(self, "env", os.environ).get(SHUTDOWN_GRACE_SETTING) or SHUTDOWN_GRACE_SECONDS) + 5
            for child in group:
                child.wait(deadline - time.monotonic())
        for store in self.stores:
            store.stop()
        (self.var / "run" / "status.json").unlink(missing_ok=True)
        say("stopped")


def parse_args(argv=None):
    parser = argparse.ArgumentParser(prog="civicgrid-run", description=__doc__.splitlines()[0])
    parser.add_argument("--host", default=os.environ.get("GATEWAY_HOST", "127.0.0.1"))
    parser.add_argument("--port", type=int, default=int(os.environ.get("GATEWAY_PORT", "8000")))
    parser.add_argument("--replicas", type=int, default=int(os.environ.get("REPLICAS", "1")),
                        help="instances of each service (competing consumers)")
    parser.add_argument("--var", default=os.environ.get("CIVICGRID_VAR", str(ROOT / "var")),
                        help="where data, logs and pid files go")
    parser.add_argument("--demo", action=argparse.BooleanOptionalAction, default=None,
                        help="load the demo district on first start (default: on; CIVICGRID_DEMO)")
    args = parser.parse_args(argv)
    if args.demo is None:
        try:  # read as every other switch is (shared.config.as_bool), so "off" is off
            args.demo = as_bool(os.environ.get("CIVICGRID_DEMO", "").strip() or "1")
        except ValueError:
            parser.error(f"CIVICGRID_DEMO={os.environ['CIVICGRID_DEMO']!r} is neither on nor off "
                         "(1/0, true/false, yes/no, on/off)")
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
