"""The bus `make run` needs: RabbitMQ answering at ``AMQP_URI``, the local one started if it is down."""

import shutil
import subprocess
import time
from pathlib import Path
from urllib.parse import urlparse

from deploy.launch import LaunchError, say


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
    server = shutil.which("rabbitmq-server") or (
        "/usr/sbin/rabbitmq-server" if Path("/usr/sbin/rabbitmq-server").exists() else None
    )
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
    subprocess.run(
        ["sh", "-c", f"ulimit -n $(ulimit -Hn) 2>/dev/null; ulimit -n 65536 2>/dev/null; {start}"],
        check=False,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if reachable():
            return
        time.sleep(1)
    raise LaunchError("RabbitMQ was started but did not answer within 90 s; see /var/log/rabbitmq/")
