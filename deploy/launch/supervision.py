"""What `make run` supervises — each service process, the gateway and each embedded store — and the one restart
policy they all follow."""

import signal
import subprocess
import time
from abc import ABC, abstractmethod
from dataclasses import dataclass
from pathlib import Path

from deploy.launch import LaunchError, say
from deploy.launch.embedded_store import EmbeddedStore
from deploy.launch.processes import bound_to_launcher

START_UP_RESTARTS = 3  # a process that exits this often before the platform is ready has a real problem


@dataclass(frozen=True)
class RestartPolicy:
    """Restart after a delay that doubles with each exit in a row, from half a second up to half a minute; a process
    that ran a minute before it exited starts the count again. A single crash costs a second at most, while one that
    cannot start (a port taken, a broken store, a bad setting) is tried ever more slowly instead of in a tight loop
    that would load the machine and bury the cause in the log."""

    first_delay: float = 0.5
    longest_delay: float = 30.0
    settled_after: float = 60.0

    def exits_in_a_row(self, ran: float, before: int) -> int:
        return 0 if ran > self.settled_after else before + 1

    def delay(self, exits_in_a_row: int) -> float:
        return min(self.longest_delay, self.first_delay * 2**exits_in_a_row)


RESTARTS = RestartPolicy()


class Supervised(ABC):
    """A process the launcher restarts under ``RESTARTS`` when it exits. Subclasses say how to start it."""

    name: str
    log_path: Path

    def __init__(self):
        self.started_at = 0.0
        self.restarts = 0  # exits in a row, as the policy counts them
        self.restart_at: float | None = None

    @abstractmethod
    def start(self) -> None: ...

    @abstractmethod
    def exited(self) -> int | None: ...

    @property
    @abstractmethod
    def pid(self) -> int | None: ...

    def restart_if_exited(self, now: float, policy: RestartPolicy = RESTARTS) -> bool:
        """Schedule a restart of a process that exited, and do the one that is due; whether it was restarted."""
        code = self.exited()
        if code is not None and self.restart_at is None:
            self.restarts = policy.exits_in_a_row(now - self.started_at, self.restarts)
            delay = policy.delay(self.restarts)
            say(f"{self.name} exited with {code}; restarting it in {delay:.1f}s (log: {self.log_path})")
            self.restart_at = now + delay
        if self.restart_at is None or now < self.restart_at:
            return False
        self.restart_at = None
        self.start()
        return True


class Child(Supervised):
    """A service process or the gateway (``python -m deploy.run``)."""

    def __init__(self, name: str, argv: list[str], env: dict, log_path: Path, cwd: Path):
        super().__init__()
        self.name = name
        self.argv = argv
        self.env = env
        self.log_path = log_path
        self.cwd = cwd
        self.process: subprocess.Popen | None = None

    @property
    def health_port(self) -> int:
        return int(self.env["HEALTH_PORT"])

    def start(self) -> None:
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(
                bound_to_launcher(self.argv),
                env=self.env,
                cwd=self.cwd,
                stdout=log,
                stderr=subprocess.STDOUT,
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


class SupervisedStore(Supervised):
    """An embedded store: started again on its port and data, then ``when_back`` (its services' collections and
    indexes made again where it kept none). One that does not answer is stopped, and so tried again by the policy."""

    def __init__(self, store: EmbeddedStore, when_back):
        super().__init__()
        self.store = store
        self.name = store.name
        self.log_path = store.log_file
        self.when_back = when_back
        self.started_at = time.monotonic()  # started by deploy.launch.stores

    def start(self) -> None:
        self.started_at = time.monotonic()
        try:
            self.store.start()
        except LaunchError as exc:
            say(f"{self.name} did not come back ({exc})")
            self.store.stop()
            return
        self.when_back(self.store)

    @property
    def pid(self) -> int | None:
        return self.store.process.pid if self.store.process else None

    def exited(self) -> int | None:
        return self.store.exited()
