"""Where every service gets "now" from.

Production uses the system clock. Tests (and demos) set ``CLOCK_FILE`` to a file
holding an offset in seconds; every process on the machine then shares one
controllable clock, so a week of deadlines can pass in seconds across real
services without anyone sleeping.
"""

import os
from datetime import UTC, datetime, timedelta

from nameko.extensions import DependencyProvider

from shared.config import setting


def utcnow() -> datetime:
    return datetime.now(UTC)


class SystemClock:
    def now(self) -> datetime:
        return utcnow()


class FileClock:
    """System time plus the offset written in ``path`` (re-read when the file changes)."""

    def __init__(self, path: str):
        self.path = path
        self._stamp: tuple[int, int] | None = None
        self._offset = timedelta(0)

    def _refresh(self) -> None:
        try:
            info = os.stat(self.path)
        except FileNotFoundError:
            self._stamp, self._offset = None, timedelta(0)
            return
        stamp = (info.st_ino, info.st_mtime_ns)
        if stamp != self._stamp:
            with open(self.path, encoding="utf-8") as handle:
                text = handle.read().strip()
            self._offset = timedelta(seconds=float(text or 0))
            self._stamp = stamp

    def now(self) -> datetime:
        self._refresh()
        return utcnow() + self._offset


def write_clock_offset(path: str, seconds: float) -> None:
    """Move a FileClock: every process reading ``path`` sees the new time at once."""
    tmp = f"{path}.tmp"
    with open(tmp, "w", encoding="utf-8") as handle:
        handle.write(repr(float(seconds)))
    os.replace(tmp, path)


def clock_from_config(config) -> SystemClock | FileClock:
    path = setting(config, "CLOCK_FILE", default=None)
    return FileClock(path) if path else SystemClock()


class Clock(DependencyProvider):
    """Injects the process clock: ``self.clock.now()`` is an aware UTC datetime."""

    def setup(self):
        self.clock = clock_from_config(self.container.config)

    def get_dependency(self, worker_ctx):
        return self.clock
