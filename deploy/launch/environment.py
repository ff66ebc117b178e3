"""The environment `make run` gives its processes: the settings all share, the keys only one may hold, and what
each process has of its own (its health port, its first broker, its workers)."""

import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from deploy.launch.demo import demo_env
from deploy.launch.processes import free_port
from deploy.services import MAX_WORKERS
from services.notifications.secretbox import ensure_key_file
from shared.auth.keys import ensure_keypair

ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class PrivateKeys:
    """Key files that only one service is given: the token signing key (the directory's) and the key sealing
    departments' webhook secrets (notifications')."""

    signing: str | None
    webhook_secrets: str


def take_private_keys(env: dict, var: Path) -> PrivateKeys:
    """Take the private keys out of ``env`` (given, or made once under ``var/keys``), leaving the public one in."""
    signing = env.pop("AUTH_PRIVATE_KEY_FILE", None)
    if not env.get("AUTH_PUBLIC_KEY_FILE"):
        private, public = ensure_keypair(var / "keys")
        env["AUTH_PUBLIC_KEY_FILE"], signing = str(public), str(private)
    webhook_secrets = env.pop("WEBHOOK_SECRETS_KEY_FILE", None) or str(
        ensure_key_file(var / "keys" / "webhook_secrets.key")
    )
    return PrivateKeys(signing, webhook_secrets)


def add_common_settings(env: dict, var: Path, *, demo: bool, gateway_url: str, gateway_address: str) -> None:
    """What every process shares, added to ``env``."""
    if demo:
        env.update(demo_env(var))
    if not env.get("PROMETHEUS_MULTIPROC_DIR"):
        # Replicas of a service write their measurements here so one RPC answer sums them
        # (shared/metrics.py); emptied first, as prometheus-client asks, so counts start at zero.
        metrics_dir = var / "run" / "metrics"
        shutil.rmtree(metrics_dir, ignore_errors=True)
        metrics_dir.mkdir(parents=True)
        env["PROMETHEUS_MULTIPROC_DIR"] = str(metrics_dir)
    env.setdefault("PUBLIC_BASE_URL", gateway_url)  # links in notifications
    env.update(
        {
            "GATEWAY_ADDRESS": gateway_address,
            "PYTHONUNBUFFERED": "1",
            "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")])),
            # nameko 2.14 imports pkg_resources and eventlet announces its own deprecation
            # at every start: neither tells an operator anything.
            "PYTHONWARNINGS": "ignore:pkg_resources is deprecated:UserWarning,ignore:\nEventlet is deprecated",
        }
    )


def process_env(env: dict, keys: PrivateKeys, name: str, turn: int) -> dict:
    """The environment of the ``turn``-th process started, one of ``name`` (a service or ``gateway``)."""
    own = {**env, "HEALTH_PORT": str(free_port())}
    if name == "directory":  # the only process that can sign access tokens
        own["AUTH_PRIVATE_KEY_FILE"] = keys.signing or ""
    if name == "notifications":
        own["WEBHOOK_SECRETS_KEY_FILE"] = keys.webhook_secrets
    workers = max_workers(name, own)
    if workers:
        own["MAX_WORKERS"] = workers
    own["AMQP_URI"] = starting_with(own["AMQP_URI"], turn)
    return own


def max_workers(name: str, env: dict) -> str | None:
    """``MAX_WORKERS`` for the processes of ``name`` (a service or ``gateway``), where it is not the common one:
    ``<NAME>_MAX_WORKERS`` if set, else ``deploy.services.MAX_WORKERS``."""
    workers = env.get(f"{name.upper()}_MAX_WORKERS") or MAX_WORKERS.get(name)
    return str(workers) if workers else None


def starting_with(amqp_uri: str, turn: int) -> str:
    """``amqp_uri``'s brokers, the ``turn``-th first: each process connects first to a different node of a cluster,
    so connections spread over the nodes, and a node's loss moves a share of them, not all or none."""
    brokers = [uri for uri in amqp_uri.split(";") if uri.strip()]
    turn %= max(1, len(brokers))
    return ";".join(brokers[turn:] + brokers[:turn])
