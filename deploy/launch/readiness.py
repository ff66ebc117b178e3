"""Waiting until the platform `make run` started is ready: the gateway's ``/readyz`` answers 200 (and, in demo mode,
says every service holds the demo data), while exited processes are restarted meanwhile."""

import json
import time
import urllib.error
import urllib.request
from pathlib import Path

from deploy.launch import LaunchError
from deploy.launch.processes import tail
from deploy.launch.supervision import START_UP_RESTARTS, Supervised


def wait_until_ready(
    gateway_url: str, *, demo: bool, supervised: list[Supervised], tick, stopping, logs: Path, timeout: float = 180
) -> bool:
    """Whether the platform became ready (False: asked to stop meanwhile). ``tick()`` restarts what exited; a
    process that keeps exiting before the platform is ready stops the start."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and not stopping():
        for each in supervised:
            if each.exited() is not None and each.restarts >= START_UP_RESTARTS:
                raise LaunchError(f"{each.name} keeps exiting at start-up:\n{tail(each.log_path)}")
        tick()
        try:
            with urllib.request.urlopen(f"{gateway_url}/readyz", timeout=3) as answer:
                ready = json.loads(answer.read())
            if answer.status == 200 and (ready["reference_complete"] or not demo):
                return True
        except (urllib.error.URLError, OSError, ValueError, KeyError):
            pass
        time.sleep(0.3)
    if not stopping():
        raise LaunchError(f"the platform was not ready within {timeout:.0f} s; logs in {logs}")
    return False
