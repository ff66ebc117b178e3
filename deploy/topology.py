"""Declare every queue of every service on the broker (the deploy step before start-up).

Usage: ``python -m deploy.topology`` (reads ``AMQP_URI``).
"""

import os

from deploy.services import service_classes
from shared.topology import declare_services


def main() -> None:
    amqp_uri = os.environ.get("AMQP_URI", "amqp://guest:guest@localhost:5672/")
    count = declare_services(amqp_uri, service_classes())
    print(f"declared {count} exchanges and queues")


if __name__ == "__main__":
    main()
