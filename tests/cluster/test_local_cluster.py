"""The local three-node cluster is a real one: a quorum queue outlives the loss of its leader."""

import contextlib
import time

import pytest
import requests
from amqp.exceptions import ConnectionForced
from kombu import Connection, Consumer, Queue

from tests.support.infra import unique_name, wait_for

pytestmark = pytest.mark.cluster

MESSAGES = 200


def test_three_nodes_form_one_cluster(rabbit_cluster):
    names = {node.name for node in rabbit_cluster.nodes}
    assert len(names) == 3
    assert set(rabbit_cluster.cluster_status()["running_nodes"]) == names
    reported = rabbit_cluster.admin().cluster_nodes()
    assert {n["name"] for n in reported if n["running"]} == names
    assert len({node.pid for node in rabbit_cluster.nodes}) == 3


def test_quorum_queue_keeps_every_message_when_its_leader_dies(rabbit_cluster, cluster_vhost):
    cluster, vhost = rabbit_cluster, cluster_vhost
    names = {node.name for node in cluster.nodes}
    uri = cluster.amqp_uri(vhost)
    queue = Queue("orders", routing_key="orders", durable=True, queue_arguments={"x-queue-type": "quorum"})

    with Connection(uri, transport_options={"confirm_publish": True}) as connection:
        channel = connection.default_channel
        queue(channel).declare()
        producer = connection.Producer(channel)
        for n in range(MESSAGES):
            producer.publish({"n": n}, routing_key="orders", serializer="json", delivery_mode=2)
        assert queue(channel).queue_declare(passive=True).message_count == MESSAGES

    assert set(cluster.admin().queue(vhost, "orders")["members"]) == names
    leader = wait_for(lambda: _leader(cluster, vhost), message="the queue's leader")
    # The leader is placed on the node the declaring client reached: the failover URI's first.
    # Losing it makes the consumer below start on a dead address and have to move on.
    assert leader is cluster.nodes[0]

    killed = time.monotonic()
    cluster.kill(leader)
    new_leader = wait_for(
        lambda: _leader(cluster, vhost, other_than=leader), timeout=30, interval=0.2, message="a new leader"
    )
    elected = time.monotonic() - killed
    assert new_leader.running and new_leader is not leader
    assert elected < 20

    name = unique_name("cluster-consumer")
    options = {"client_properties": {"connection_name": name}}
    with Connection(uri, connect_timeout=5, transport_options=options) as connection:
        connection.ensure_connection(max_retries=6, interval_start=0.2, interval_step=0.5)
        received = _consume(connection, queue, MESSAGES)
        mine = wait_for(
            lambda: [
                c
                for c in cluster.admin().connections()
                if c.get("client_properties", {}).get("connection_name") == name
            ],
            message="the consumer's connection in the management API",
        )
        assert mine[0]["node"] != leader.name
    assert sorted(received) == list(range(MESSAGES))

    began = time.monotonic()
    cluster.restart(leader)
    restarted = time.monotonic() - began
    assert set(cluster.cluster_status()["running_nodes"]) == names
    wait_for(
        lambda: set(cluster.admin().queue(vhost, "orders").get("online", [])) == names,
        timeout=60,
        interval=0.5,
        message="every member of the queue online again",
    )
    print(f"\nkill -> new leader on {new_leader.name}: {elected:.1f} s; restart: {restarted:.1f} s")


def _leader(cluster, vhost, other_than=None):
    """The queue's leader if the management API names one (other than ``other_than``) that runs."""
    try:
        node = cluster.queue_leader(vhost, "orders")
    except (LookupError, requests.RequestException):
        return None
    return node if node.running and node is not other_than else None


def _consume(connection: Connection, queue: Queue, count: int) -> list[int]:
    """The numbers of ``count`` messages, each acknowledged."""
    received: list[int] = []

    def on_message(body, message):
        received.append(body["n"])
        message.ack()

    with Consumer(connection, [queue], callbacks=[on_message], accept=["json"], prefetch_count=50):
        deadline = time.monotonic() + 30
        while len(received) < count and time.monotonic() < deadline:
            with contextlib.suppress(TimeoutError):
                connection.drain_events(timeout=1)
    return received


def test_management_api_lists_and_closes_a_client_connection(rabbit_cluster, cluster_vhost):
    name = unique_name("cluster-client")
    options = {"client_properties": {"connection_name": name}}
    admin = rabbit_cluster.admin()

    def listed():
        return [c for c in admin.connections() if c.get("client_properties", {}).get("connection_name") == name]

    with Connection(rabbit_cluster.amqp_uri(cluster_vhost), transport_options=options) as client:
        client.connect()
        connection = wait_for(listed, message="the client's connection in the management API")[0]
        assert connection["node"] == rabbit_cluster.nodes[0].name
        admin.close_connection(connection["name"])
        # The broker closes, then waits for the client's close-ok: the client must read.
        with pytest.raises(ConnectionForced, match="management"):
            client.drain_events(timeout=10)
    wait_for(lambda: not listed(), message="the connection gone from the management API")
