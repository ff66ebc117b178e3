"""On the running platform, every queue that holds messages someone waits for is a quorum queue."""

from urllib.parse import unquote, urlparse

from tests.support.infra import RabbitAdmin, rabbit_api_uri


def test_every_durable_queue_is_a_quorum_queue_and_the_others_belong_to_one_connection(platform):
    vhost = unquote(urlparse(platform.env["AMQP_URI"]).path.lstrip("/"))
    queues = RabbitAdmin(rabbit_api_uri()).queues(vhost)

    durable = {name: q["type"] for name, q in queues.items() if q["durable"]}
    assert durable and set(durable.values()) == {"quorum"}, durable
    assert {
        "rpc-cases",
        "cases.dead-letters",
        "evt-reporting-incident.reported--cases.on_incident_reported",
        "civicgrid.retry.200ms",
    } <= set(durable)
    transient = {name: q for name, q in queues.items() if not q["durable"]}
    # nameko's reply queues and the broadcast queues of reference data and the live feed (shared/topology.py)
    assert transient and all(q["type"] == "classic" and q["exclusive"] for q in transient.values())
    assert all(
        name.startswith(("rpc.reply-", "evt-directory-", "evt-notifications-feed.appended")) for name in transient
    ), sorted(transient)
