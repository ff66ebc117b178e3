"""The deploy step moves an earlier version's classic queues to quorum queues, losing no message waiting in them."""

import json
import time

import pytest
from kombu import Connection, Exchange, Queue
from nameko.amqp.publish import Publisher
from nameko.rpc import get_rpc_exchange
from nameko.standalone.events import get_event_exchange

from deploy import queue_upgrade
from deploy.prepare import PrepareFailed, prepare_broker, retire_queues
from deploy.services import service_classes
from shared.topology import DEAD_LETTER_EXCHANGE, event_queue_name, service_entities
from tests.support.infra import wait_for

CASES_QUEUE = event_queue_name("reporting", "incident.reported", "cases", "on_incident_reported")


def declare_as_the_earlier_version(amqp_uri: str) -> None:
    """The topology of the version before quorum queues, as it declared it: classic queues, a retry queue per
    event queue (per-message expiry), classic dead letters and RPC queues."""
    reporting = get_event_exchange("reporting", {})
    with Connection(amqp_uri) as connection:
        channel = connection.channel()
        for entity in (
            Queue(CASES_QUEUE, exchange=reporting, routing_key="incident.reported", durable=True),
            Queue(
                f"{CASES_QUEUE}.retry",
                durable=True,
                queue_arguments={"x-dead-letter-exchange": "", "x-dead-letter-routing-key": CASES_QUEUE},
            ),
            Queue("cases.dead-letters", exchange=DEAD_LETTER_EXCHANGE, routing_key="cases.#", durable=True),
            Queue("rpc-cases", exchange=get_rpc_exchange({}), routing_key="cases.*", durable=True),
        ):
            entity.bind(channel).declare()
        channel.close()


def publish(amqp_uri: str, routing_key: str, body: dict, exchange=None, **properties) -> None:
    Publisher(amqp_uri).publish(body, exchange=exchange or Exchange(""), routing_key=routing_key, **properties)


def drain(amqp_uri: str, queue: str) -> list[dict]:
    bodies = []
    with Connection(amqp_uri) as connection:
        bound = Queue(queue).bind(connection.channel())
        while (message := bound.get(no_ack=False)) is not None:
            bodies.append(
                {
                    "body": json.loads(message.body),
                    "headers": message.headers,
                    "message_id": message.properties.get("message_id"),
                }
            )
            message.ack()
    return bodies


@pytest.fixture
def earlier_broker(amqp_uri):
    return with_messages_waiting(amqp_uri)


def with_messages_waiting(amqp_uri: str) -> str:
    """The earlier version's queues on ``amqp_uri``, with five events, a retry, a dead letter and an RPC request
    waiting."""
    declare_as_the_earlier_version(amqp_uri)
    reporting = get_event_exchange("reporting", {})
    for n in range(5):
        publish(
            amqp_uri,
            "incident.reported",
            {"n": n},
            exchange=reporting,
            message_id=f"evt-{n}",
            headers={"x-civicgrid-attempts": 1},
        )
    publish(amqp_uri, f"{CASES_QUEUE}.retry", {"n": "retrying"}, expiration=3600, message_id="evt-retrying")
    publish(amqp_uri, "cases.dead-letters", {"n": "dead"}, message_id="dead-1")
    publish(amqp_uri, "rpc-cases", {"args": [], "kwargs": {}})
    return amqp_uri


def test_the_earlier_versions_classic_queues_become_quorum_queues_with_every_message(
    earlier_broker, rabbit_admin, vhost
):
    _, moved = prepare_broker({"AMQP_URI": earlier_broker})

    assert {CASES_QUEUE, f"{CASES_QUEUE}.retry", "cases.dead-letters", "rpc-cases"} <= set(moved)
    queues = rabbit_admin.queues(vhost)
    durable = {name: q for name, q in queues.items() if q["durable"]}
    assert {q["type"] for q in durable.values()} == {"quorum"}, {n: q["type"] for n, q in durable.items()}
    assert f"{CASES_QUEUE}.retry" not in queues and not any(name.endswith(".moving") for name in queues)

    waiting = drain(earlier_broker, CASES_QUEUE)
    assert sorted(str(m["body"]["n"]) for m in waiting) == ["0", "1", "2", "3", "4", "retrying"]
    assert {m["message_id"] for m in waiting} == {f"evt-{n}" for n in range(5)} | {"evt-retrying"}
    assert all(m["headers"].get("x-civicgrid-attempts") == 1 for m in waiting if m["message_id"] != "evt-retrying")
    assert [m["body"] for m in drain(earlier_broker, "cases.dead-letters")] == [{"n": "dead"}]
    assert len(drain(earlier_broker, "rpc-cases")) == 1


def test_retries_of_the_earlier_version_that_expire_during_the_move_are_not_lost(amqp_uri, monkeypatch):
    declare_as_the_earlier_version(amqp_uri)
    # expiring while the step runs: a legacy retry goes back to its queue by name, not through the exchange
    for n in range(20):
        publish(amqp_uri, f"{CASES_QUEUE}.retry", {"n": f"expiring {n}"}, expiration=0.1 * n, message_id=f"r-{n}")
    copy_all = queue_upgrade._copy_all

    def slowly(connection, source, target):  # widen the moment between the last copy and the old queue's deletion
        copied = copy_all(connection, source, target)
        if source == CASES_QUEUE:
            time.sleep(1.5)
        return copied

    monkeypatch.setattr(queue_upgrade, "_copy_all", slowly)

    prepare_broker({"AMQP_URI": amqp_uri})

    assert sorted(m["message_id"] for m in drain(amqp_uri, CASES_QUEUE)) == sorted(f"r-{n}" for n in range(20))


