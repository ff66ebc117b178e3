"""The deploy step: prepare the broker and the databases for this version, before its services start.

Usage: ``python -m deploy.prepare [--retire]`` (reads ``AMQP_URI``, ``MONGO_URI``
and the other settings from the environment, as the services do). ``make run`` runs it;
docker-compose runs it as the one-shot ``prepare`` container. Run it once per deploy,
not per replica:

1. the broker: every exchange and queue of every service is declared (quorum queues:
   ``shared.topology``), and a queue an earlier version declared otherwise — a classic
   queue — is moved to this version's without losing a message (``deploy.queue_upgrade``;
   the services must be stopped for that, and the step says so if they are not);
2. the databases: every service's store must be a replica set; its collections and
   indexes are created. Creating is additive, so an older replica keeps working beside
   a newer one during a rolling update.

``--retire`` (once the update is done and no older replica runs) also drops the indexes
an earlier version made and this one no longer asks by, and deletes the event queues an
earlier version consumed and this one no longer does (``RETIRED_EVENTS``), which would
otherwise keep every such event for nobody. ``--retire-indexes`` is its older name.

Exits 0 when done, 1 with a message saying what to do otherwise.
"""

import argparse
import logging
import os
import sys

from amqp.exceptions import AMQPError, PreconditionFailed
from kombu.exceptions import KombuError
from pymongo.errors import PyMongoError

from deploy.queue_upgrade import QueueInUse, upgrade_queues
from deploy.services import service_classes
from shared.config import ConfigError
from shared.mongo import StoreNotReady, prepare_databases
from shared.topology import delete_queues, retired_queues, service_entities

DEFAULTS = {"AMQP_URI": "amqp://guest:guest@localhost:5672/"}


class PrepareFailed(Exception):
    pass


def prepare_broker(config) -> tuple[int, list[str]]:
    """Declare every service's queues, moving those an earlier version declared otherwise; returns (how many
    entities, which queues were moved)."""
    entities = service_entities(service_classes(), config)
    try:
        moved = upgrade_queues(config["AMQP_URI"], entities)
    except QueueInUse as exc:
        raise PrepareFailed(str(exc)) from None
    except PreconditionFailed as exc:  # an exchange of another type
        raise PrepareFailed(
            f"the broker refused a declaration ({exc.reply_text}): delete that exchange "
            "(RabbitMQ's management UI), then run this again"
        ) from None
    except (AMQPError, KombuError, OSError) as exc:
        raise PrepareFailed(
            f"cannot use the broker named in AMQP_URI ({type(exc).__name__}: {exc}): check its "
            "hosts, vhost, user and password, and that a node is up; then run this again"
        ) from None
    return len(entities), moved


def retire_queues(config) -> list[str]:
    """Delete the event queues no service of this version consumes any more; returns those deleted."""
    try:
        return delete_queues(config["AMQP_URI"], retired_queues(service_classes()))
    except (AMQPError, KombuError, OSError) as exc:
        raise PrepareFailed(f"cannot retire the queues no service consumes ({type(exc).__name__}: {exc})") from None


def prepare_stores(config, *, retire: bool) -> int:
    try:
        return prepare_databases(config, service_classes(), retire=retire)
    except StoreNotReady as exc:
        raise PrepareFailed(str(exc)) from None
    except PyMongoError as exc:
        raise PrepareFailed(
            f"cannot use the store named in MONGO_URI ({type(exc).__name__}: {exc}): check its hosts, "
            "replicaSet, user and password, and that the set has a primary; then run this "
            "again"
        ) from None


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m deploy.prepare", description=__doc__.splitlines()[0])
    parser.add_argument(
        "--retire",
        "--retire-indexes",
        dest="retire",
        action="store_true",
        help="also drop the indexes and delete the queues this version no longer uses (once no older replica runs)",
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(message)s")
    config = {**DEFAULTS, **{k: v for k, v in os.environ.items() if v != ""}}
    try:
        count, moved = prepare_broker(config)
        print(f"broker: {count} exchanges and queues declared" + (f"; moved {', '.join(moved)}" if moved else ""))
        if args.retire:
            retired = retire_queues(config)
            print(f"broker: retired {', '.join(retired) if retired else 'no queue'}")
        print(f"databases: {prepare_stores(config, retire=args.retire)} collections prepared")
    except (PrepareFailed, ConfigError) as exc:
        print(f"prepare: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
