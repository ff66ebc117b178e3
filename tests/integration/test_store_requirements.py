"""What a service asks of its store: a replica set, prepared by the deploy step; and it says so when it is not."""

import eventlet
import pytest
from nameko.amqp.publish import Publisher
from nameko.containers import ServiceContainer
from nameko.standalone.events import get_event_exchange
from pymongo import IndexModel, WriteConcern

from shared.events import to_message
from shared.messaging import consume
from shared.mongo import MongoStore, StoreNotReady, make_client, prepare_databases
from shared.topology import consumer_queues, declare
from tests.support.infra import SecantusServer, wait_for
from tests.support.samples import sample_event


class _Store(MongoStore):
    indexes = {"things": [IndexModel("kind")]}


class Keeper:
    name = "keeper"
    store = _Store()


@pytest.fixture(scope="module")
def standalone_store(tmp_path_factory):
    server = SecantusServer(tmp_path_factory.mktemp("standalone"), standalone=True)
    server.start()
    yield server
    server.stop()


def start(config) -> ServiceContainer:
    container = ServiceContainer(Keeper, {"serializer": "json", "max_workers": 2, **config})
    try:
        container.start()
    except BaseException:
        container.kill()
        raise
    return container


def test_the_deploy_step_refuses_a_standalone_server_and_says_what_to_change(standalone_store, db_prefix):
    with pytest.raises(StoreNotReady) as refused:
        prepare_databases({"MONGO_URI": standalone_store.uri, "DB_PREFIX": db_prefix}, [Keeper])

    message = str(refused.value)
    assert "standalone" in message and "replica set" in message
    assert "--replSet" in message and "rs.initiate()" in message and "replicaSet=" in message
    assert f"127.0.0.1:{standalone_store.port}" in message


def test_a_service_refuses_to_start_on_a_standalone_server(standalone_store, amqp_uri, db_prefix):
    with pytest.raises(StoreNotReady, match="replica set"):
        start({"AMQP_URI": amqp_uri, "MONGO_URI": standalone_store.uri, "DB_PREFIX": db_prefix})


def test_a_service_waits_for_the_deploy_step_then_says_which_indexes_are_missing(mongo_server, amqp_uri, db_prefix):
    config = {
        "AMQP_URI": amqp_uri,
        "MONGO_URI": mongo_server.uri,
        "DB_PREFIX": db_prefix,
        "MONGO_PREPARE_WAIT_SECONDS": 1,
    }

    with pytest.raises(StoreNotReady) as refused:
        start(config)

    assert "things.kind_1" in str(refused.value) and "python -m deploy.prepare" in str(refused.value)
    assert "kind_1" not in mongo_server.client()[f"{db_prefix}keeper"]["things"].index_information()

    prepare_databases(config, [Keeper])
    start(config).stop()


class Worker:
    """A service with work to do: it must not take any before its store is prepared."""

    name = "keeper"
    store = _Store()
    handled: list = []

    @consume("cases", "case.registered")
    def on_registered(self, event):
        Worker.handled.append(event.event_id)


def test_nothing_is_consumed_before_the_store_is_prepared(mongo_server, amqp_uri, db_prefix):
    config = {
        "AMQP_URI": amqp_uri,
        "MONGO_URI": mongo_server.uri,
        "DB_PREFIX": db_prefix,
        "serializer": "json",
        "max_workers": 2,
        "MONGO_PREPARE_WAIT_SECONDS": 60,
    }
    Worker.handled.clear()
    container = ServiceContainer(Worker, config)
    starting = eventlet.spawn(container.start)
    try:
        event = sample_event("case.registered")
        declare(amqp_uri, consumer_queues(Worker, config))
        Publisher(amqp_uri).publish(
            to_message(event), exchange=get_event_exchange("cases", {}), routing_key="case.registered"
        )
        eventlet.sleep(2)
        assert Worker.handled == [], "handled on a store without its indexes"

        prepare_databases(config, [Worker])

        starting.wait()
        wait_for(lambda: Worker.handled == [event.event_id], timeout=20, message="handled once prepared")
    finally:
        container.kill()


def test_writes_are_acknowledged_by_a_majority_and_journaled(mongo_server):
    client = make_client(f"mongodb://127.0.0.1:{mongo_server.port}/", {}, "probe")  # a URI that sets nothing
    try:
        assert client.write_concern.document == {"w": "majority", "j": True}
        assert client.options.retry_writes is True
        client.probe_db.things.insert_one({"kind": "checked on the real server"})
    finally:
        client.close()


# The store as civicgrid starts it keeps no oplog (nothing of civicgrid's opens a change stream, and its diff of every
# updated document was a tenth of the stores' CPU: deploy/launch/secantusd.py), yet is the replica set the services
# need: a transaction over two collections commits, and a write waits for the majority and the journal.
def _writes_in_a_transaction(client) -> tuple[dict, dict]:
    db = client.get_database("oplog_check", write_concern=WriteConcern(w="majority", j=True))
    db.cases.insert_one({"_id": "C1", "history": [{"action": "report"}]})
    with client.start_session() as session, session.start_transaction():
        db.cases.update_one({"_id": "C1"}, {"$push": {"history": {"action": "register"}}}, session=session)
        db.outbox.insert_one({"_id": "E1", "case_id": "C1"}, session=session)
    return db.cases.find_one({"_id": "C1"}), db.outbox.find_one({"_id": "E1"})


def test_the_store_keeps_no_oplog_and_is_still_a_replica_set_whose_transactions_commit(mongo_server):
    client = mongo_server.client()
    assert client.admin.command("hello")["setName"]
    case, event = _writes_in_a_transaction(client)
    assert [h["action"] for h in case["history"]] == ["report", "register"] and event["case_id"] == "C1"
    assert "oplog.rs" not in client.local.list_collection_names()


def test_asked_to_keep_its_oplog_the_store_writes_every_change_to_it(tmp_path):
    server = SecantusServer(tmp_path, keep_oplog=True)
    server.start()
    try:
        client = server.client()
        _writes_in_a_transaction(client)
        written = list(client.local["oplog.rs"].find({"ns": {"$in": ["oplog_check.cases", "oplog_check.outbox"]}}))
        assert len(written) >= 2
    finally:
        server.stop()
