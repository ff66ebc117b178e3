"""Fixtures shared by every tier.

nameko needs eventlet's monkey patching before anything opens a socket; it is done
here, first, as ``nameko test`` would do it.
"""

import eventlet

eventlet.monkey_patch()

import pytest  # noqa: E402

from services.notifications.secretbox import ensure_key_file  # noqa: E402
from tests.support.auth import keypair  # noqa: E402
from tests.support.infra import (  # noqa: E402
    RabbitAdmin,
    SecantusServer,
    amqp_base_uri,
    rabbit_api_uri,
    unique_name,
)


@pytest.fixture(scope="session")
def rabbit_admin():
    admin = RabbitAdmin(rabbit_api_uri())
    admin.check()
    return admin


@pytest.fixture(scope="session")
def mongo_server(tmp_path_factory):
    """One throw-away SecantusDB for the whole run; each test gets its own databases."""
    server = SecantusServer(tmp_path_factory.mktemp("store"))
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def auth_keys(tmp_path_factory):
    """(private, public) key files signing this run's access tokens."""
    return keypair(str(tmp_path_factory.mktemp("keys")))


@pytest.fixture(scope="session")
def webhook_secrets_key(tmp_path_factory):
    """The key file sealing departments' webhook secrets in this run's notification stores."""
    return str(ensure_key_file(tmp_path_factory.mktemp("secrets") / "webhook_secrets.key"))


@pytest.fixture
def vhost(rabbit_admin):
    name = unique_name("cgtest")
    rabbit_admin.create_vhost(name)
    yield name
    rabbit_admin.delete_vhost(name)


@pytest.fixture
def amqp_uri(vhost):
    return f"{amqp_base_uri()}{vhost}"


@pytest.fixture
def db_prefix():
    return unique_name("cgt") + "_"


@pytest.fixture
def service_config(amqp_uri, mongo_server, db_prefix, auth_keys, webhook_secrets_key):
    """nameko config for a service under test: own vhost, own databases, fast retries."""
    return {
        "AMQP_URI": amqp_uri,
        "MONGO_URI": mongo_server.uri,
        "DB_PREFIX": db_prefix,
        "serializer": "json",
        "max_workers": 10,
        "EVENT_MAX_ATTEMPTS": 3,
        "EVENT_RETRY_BASE_SECONDS": 0.1,
        "EVENT_RETRY_MAX_SECONDS": 0.5,
        "OUTBOX_SCAN_SECONDS": 0.5,
        "OUTBOX_SCAN_GRACE_SECONDS": 1,
        "RPC_TIMEOUT_SECONDS": 30,
        "WEBHOOK_ALLOWED_HOSTS": "127.0.0.1",  # the tests' receivers listen on loopback
        "WEB_SERVER_ADDRESS": "127.0.0.1:0",
        "AUTH_PRIVATE_KEY_FILE": auth_keys[0],
        "AUTH_PUBLIC_KEY_FILE": auth_keys[1],
        "WEBHOOK_SECRETS_KEY_FILE": webhook_secrets_key,
        "GRID_MISMATCH_TOLERANCE_M": 30,
    }


# The deploy step prepares the stores before any service starts (deploy.prepare); services started by the tests
# find their collections and indexes made the same way.
@pytest.fixture
def container_factory(container_factory):
    def make(service_cls, config, *args, **kwargs):
        _prepare(config, [service_cls])
        return container_factory(service_cls, config, *args, **kwargs)

    return make


@pytest.fixture
def runner_factory(runner_factory):
    def make(config, *service_classes):
        _prepare(config, service_classes)
        return runner_factory(config, *service_classes)

    return make


def _prepare(config, service_classes) -> None:
    from shared.mongo import prepare_databases

    if config.get("MONGO_URI"):
        prepare_databases(config, service_classes)
