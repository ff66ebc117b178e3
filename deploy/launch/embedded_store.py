"""The embedded MongoDB-compatible store (SecantusDB) in a process of its own: the one way civicgrid starts one,
for `make run` (``deploy.launch.stores``) and for the tests (``tests/support/infra.py``) alike."""

import importlib.util
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from deploy.launch import LaunchError, say
from deploy.launch.processes import bound_to_launcher, port_open, tail

MEMORY = ":memory:"
ROOT = Path(__file__).resolve().parents[2]  # the checkout: ``deploy.launch.secantusd`` is imported from it


class EmbeddedStore:
    """One SecantusDB process on ``127.0.0.1:port``, its data in ``storage`` (a directory, or ``:memory:``).

    ``pid_file``: where its pid is kept, so that a store an earlier, uncleanly ended run left is stopped first.
    ``sync``: every commit synced to disk (``--sync-on-commit``). ``bound``: killed with the process that started it
    (``processes.bound_to_launcher``). ``standalone``: it says it is no replica set, as a standalone mongod (what the
    services must refuse). ``stock``: SecantusDB's own entry point (``secantusd-py``) as it is, rather than
    through ``deploy.launch.secantusd`` (for ``bench.overhead``'s comparison), which keeps no oplog unless
    ``keep_oplog`` (nothing of civicgrid's reads one: ``deploy/launch/secantusd.py``)."""

    def __init__(
        self,
        port: int,
        storage: str = MEMORY,
        *,
        log_file: Path,
        name: str = "store",
        pid_file: Path | None = None,
        sync: bool = False,
        standalone: bool = False,
        bound: bool = True,
        cwd: Path | None = None,
        stock: bool = False,
        keep_oplog: bool = False,
    ):
        self.port = port
        self.storage = storage
        self.name = name
        self.log_file = Path(log_file)
        self.pid_file = pid_file
        self.sync = sync
        self.standalone = standalone
        self.bound = bound
        self.cwd = cwd
        self.stock = stock
        self.keep_oplog = keep_oplog
        self.process: subprocess.Popen | None = None

    @property
    def uri(self) -> str:
        # retryWrites=false: SecantusDB 0.7 scans (and past 10,000 entries sorts) its whole
        # table of retryable-write records on every write, which made it the platform's
        # bottleneck (docs/benchmarks.md). Nothing depends on the driver's one retry: every
        # write is idempotent and a failed one is retried by the consumer or the client.
        return f"mongodb://127.0.0.1:{self.port}/?directConnection=true&retryWrites=false"

    def start(self, timeout: float = 60) -> None:
        self.spawn()
        self.wait_ready(timeout)

    def spawn(self) -> None:
        """Start the process (from the launcher's main thread: see ``bound_to_launcher``); ``wait_ready`` waits
        until it answers."""
        self._stop_stale()
        if port_open("127.0.0.1", self.port):
            raise LaunchError(
                f"port {self.port} is taken (a MongoDB or another civicgrid?). Set MONGO_URI to use "
                f"that server, or CIVICGRID_DB_PORT to give the embedded store another port."
            )
        if self.storage != MEMORY:
            Path(self.storage).mkdir(parents=True, exist_ok=True)
        argv = [
            *self._server(),
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
            "--storage-path",
            self.storage,
            "--log-level",
            "WARNING",
            *(["--sync-on-commit"] if self.sync else []),
            *(["--standalone"] if self.standalone else []),
        ]
        with open(self.log_file, "ab") as log:
            self.process = subprocess.Popen(
                bound_to_launcher(argv) if self.bound else argv,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                cwd=self.cwd,
                env={**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, (str(ROOT), os.getenv("PYTHONPATH"))))},
            )
        if self.pid_file is not None:
            self.pid_file.write_text(str(self.process.pid))

    def _server(self) -> list[str]:
        """The command that runs the server, before its flags."""
        if importlib.util.find_spec("secantus") is None:
            raise LaunchError("SecantusDB is not installed: run `make install` (it comes from requirements.lock)")
        if self.stock:
            return [sys.executable, "-m", "secantus"]
        return [sys.executable, "-m", "deploy.launch.secantusd", *(["--keep-oplog"] if self.keep_oplog else [])]

    def wait_ready(self, timeout: float = 60) -> None:
        from pymongo import MongoClient
        from pymongo.errors import PyMongoError

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise LaunchError(f"the store exited:\n{tail(self.log_file)}")
            try:
                client = MongoClient(self.uri, serverSelectionTimeoutMS=500)
                client.admin.command("ping")
                client.close()
                return
            except PyMongoError:
                time.sleep(0.2)
        raise LaunchError(f"the store did not answer within {timeout:.0f} s")

    def exited(self) -> int | None:
        """Its exit code once it has exited; None while it runs (or before it was started)."""
        return None if self.process is None else self.process.poll()

    def terminate(self) -> None:
        """Ask it to stop, without waiting: a launcher stops its stores together (each takes ~2 s to close)."""
        if self.process and self.process.poll() is None:
            self.process.terminate()

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
        if self.pid_file is not None:
            self.pid_file.unlink(missing_ok=True)

    def _stop_stale(self) -> None:
        """Stop a store an earlier, uncleanly ended run of ours left behind."""
        if self.pid_file is None:
            return
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
