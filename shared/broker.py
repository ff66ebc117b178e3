"""A short-lived connection to the broker, for what a process does now and then (declaring queues, browsing dead
letters, a readiness check).

Not from kombu's connection pool, which nameko's ``get_connection`` uses: once its broker node is lost, a pooled
connection can stay broken and be handed out again and again (seen on a cluster: every declaration after a node's
loss failed with "'NoneType' object has no attribute 'channel'"). A fresh connection tries each broker of
``AMQP_URI`` in turn (kombu's failover form) until one answers.
"""

from contextlib import contextmanager

from kombu import Connection


def broker_count(amqp_uri: str) -> int:
    return len([uri for uri in amqp_uri.split(";") if uri.strip()])


@contextmanager
def connect(amqp_uri: str, *, rounds: int = 2, connect_timeout: float = 5, **transport_options):
    """A connection to the first broker of ``amqp_uri`` that answers, trying them all ``rounds`` times; closed
    after. ``transport_options``: py-amqp's (``confirm_publish=True`` for publisher confirms)."""
    connection = Connection(amqp_uri, connect_timeout=connect_timeout, transport_options=transport_options)
    try:
        connection.ensure_connection(
            max_retries=rounds * broker_count(amqp_uri), interval_start=0, interval_step=1, interval_max=2
        )
        yield connection
    finally:
        connection.release()
