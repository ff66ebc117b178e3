"""Processes, ports and epmd names on this machine, for servers the tests start beside others."""

import contextlib
import os
import random
import signal
import socket
import struct
import subprocess
import time
from pathlib import Path

# The machine's own RabbitMQ (AMQP, management, epmd, distribution) and the ports rabbitmqctl's
# own Erlang node takes (35672-35682): a test server must never take one of them.
RESERVED_PORTS = frozenset({4369, 5672, 15672, 25672, *range(35672, 35683)})
# Below Linux's ephemeral range (32768-60999), so a client's outgoing connection cannot be
# holding the port when a killed node starts again on it.
PORT_RANGE = (20000, 32700)


def port_is_free(port: int) -> bool:
    """Nothing listens on ``port`` on any address (an unfinished connection also counts)."""
    for family, address in ((socket.AF_INET, "0.0.0.0"), (socket.AF_INET6, "::")):
        try:
            sock = socket.socket(family, socket.SOCK_STREAM)
        except OSError:
            continue  # no IPv6 here
        with sock:
            try:
                sock.bind((address, port))
            except OSError:
                return False
    return True


def pick_ports(count: int, avoid: set[int] | frozenset[int] = frozenset()) -> list[int]:
    """``count`` distinct ports, each checked free just now, outside the ephemeral range."""
    chosen: list[int] = []
    candidates = list(range(*PORT_RANGE))
    random.shuffle(candidates)
    for port in candidates:
        if port in RESERVED_PORTS or port in avoid or port in chosen:
            continue
        if port_is_free(port):
            chosen.append(port)
            if len(chosen) == count:
                return chosen
    raise RuntimeError(f"no {count} free ports in {PORT_RANGE}")


def process_start_time(pid: int) -> int | None:
    """The kernel's start time of ``pid`` (clock ticks after boot); None if it is gone."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # The command name may hold spaces and parentheses; the fields after it do not.
    fields = stat.rsplit(")", 1)[1].split()
    if fields[0] == "Z":
        return None
    return int(fields[19])


def alive(pid: int) -> bool:
    """``pid`` runs (a zombie waiting for a parent that does not reap it does not)."""
    return process_start_time(pid) is not None


def environ(pid: int) -> dict[str, str]:
    try:
        raw = Path(f"/proc/{pid}/environ").read_bytes()
    except OSError:
        return {}
    pairs = (item.split(b"=", 1) for item in raw.split(b"\0") if b"=" in item)
    return {key.decode(errors="replace"): value.decode(errors="replace") for key, value in pairs}


def processes_named(comm: str) -> list[int]:
    pids = []
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        with contextlib.suppress(OSError):
            if Path(entry.path, "comm").read_text().strip() == comm:
                pids.append(int(entry.name))
    return pids


def kill_and_wait(pid: int, timeout: float = 20.0) -> None:
    """SIGKILL ``pid`` and return once it is gone (or a zombie); raise if it outlives ``timeout``."""
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)
    deadline = time.monotonic() + timeout
    while alive(pid):
        if time.monotonic() > deadline:
            raise RuntimeError(f"process {pid} still runs {timeout}s after SIGKILL")
        time.sleep(0.05)


def spawn(argv: list[str], env: dict[str, str], **kwargs) -> subprocess.Popen:
    return subprocess.Popen(argv, env=env, stdin=subprocess.DEVNULL, text=True, **kwargs)


def finish(process: subprocess.Popen, timeout: float) -> subprocess.CompletedProcess:
    """Wait for ``process``; past ``timeout`` it gets SIGTERM first, since ``su`` forwards only
    that to the command it runs in a session of its own (SIGKILL would leave the command behind)."""
    try:
        stdout, stderr = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.terminate()
        try:
            process.communicate(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.communicate()
        raise
    return subprocess.CompletedProcess(process.args, process.returncode, stdout, stderr)


def run(argv: list[str], env: dict[str, str], timeout: float, **kwargs) -> subprocess.CompletedProcess:
    return finish(spawn(argv, env, **kwargs), timeout)


def epmd_names(port: int = 4369, timeout: float = 5.0) -> dict[str, int]:
    """The Erlang node names epmd on this machine has registered, with their distribution ports."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
            sock.sendall(struct.pack(">HB", 1, 110))  # NAMES_REQ
            data = b""
            while chunk := sock.recv(4096):
                data += chunk
    except OSError:
        return {}  # no epmd: no names
    names = {}
    for line in data[4:].decode(errors="replace").splitlines():
        parts = line.split()  # "name rq1 at port 25001"
        if len(parts) == 5 and parts[0] == "name":
            names[parts[1]] = int(parts[4])
    return names
