"""Each service's own figures — time per message by entrypoint, store commands — are for administrators: over
HTTP at ``/api/v1/admin/metrics``, and on the bus only with an administrator's token."""

import uuid

import pytest

from shared.bus import standalone_rpc
from shared.errors import Unauthenticated
from tests.e2e.conftest import OFFICER, OFFICER_GRID
from tests.support.infra import wait_for

SERVICES = {"directory", "reporting", "cases", "dispatch", "notifications", "indicators"}


def _count(items: dict, service: str, entrypoint: str) -> float:
    return sum(
        s["value"]
        for s in items[service]
        if s["name"] == "civicgrid_worker_seconds_count" and s["labels"].get("entrypoint") == entrypoint
    )


def test_an_administrator_sees_each_services_figures_grow_with_a_report(platform, grid_centre):
    admin = platform.as_user("admin")
    before = admin.get("/api/v1/admin/metrics")
    assert before.status_code == 200, before.text
    assert set(before.json()["items"]) == SERVICES

    answer = platform.as_user(OFFICER).post(
        "/api/v1/reports",
        {
            "category": "sanitation",
            "description": "井盖缺失 missing manhole cover",
            "location": grid_centre(OFFICER_GRID),
            "idempotency_key": str(uuid.uuid4()),
        },
    )
    assert answer.status_code == 202, answer.text

    def grown():
        items = admin.get("/api/v1/admin/metrics").json()["items"]
        return (
            _count(items, "cases", "on_incident_reported")
            > _count(before.json()["items"], "cases", "on_incident_reported")
            and items
        )

    items = wait_for(grown, timeout=30, message="cases counted the report")
    assert _count(items, "reporting", "submit_report") >= 1
    commands = [s for s in items["reporting"] if s["name"] == "civicgrid_store_commands_total"]
    assert any(s["labels"].get("command") == "insert" and s["value"] >= 1 for s in commands), commands


@pytest.mark.parametrize("user", [OFFICER, "operator1", "supervisor"])
def test_nobody_else_sees_them(platform, user):
    answer = platform.as_user(user).get("/api/v1/admin/metrics")
    assert answer.status_code == 403, answer.text


def test_on_the_bus_a_call_without_a_token_is_refused(platform):
    config = {"AMQP_URI": platform.env["AMQP_URI"], "serializer": "json"}
    with standalone_rpc(config, timeout=15) as cluster, pytest.raises(Unauthenticated):
        cluster.cases.metrics()
