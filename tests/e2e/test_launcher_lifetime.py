"""The platform's processes live no longer than the launcher, and — when it is asked to (``CIVICGRID_EXIT_WITH_PARENT``,
as the test suite and the bench ask) — the launcher no longer than whoever started it: a killed test run or a
launcher killed leaves no services and stores behind to load the machine."""

import json
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tests.support.infra import amqp_base_uri, unique_name, wait_for
from tests.support.platform import ROOT, running_platform

pytestmark = pytest.mark.timeout(300)


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"  # a zombie has ended; only its parent has not asked how


def _platform_pids(status: dict) -> list[int]:
    return [*status["pids"].values(), *status["store_pids"].values()]


def test_a_launcher_killed_takes_every_service_and_store_with_it(rabbit_admin, tmp_path_factory):
    with running_platform(rabbit_admin, tmp_path_factory.mktemp("orphans"), "cgl") as platform:
        status = platform.status()
        pids = _platform_pids(status)
        assert len(pids) == 13 and all(map(_alive, pids))
        os.kill(status["launcher_pid"], signal.SIGKILL)
        wait_for(
            lambda: not any(map(_alive, pids)),
            timeout=60,
            message=f"every process gone: {[p for p in pids if _alive(p)]}",
        )


def test_a_test_run_killed_takes_the_platform_it_started_with_it(rabbit_admin, tmp_path):
    vhost = unique_name("cgpvh")
    rabbit_admin.create_vhost(vhost)
    owner_script = textwrap.dedent(f"""
        import sys, time
        sys.path.insert(0, {str(ROOT)!r})
        from tests.support.platform import Platform
        platform = Platform({str(tmp_path)!r}, {amqp_base_uri() + vhost!r}, "{unique_name("cgp")}_")
        platform.start(timeout=240)
        print("started", flush=True)
        time.sleep(600)
    """)
    owner = subprocess.Popen([sys.executable, "-c", owner_script], cwd=ROOT, stdout=subprocess.PIPE, text=True)
    try:
        assert owner.stdout.readline().strip() == "started", (tmp_path / "launcher.log").read_text(errors="replace")
        status = json.loads((tmp_path / "var" / "run" / "status.json").read_text())
        pids = [status["launcher_pid"], *_platform_pids(status)]
        assert all(map(_alive, pids))
        owner.kill()
        owner.wait()
        wait_for(
            lambda: not any(map(_alive, pids)),
            timeout=90,
            message=f"every process gone: {[p for p in pids if _alive(p)]}",
        )
        assert "is gone: stopping" in (tmp_path / "launcher.log").read_text(errors="replace")
    finally:
        if owner.poll() is None:
            owner.kill()
        rabbit_admin.delete_vhost(vhost)
