import pytest
from kombu import Connection, Queue
from nameko.standalone.events import get_event_exchange

pytestmark = pytest.mark.infra


@pytest.fixture
def databases(mongo_server, db_prefix):
    """``databases(name)``: this test's database of that name (a service's, or ``probe``)."""
    client = mongo_server.client()
    yield lambda name: client[f"{db_prefix}{name}"]
    client.close()


@pytest.fixture
def store_db(databases):
    return databases("probe")


@pytest.fixture
def listen(amqp_uri):
    """Bind a fresh queue to ``<producer>.events`` for ``event_type``; returns a getter."""
    connection = Connection(amqp_uri)
    queues = []

    def bind(producer: str, event_type: str):
        exchange = get_event_exchange(producer, {})
        queue = Queue(
            f"probe-{producer}-{event_type}-{len(queues)}", exchange=exchange, routing_key=event_type, durable=True
        )
        simple = connection.SimpleQueue(queue)
        queues.append(simple)
        return simple

    yield bind
    for q in queues:
        q.close()
    connection.release()


from tests.integration.directory_fixtures import rpc_as, seeded_directory, sign_in  # noqa: E402,F401
