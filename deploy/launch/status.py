"""What runs where: ``var/run/status.json`` for the tools and tests that find the processes, and the lines `make run`
says once the platform is ready."""

import json
import os
from pathlib import Path

from deploy.launch import say
from deploy.launch.demo import demo_lines
from deploy.launch.embedded_store import EmbeddedStore
from deploy.launch.stores import store_uris
from deploy.launch.supervision import Child


def write_status(var: Path, env: dict, gateway_url: str, stores: list[EmbeddedStore], children: list[Child]) -> None:
    status = {
        "gateway": gateway_url,
        "mongo_uri": env["MONGO_URI"],
        "mongo_uris": store_uris(env),
        "store_pids": {s.name: s.process.pid for s in stores if s.process},
        "amqp_uri": env["AMQP_URI"],
        "launcher_pid": os.getpid(),
        "pids": {c.name: c.pid for c in children},
        # each process's /livez, /readyz and /metrics (shared/probes.py), on 127.0.0.1
        "health_ports": {c.name: c.health_port for c in children},
    }
    tmp = var / "run" / "status.json.tmp"
    tmp.write_text(json.dumps(status, indent=2))
    tmp.replace(var / "run" / "status.json")


def remove_status(var: Path) -> None:
    (var / "run" / "status.json").unlink(missing_ok=True)


def announce(var: Path, env: dict, gateway_url: str, stores: list[EmbeddedStore], *, demo: bool) -> None:
    store = ", ".join(s.uri for s in stores) if stores else "MONGO_URI (external)"
    lines = [
        "civicgrid is running",
        f"  web app    {gateway_url}/",
        f"  API        {gateway_url}/api/v1/",
        f"  API docs   {gateway_url}/docs   (OpenAPI: {gateway_url}/openapi.json)",
        f"  health     {gateway_url}/healthz   {gateway_url}/readyz",
        f"  store      {store}",
        f"  bus        {env['AMQP_URI']}",
        f"  logs       {var / 'log'}/",
        f"  probes     each process's /livez /readyz /metrics: health_ports in {var / 'run' / 'status.json'}",
    ]
    if demo:
        lines += demo_lines(env, gateway_url, var)
    lines.append("  Ctrl-C stops everything.")
    for line in lines:
        say(line)
