"""The platform as `make run` starts it, in a subprocess, isolated for one test run."""

import json
import os
import signal
import subprocess
import sys
import time
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import requests

from shared.clock import write_clock_offset
from tests.support.infra import amqp_base_uri, free_port, unique_name, wait_for

ROOT = Path(__file__).resolve().parents[2]
DEMO_PASSWORD = "e2e-demo-password"


class Platform:
    def __init__(self, workdir: Path, amqp_uri: str, db_prefix: str, extra_env: dict | None = None, replicas: int = 1):
        self.workdir = Path(workdir)
        self.replicas = replicas
        self.clock_file = self.workdir / "clock"
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.faults = self.workdir / "faults"
        self.faults.mkdir(parents=True, exist_ok=True)
        self.env = {
            **os.environ,
            "AMQP_URI": amqp_uri,
            "MONGO_URI": "",
            "CIVICGRID_DB_PORT": "0",
            "CIVICGRID_DB_PATH": ":memory:",
            "DB_PREFIX": db_prefix,
            "CIVICGRID_FAULTS_DIR": str(self.faults),
            "OUTBOX_SCAN_SECONDS": "0.5",
            "OUTBOX_SCAN_GRACE_SECONDS": "2",
            "EVENT_RETRY_BASE_SECONDS": "0.2",
            "DEMO_PASSWORD": DEMO_PASSWORD,
            "CIVICGRID_DEMO": "1",
            "AUTH_PUBLIC_KEY_FILE": "",
            "AUTH_PRIVATE_KEY_FILE": "",
            "CLOCK_FILE": str(self.clock_file),
            "WEBHOOK_ALLOWED_HOSTS": "127.0.0.1",  # the tests' receivers listen on loopback
            "CIVICGRID_EXIT_WITH_PARENT": "1",  # a killed test run (or bench) leaves no platform behind
            **(extra_env or {}),
        }
        self.process: subprocess.Popen | None = None
        self.session = requests.Session()
        self._sessions: dict[str, requests.Session] = {}

    def start(self, timeout: float = 120) -> None:
        self.log = open(self.workdir / "launcher.log", "ab")  # noqa: SIM115 - closed in stop()
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "deploy.launcher",
                "--port",
                str(self.port),
                "--var",
                str(self.workdir / "var"),
                "--replicas",
                str(self.replicas),
            ],
            cwd=ROOT,
            env=self.env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"launcher exited:\n{self.launcher_output()}")
            if "civicgrid is running" in self.launcher_output():
                return
            time.sleep(0.2)
        raise RuntimeError(f"platform not ready:\n{self.launcher_output()}")

    def launcher_output(self) -> str:
        return (self.workdir / "launcher.log").read_text(errors="replace")

    def status(self) -> dict:
        return json.loads((self.workdir / "var" / "run" / "status.json").read_text())

    def pid(self, name: str) -> int:
        return self.status()["pids"][name]

    def arm_fault(self, service: str, point: str) -> None:
        (self.faults / f"{service}.{point}").touch()

    def wait_restarted(self, name: str, old_pid: int, timeout: float = 60) -> int:
        return wait_for(
            lambda: self.pid(name) != old_pid and self.pid(name), timeout=timeout, message=f"{name} restarted"
        )

    def wait_ready(self, timeout: float = 60) -> None:
        wait_for(lambda: self.get("/readyz").status_code == 200, timeout=timeout, interval=0.2, message="ready")

    def set_time(self, moment: datetime) -> None:
        """Make every process's clock read ``moment`` now (and run on from there)."""
        write_clock_offset(str(self.clock_file), (moment - datetime.now(UTC)).total_seconds())
        self._sessions.clear()  # tokens expire on the platform's clock: sign in again at the new time

    def sign_in(self, username: str, password: str = DEMO_PASSWORD) -> requests.Response:
        return self.session.post(
            f"{self.url}/api/v1/auth/token", json={"username": username, "password": password}, timeout=30
        )

    def as_user(self, username: str) -> "UserClient":
        """A client signed in as ``username`` (a demo person; the password is the test run's)."""
        if username not in self._sessions:
            answer = self.sign_in(username)
            assert answer.status_code == 200, answer.text
            session = requests.Session()
            session.headers["Authorization"] = f"Bearer {answer.json()['access_token']}"
            self._sessions[username] = session
        return UserClient(self.url, self._sessions[username])

    def get(self, path: str, **kwargs) -> requests.Response:
        return self.session.get(self.url + path, timeout=15, **kwargs)

    def post(self, path: str, body=None, **kwargs) -> requests.Response:
        return self.session.post(self.url + path, json=body, timeout=15, **kwargs)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.process.kill()
        self.log.close()


class UserClient:
    """HTTP calls to the platform as one signed-in person."""

    def __init__(self, url: str, session: requests.Session):
        self.url = url
        self.session = session

    def request(self, method: str, path: str, body=None, **kwargs) -> requests.Response:
        if body is not None:
            kwargs["json"] = body
        return self.session.request(method, self.url + path, timeout=60, **kwargs)

    def get(self, path: str, **kwargs) -> requests.Response:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, body=None, **kwargs) -> requests.Response:
        return self.request("POST", path, body, **kwargs)

    def put(self, path: str, body=None, **kwargs) -> requests.Response:
        return self.request("PUT", path, body, **kwargs)


@contextmanager
def platform_databases(platform: Platform):
    """``database(service)``: direct read access to a running platform's databases (each service's on its own
    store), for what a test must verify at the source."""
    from tests.support.infra import test_client

    uris, clients = platform.status()["mongo_uris"], {}

    def database(service):
        if uris[service] not in clients:
            clients[uris[service]] = test_client(uris[service])
        return clients[uris[service]][f"{platform.env['DB_PREFIX']}{service}"]

    try:
        yield database
    finally:
        for client in clients.values():
            client.close()


@contextmanager
def running_platform(
    rabbit_admin, workdir: Path, name: str, extra_env: dict | None = None, *, start_timeout: float = 120, **options
):
    """A platform on its own vhost and databases (named after ``name``), stopped and its vhost deleted after."""
    vhost = unique_name(f"{name}vh")
    rabbit_admin.create_vhost(vhost)
    running = Platform(workdir, f"{amqp_base_uri()}{vhost}", unique_name(name) + "_", extra_env=extra_env, **options)
    try:
        running.start(timeout=start_timeout)
        yield running
    finally:
        running.stop()
        rabbit_admin.delete_vhost(vhost)
