"""nameko's AMQP extensions, made for a RabbitMQ cluster.

- One connection per process for everything it consumes (events, RPC requests, RPC
  replies), named after the process (``<service>@<host>:<pid>``) so RabbitMQ's tools
  show whose it is, and moving to the next broker of ``AMQP_URI`` when its node dies
  (kombu's failover form, ``amqp://…@n1//;amqp://…@n2//``).
- RPC requests wait in a quorum queue; replies in a classic exclusive one
  (``shared.topology`` says why).
- Whoever keeps state that a missed broadcast would leave stale (reference data) is
  told once consuming has started and again each time it resumes after a lost
  connection (``when_consuming``), so it can read a snapshot then: after its
  broadcast queues exist, so nothing published later can miss it.
- On a graceful stop the connection stays open until the container's workers are done, so the messages in hand
  are acknowledged after their commit rather than handed back to the broker (nameko closes it as soon as the last
  consumer is cancelled: every message in hand was redelivered, and counted towards its queue's delivery limit).
- What it is doing — started, consuming now, last progress of its loop — for the process's probes
  (``shared.probes``).
- Per message, no more than it needs: an RPC's reply is serialised once and not confirmed
  (``SerialisedOnceResponder``; nameko serialised it twice and waited for the broker's confirm), a call's signature
  checked once per shape (``SignatureCheckedOnce``),
  and a publish finds its pooled producer without building a kombu ``Connection`` first
  (``shared.nameko_patches``, applied when this module is imported).
"""

import contextlib
import logging
import os
import socket
import sys
import time
import uuid

import eventlet
import kombu.serialization
from kombu import Connection
from nameko.amqp.publish import Publisher
from nameko.constants import (
    AMQP_SSL_CONFIG_KEY,
    AMQP_URI_CONFIG_KEY,
    DEFAULT_HEARTBEAT,
    DEFAULT_SERIALIZER,
    DEFAULT_TRANSPORT_OPTIONS,
    HEARTBEAT_CONFIG_KEY,
    LOGIN_METHOD_CONFIG_KEY,
    SERIALIZER_CONFIG_KEY,
    TRANSPORT_OPTIONS_CONFIG_KEY,
)
from nameko.exceptions import UnserializableValueError, serialize
from nameko.messaging import QueueConsumer
from nameko.rpc import RPC_REPLY_QUEUE_TEMPLATE, ReplyListener, Responder, RpcConsumer, get_rpc_exchange
from nameko.rpc import Rpc as _NamekoRpc
from nameko.standalone.rpc import ClusterRpcProxy, SingleThreadedReplyListener

from shared import nameko_patches
from shared.faults import pause_if_armed
from shared.topology import declare_once, rpc_queue, transient_queue

nameko_patches.apply()  # every process that talks to the bus imports this module first

_log = logging.getLogger(__name__)


# How long a publish waits for the broker's confirm. Without a bound, a broker whose machine vanished (no reset, just
# silence) holds the publisher until TCP gives up, a quarter of an hour; what timed out is sent again (the outbox keeps
# it, a consumer requeues its message).
PUBLISH_TIMEOUT_SECONDS = 10


def publisher(amqp_uri: str, **options) -> Publisher:
    """nameko's ``Publisher`` with connection options of its own.

    nameko keeps them in one dict shared by every ``Publisher`` and writes each publish's ``use_confirms`` into it,
    while kombu's pooled connections keep a reference to that dict and read it when they reconnect: after a broker
    node's loss a connection of a confirming publisher could come back without confirms because an unconfirmed one
    (the live feed's) published last. Its publishes wait at most ``PUBLISH_TIMEOUT_SECONDS`` for a confirm."""
    made = Publisher(amqp_uri, timeout=PUBLISH_TIMEOUT_SECONDS, **options)
    made.transport_options = dict(DEFAULT_TRANSPORT_OPTIONS)
    return made


def connection_name(service: str) -> str:
    return f"{service}@{socket.gethostname()}:{os.getpid()}"


