"""The one change civicgrid makes to nameko's own code, and why (the rest of ``shared.bus`` subclasses).

nameko's ``Publisher.publish`` finds its pooled producer through ``nameko.amqp.publish.get_producer``,
which builds a new kombu ``Connection`` for every publish — parsing the broker's URI and
resolving its transport — only to use it as the key of kombu's pool of connections: on the
gateway that was 4% of its CPU, one for every RPC request and every reply of every service.
``apply()`` swaps in a ``get_producer`` that builds that key once per set of connection options
(URI, confirms, TLS, login method, transport options) and keeps it; everything else is
kombu's: the same pool (the key compares equal to the one nameko would build), the same
connections, acquired and released around each publish as before.

The key keeps its own copy of the transport options: nameko writes each publish's
``use_confirms`` into the dict it is given, and pooled connections read their options from their
key when they reconnect (``shared.bus.publisher`` says how that once lost a publisher its
confirms), so a key's options are frozen as they were when it was made.

It is patched and not subclassed because ``Publisher.publish`` calls the module's function by
name; a subclass would copy its forty lines. ``tests/unit/test_nameko_patches.py`` checks that
the patch is in place, reuses one key per set of options and none across them.
"""

from contextlib import contextmanager

from kombu import Connection
from kombu.pools import producers
from nameko.amqp import publish as _nameko_publish
from nameko.constants import DEFAULT_TRANSPORT_OPTIONS

_original_get_producer = _nameko_publish.get_producer
_keys: dict[tuple, Connection] = {}


def pool_key(amqp_uri, confirms=True, ssl=None, login_method=None, transport_options=None) -> Connection:
    """The kombu ``Connection`` that names the pool of these options: made once, never connected."""
    options = dict(DEFAULT_TRANSPORT_OPTIONS if transport_options is None else transport_options)
    options["confirm_publish"] = confirms
    wanted = (amqp_uri, confirms, repr(ssl), login_method, repr(sorted(options.items())))
    key = _keys.get(wanted)
    if key is None:
        key = _keys[wanted] = Connection(amqp_uri, transport_options=options, ssl=ssl, login_method=login_method)
    return key


@contextmanager
def get_producer(amqp_uri, confirms=True, ssl=None, login_method=None, transport_options=None):
    """nameko's ``get_producer``, with the pool's key made once per set of options."""
    if transport_options is not None:
        transport_options["confirm_publish"] = confirms  # as nameko's does: its callers may read it back
    with producers[pool_key(amqp_uri, confirms, ssl, login_method, transport_options)].acquire(block=True) as producer:
        yield producer


def apply() -> None:
    """Put ``get_producer`` in nameko's place (once; importing ``shared.bus`` does it)."""
    _nameko_publish.get_producer = get_producer


def applied() -> bool:
    return _nameko_publish.get_producer is get_producer