def test_the_moved_queue_keeps_its_binding(earlier_broker):
    prepare_broker({"AMQP_URI": earlier_broker})

    publish(earlier_broker, "incident.reported", {"n": "after"}, exchange=get_event_exchange("reporting", {}))

    assert {"n": "after"} in [m["body"] for m in drain(earlier_broker, CASES_QUEUE)]


def test_a_second_run_changes_nothing(earlier_broker):
    prepare_broker({"AMQP_URI": earlier_broker})

    _, moved = prepare_broker({"AMQP_URI": earlier_broker})

    assert moved == []
    assert len(drain(earlier_broker, CASES_QUEUE)) == 6


def test_a_run_stopped_half_way_is_finished_by_the_next(earlier_broker, rabbit_admin, vhost):
    # Stopped after the holding queue took the messages and the old queue was deleted (step 3 of the move).
    holding = f"{CASES_QUEUE}.moving"
    with Connection(earlier_broker) as connection:
        channel = connection.channel()
        Queue(
            holding,
            exchange=get_event_exchange("reporting", {}),
            routing_key="incident.reported",
            durable=True,
            queue_arguments={"x-queue-type": "quorum"},
        ).bind(channel).declare()
        channel.close()
    for message in drain(earlier_broker, CASES_QUEUE):
        publish(earlier_broker, holding, message["body"], message_id=message["message_id"])
    with Connection(earlier_broker) as connection:
        connection.channel().queue_delete(CASES_QUEUE)

    prepare_broker({"AMQP_URI": earlier_broker})

    assert holding not in rabbit_admin.queues(vhost)
    assert len(drain(earlier_broker, CASES_QUEUE)) == 6


def test_a_queue_an_older_service_still_reads_is_refused_and_left_as_it_is(earlier_broker, rabbit_admin, vhost):
    with Connection(earlier_broker) as connection:
        channel = connection.channel()
        channel.basic_consume(CASES_QUEUE, callback=lambda message: None)
        wait_for(lambda: rabbit_admin.queues(vhost)[CASES_QUEUE].get("consumers") == 1, message="consumer seen")

        with pytest.raises(PrepareFailed) as refused:
            prepare_broker({"AMQP_URI": earlier_broker})

        assert CASES_QUEUE in str(refused.value) and "stop every civicgrid service" in str(refused.value)
        assert "python -m deploy.prepare" in str(refused.value)
        assert rabbit_admin.queues(vhost)[CASES_QUEUE]["type"] == "classic"


def test_the_deploy_step_declares_every_queue_a_service_needs(amqp_uri, rabbit_admin, vhost):
    prepare_broker({"AMQP_URI": amqp_uri})

    queues = rabbit_admin.queues(vhost)
    expected = {e.name for e in service_entities(service_classes(), {"AMQP_URI": amqp_uri}) if isinstance(e, Queue)}
    assert expected <= set(queues)
    assert {"rpc-cases", "cases.dead-letters", CASES_QUEUE, "civicgrid.retry.1000ms"} <= expected
    assert {queues[name]["type"] for name in expected} == {"quorum"}


def test_a_service_that_finds_an_earlier_versions_queue_refuses_to_start_and_says_what_to_run(
    amqp_uri, container_factory, service_config
):
    from services.cases.service import CasesService
    from shared.topology import TopologyMismatch

    declare_as_the_earlier_version(amqp_uri)

    with pytest.raises(TopologyMismatch) as refused:
        container_factory(CasesService, service_config).start()

    assert "python -m deploy.prepare" in str(refused.value) and "Upgrading the queues" in str(refused.value)


def test_once_no_older_replica_runs_the_queue_of_an_event_no_service_consumes_any_more_is_deleted(
    amqp_uri, rabbit_admin, vhost
):
    """Dispatch routed every `case.reported` before routing moved into cases: its queue, still bound, would keep
    every report's event for nobody. Deleting it is the deploy step's `--retire`, not its rolling-update run."""
    retired = event_queue_name("cases", "case.reported", "dispatch", "on_case_reported")
    cases = get_event_exchange("cases", {})
    with Connection(amqp_uri) as connection:
        channel = connection.channel()
        Queue(retired, exchange=cases, routing_key="case.reported", durable=True).bind(channel).declare()
        channel.close()
    publish(amqp_uri, "case.reported", {"n": "for nobody"}, exchange=cases)
    prepare_broker({"AMQP_URI": amqp_uri})
    assert retired in rabbit_admin.queues(vhost), "an older dispatch may still consume it during the update"

    assert retire_queues({"AMQP_URI": amqp_uri}) == [retired]

    assert retired not in rabbit_admin.queues(vhost)
    assert retire_queues({"AMQP_URI": amqp_uri}) == []
    still_consumed = event_queue_name("cases", "case.reported", "indicators", "on_case_reported")
    assert still_consumed in rabbit_admin.queues(vhost)
