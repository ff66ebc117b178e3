"""Starting the launcher's children: bound to it, on ports of their own, their logs at hand."""

import functools
import shutil
import socket
import subprocess
import sys
from pathlib import Path

from deploy.launch import say


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


_GIVEN: set[int] = set()  # ports this launcher handed out: its children bind them only later


def free_port() -> int:
    """A port free now and never handed out before by this launcher. The kernel may give a port it just gave
    again once the socket that asked is closed, and the child meant to bind the first has not yet: two stores got
    the same port (seen in CI), the second failed to start, and two services shared the first one's store."""
    while True:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        if port not in _GIVEN:
            _GIVEN.add(port)
            return port


def port_open(host: str, port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex((host, port)) == 0


def tail(path: Path, lines: int = 15) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""
