"""``AMQP_URI`` may name several brokers: a process uses the first that answers, whatever the order."""

from urllib.parse import urlparse

import pytest
from kombu import Queue

from shared.bus import connection_name
from shared.events import to_message
from shared.topology import declare
from tests.integration.test_consumer import CALLS, Probe, publish
from tests.support.infra import free_port, wait_for
from tests.support.samples import sample_event


@pytest.fixture
def with_a_dead_broker_first(amqp_uri):
    parsed = urlparse(amqp_uri)
    dead = f"{parsed.scheme}://{parsed.username}:{parsed.password}@127.0.0.1:{free_port()}{parsed.path}"
    return f"{dead};{amqp_uri}"


def test_declaring_goes_to_the_broker_that_answers(with_a_dead_broker_first, rabbit_admin, vhost):
    declare(
        with_a_dead_broker_first, [Queue("probe-failover", durable=True, queue_arguments={"x-queue-type": "quorum"})]
    )

    assert rabbit_admin.queues(vhost)["probe-failover"]["type"] == "quorum"


def test_a_service_consumes_from_the_broker_that_answers_on_a_named_connection(
    container_factory, service_config, with_a_dead_broker_first, amqp_uri, rabbit_admin, vhost
):
    CALLS.clear()
    container = container_factory(Probe, {**service_config, "AMQP_URI": with_a_dead_broker_first})
    container.start()

    publish(amqp_uri, to_message(sample_event("case.registered", case_id="ok-failover")))

    wait_for(lambda: CALLS.get("ok-failover") == 1, message="handled")

    def names():  # the management API lists a connection once the broker has emitted its statistics
        return [
            c.get("client_properties", {}).get("connection_name")
            for c in rabbit_admin.connections()
            if c.get("vhost") == vhost
        ]

    wait_for(lambda: connection_name("probe") in names(), timeout=15, message="the process's named connection")


def test_make_run_finds_the_broker_that_answers(with_a_dead_broker_first):
    from deploy.launch.broker import ensure_broker

    ensure_broker(with_a_dead_broker_first)  # raises LaunchError if none answers
