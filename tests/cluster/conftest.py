"""One three-node RabbitMQ cluster on this machine, shared by every cluster test of a run."""

import pytest

from tests.support.infra import unique_name
from tests.support.rabbit_cluster import LocalRabbitCluster


@pytest.fixture(scope="session")
def rabbit_cluster(tmp_path_factory):
    """Started once (~30 s), stopped at the end of the run; its nodes' logs stay in its tmp dir."""
    cluster = LocalRabbitCluster(tmp_path_factory.mktemp("rabbit-cluster"))
    try:
        cluster.start()
        yield cluster
    finally:
        cluster.stop()


@pytest.fixture(autouse=True)
def whole_cluster(rabbit_cluster):
    """A test that fails between killing a node and restarting it must not leave the next test
    a cluster short of a node."""
    yield rabbit_cluster
    for node in rabbit_cluster.nodes:
        if not node.running:
            rabbit_cluster.restart(node)


@pytest.fixture
def cluster_vhost(rabbit_cluster):
    """A throw-away vhost on the cluster."""
    name = unique_name("cgcluster")
    rabbit_cluster.admin().create_vhost(name)
    yield name
    rabbit_cluster.admin().delete_vhost(name)