class ClusterQueueConsumer(QueueConsumer):
    """The process's consuming connection: failover across ``AMQP_URI``'s brokers, a name, reconnect callbacks."""

    def __init__(self):
        super().__init__()
        self._consuming = False  # has consumed once: a later on_consume_ready is a reconnection
        self._consuming_now = False
        self._workers_done = False
        self._progress_at: float | None = None  # monotonic time the consuming loop last went round or retried
        self._callbacks: list = []

    @property
    def connection(self):
        config = self.container.config
        options = dict(config.get(TRANSPORT_OPTIONS_CONFIG_KEY, DEFAULT_TRANSPORT_OPTIONS))
        options["client_properties"] = {"connection_name": connection_name(self.container.service_name)}
        return Connection(
            self.amqp_uri,
            transport_options=options,
            heartbeat=config.get(HEARTBEAT_CONFIG_KEY, DEFAULT_HEARTBEAT),
            ssl=config.get(AMQP_SSL_CONFIG_KEY),
            login_method=config.get(LOGIN_METHOD_CONFIG_KEY),
        )

    def state(self) -> dict:
        """What the probes ask: ``started`` (its loop was started), ``alive`` (that loop has not died),
        ``consuming`` (connected, every queue consumed), ``idle_seconds`` (since the loop last went round or
        retried a lost connection)."""
        started = self._gt is not None
        return {
            "started": started,
            "alive": started and not self._gt.dead,
            "consuming": self._consuming_now,
            "idle_seconds": None if self._progress_at is None else time.monotonic() - self._progress_at,
        }

    def start(self):
        self._progress_at = time.monotonic()
        super().start()

    @contextlib.contextmanager
    def consumer_context(self, **kwargs):
        # kombu leaves this context when the connection is lost (or consuming ends): no longer consuming until
        # on_consume_ready says so again
        try:
            with super().consumer_context(**kwargs) as context:
                yield context
        finally:
            self._consuming_now = False

    def on_connection_error(self, exc, interval):
        self._progress_at = time.monotonic()  # retrying is progress: a broker down is not a stuck process
        super().on_connection_error(exc, interval)

    def on_iteration(self):
        # nameko's, except that the loop (and the connection) ends only once the container's workers are done
        # (stop() below): their messages are acknowledged on this connection.
        self._progress_at = time.monotonic()
        self._cancel_consumers_if_requested()
        if not self._consumers and self._workers_done:
            self.should_stop = True

    def stop(self):
        # The container stops its shared extensions after its workers have finished.
        self._workers_done = True
        super().stop()

    def on_connection_revived(self):
        # Connected, not yet consuming: a test holds a process here to widen the gap in which broadcasts miss it.
        pause_if_armed(self.container.service_name, "before_consuming_again")

    def when_consuming(self, callback) -> None:
        """Call ``callback()`` (in its own greenthread) once consuming has started — at once if it has — and again
        each time it resumes after a lost connection."""
        self._callbacks.append(callback)
        if self._consuming:
            self.container.spawn_managed_thread(callback, identifier="bus-consuming")

    def on_consume_ready(self, connection, channel, consumers, **kwargs):
        # kombu calls this once every queue is declared and consumed (again), so what a callback reads from now on
        # cannot miss a message that a queue would have caught.
        super().on_consume_ready(connection, channel, consumers, **kwargs)
        self._consuming_now = True
        self._progress_at = time.monotonic()
        if self._consuming:
            _log.warning(
                "%s: consuming again after a lost connection (now %s)", self.container.service_name, connection.as_uri()
            )
        self._consuming = True
        for callback in self._callbacks:
            self.container.spawn_managed_thread(callback, identifier="bus-consuming")


def queue_consumer_of(container) -> ClusterQueueConsumer | None:
    """The container's consuming connection, if it consumes anything."""
    return next((e for e in container.subextensions if isinstance(e, ClusterQueueConsumer)), None)


class SerialisedOnceResponder(Responder):
    """nameko's reply, serialised once and published without a confirm. nameko serialises the result to check that
    it can (a result it cannot would kill the container), then the reply again to publish it; here the whole reply
    is serialised once and those bytes are published. A result that cannot be serialised still reaches the caller as
    nameko's ``UnserializableValueError``, as before."""

    def send_response(self, result, exc_info):
        error = None if exc_info is None else serialize(exc_info[1])
        # the reply is encoded as the request was
        serializer = kombu.serialization.registry.type_to_name[self.message.properties["content_type"]]
        try:
            content_type, encoding, body = kombu.serialization.dumps({"result": result, "error": error}, serializer)
        except Exception:  # noqa: BLE001 - nameko's own check: whatever the serializer raises
            exc_info = sys.exc_info()
            error = serialize(UnserializableValueError(result))  # guaranteed to serialise
            result = None
            content_type, encoding, body = kombu.serialization.dumps({"result": None, "error": error}, serializer)
        # Unconfirmed: a reply lost on its way is a caller that times out whether or not a confirm was awaited (the
        # reply queue is the caller's own, gone with it); a confirm cost a round trip and its frame per call.
        publisher(self.amqp_uri, use_confirms=False, ssl=self.ssl, login_method=self.login_method).publish(
            body,
            content_type=content_type,
            content_encoding=encoding,
            exchange=self.exchange,
            routing_key=self.message.properties["reply_to"],
            correlation_id=self.message.properties.get("correlation_id"),
        )
        return result, exc_info


