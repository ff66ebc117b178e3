"""A running directory holding the tiny test district, and tokens of its people."""

import pytest

from services.directory.seeding import seed_district
from services.directory.service import DirectoryService
from services.directory.storage import DirectoryRepository
from shared.bus import standalone_rpc
from shared.clock import utcnow
from tests.support import district
from tests.support.infra import RPC_TIMEOUT


@pytest.fixture
def seeded_directory(container_factory, service_config, mongo_server, db_prefix):
    """The directory, started on a store seeded while it was down: its outbox publishes on start."""
    client = mongo_server.client()
    seed_district(
        DirectoryRepository(client[f"{db_prefix}directory"], None),
        district.tiny_district(),
        password=district.PASSWORD,
        now=utcnow(),
    )
    client.close()
    container = container_factory(DirectoryService, service_config)
    container.start()
    return container


@pytest.fixture
def sign_in(seeded_directory, service_config):
    def token(username: str) -> str:
        with standalone_rpc(service_config, timeout=RPC_TIMEOUT) as rpc:
            return rpc.directory.issue_token({"username": username, "password": district.PASSWORD})["access_token"]

    return token


@pytest.fixture
def rpc_as(service_config, sign_in):
    """``with rpc_as("operator1") as rpc:`` — a cluster proxy carrying that person's token."""

    def proxy(username: str):
        return standalone_rpc(service_config, timeout=RPC_TIMEOUT, context_data={"auth_token": sign_in(username)})

    return proxy
