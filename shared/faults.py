"""Fault injection for crash tests: kill this process at a named point, or hold it there a while, once.

Off unless ``CIVICGRID_FAULTS_DIR`` is set. A test arms a point by creating the file
``<dir>/<service>.<point>``; the process removes the file and exits at once (no
clean-up, like ``kill -9``), so a restarted process runs normally — or, at a pause
point, waits as many seconds as the file says before it goes on.
"""

import logging
import os
import time

_log = logging.getLogger(__name__)
_FAULTS_DIR = os.environ.get("CIVICGRID_FAULTS_DIR")


def crash_if_armed(service: str, point: str) -> None:
    if not _FAULTS_DIR:
        return
    marker = os.path.join(_FAULTS_DIR, f"{service}.{point}")
    try:
        os.unlink(marker)
    except FileNotFoundError:
        return
    _log.error("fault injection: %s crashing at %s", service, point)
    os._exit(70)


def pause_if_armed(service: str, point: str) -> None:
    if not _FAULTS_DIR:
        return
    marker = os.path.join(_FAULTS_DIR, f"{service}.{point}")
    try:
        with open(marker) as handle:
            seconds = float(handle.read().strip() or 5)
        os.unlink(marker)
    except (FileNotFoundError, ValueError):
        return
    _log.warning("fault injection: %s holding at %s for %.1fs", service, point, seconds)
    time.sleep(seconds)
