"""The move from classic queues on a cluster: a classic queue lives on one node; its messages end up in a quorum
queue replicated on all three."""

import pytest

from tests.integration import test_queue_upgrade as upgrade

pytestmark = pytest.mark.cluster


def test_classic_queues_with_messages_waiting_become_quorum_queues_on_every_node(rabbit_cluster, cluster_vhost):
    amqp_uri = rabbit_cluster.amqp_uri(cluster_vhost)
    upgrade.with_messages_waiting(amqp_uri)

    upgrade.prepare_broker({"AMQP_URI": amqp_uri})

    queues = rabbit_cluster.admin().queues(cluster_vhost)
    moved = queues[upgrade.CASES_QUEUE]
    assert moved["type"] == "quorum" and len(moved["members"]) == 3
    assert len(upgrade.drain(amqp_uri, upgrade.CASES_QUEUE)) == 6