class QuorumRpcConsumer(RpcConsumer):
    queue_consumer = ClusterQueueConsumer()

    def _reply(self, message, result, exc_info):
        # nameko's RpcConsumer.handle_result, with the responder above
        config = self.container.config
        responder = SerialisedOnceResponder(
            config[AMQP_URI_CONFIG_KEY],
            get_rpc_exchange(config),
            config.get(SERIALIZER_CONFIG_KEY, DEFAULT_SERIALIZER),
            message,
            ssl=config.get(AMQP_SSL_CONFIG_KEY),
            login_method=config.get(LOGIN_METHOD_CONFIG_KEY),
        )
        result, exc_info = responder.send_response(result, exc_info)
        self.queue_consumer.ack_message(message)
        return result, exc_info

    def handle_result(self, message, result, exc_info):
        # nameko lets an error sending the reply escape the worker, which kills the whole container (seen when a
        # broker node was lost as a reply went out): the work is done, the caller times out and may call again.
        try:
            return self._reply(message, result, exc_info)
        except Exception as exc:  # noqa: BLE001 - whatever the broker did, this process must go on serving
            _log.warning(
                "%s: the reply to %s could not be sent (%s); its caller will time out",
                self.container.service_name,
                message.delivery_info.get("routing_key"),
                exc,
            )
            self.queue_consumer.ack_message(message)
            return result, exc_info

    def setup(self):
        super().setup()
        config = self.container.config
        self.queue = rpc_queue(self.container.service_name, config)
        declare_once(config["AMQP_URI"], [self.queue.exchange, self.queue])  # a mismatch stops the start, named


class SignatureCheckedOnce:
    """An entrypoint's signature checked once per shape of call. nameko checks every call against the method with
    ``inspect.getcallargs``; whether a call fits depends only on how many positional arguments it has and the names
    of its keyword ones, so each shape that fits is checked once (one that does not is refused every time)."""

    def check_signature(self, args, kwargs):
        shape = (len(args), tuple(sorted(kwargs)))
        fitting = self.__dict__.setdefault("_fitting_shapes", set())
        if shape not in fitting:
            super().check_signature(args, kwargs)
            fitting.add(shape)


class Rpc(SignatureCheckedOnce, _NamekoRpc):
    rpc_consumer = QuorumRpcConsumer()


def _listen_for_replies(listener) -> None:
    """nameko's ``ReplyListener.setup`` with a transient reply queue: its own is durable, and a durable classic queue
    whose node is lost cannot be declared again until that node returns."""
    key = str(uuid.uuid4())
    listener.routing_key = key
    listener.queue = transient_queue(
        RPC_REPLY_QUEUE_TEMPLATE.format(listener.container.service_name, key),
        get_rpc_exchange(listener.container.config),
        key,
    )
    listener.queue_consumer.register_provider(listener)


class TransientReplyListener(ReplyListener):
    """RPC replies for a service's proxies, on the process's own connection."""

    queue_consumer = ClusterQueueConsumer()

    def setup(self):
        _listen_for_replies(self)


class _StandaloneReplyListener(SingleThreadedReplyListener):
    def setup(self):
        _listen_for_replies(self)


def standalone_rpc(config, timeout: float, **options) -> ClusterRpcProxy:
    """nameko's ``ClusterRpcProxy`` (``options``: its own, e.g. ``context_data``) with a reply queue that a cluster
    node's loss cannot strand: what every caller outside a service uses (tools, tests, the bench)."""
    return ClusterRpcProxy(config, timeout=timeout, reply_listener_cls=_StandaloneReplyListener, **options)


def bounded_standalone_call(config, timeout: float, call):
    """``call(proxy)`` on a fresh standalone proxy, given up after twice ``timeout``: nameko's standalone proxy
    can wait on its socket past its own timeout (a broker node lost mid-call)."""
    with eventlet.Timeout(timeout * 2), standalone_rpc(config, timeout) as proxy:
        return call(proxy)
