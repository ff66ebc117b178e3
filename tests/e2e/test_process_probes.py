"""Every process `make run` starts answers its own probes and metrics on its health port (as a pod's kubelet and
Prometheus would ask it)."""

import requests
from prometheus_client.parser import text_string_to_metric_families

from deploy.services import SERVICES
from tests.support.infra import wait_for


def _get(port: int, path: str) -> requests.Response:
    return requests.get(f"http://127.0.0.1:{port}{path}", timeout=10)


def test_every_process_is_live_ready_and_measured_on_its_health_port(platform):
    ports = platform.status()["health_ports"]
    assert set(ports) == {*SERVICES, "gateway"}
    for name, port in ports.items():
        live = _get(port, "/livez")
        assert live.status_code == 200 and live.json()["status"] == "ok", (name, live.text)
        wait_for(lambda port=port: _get(port, "/readyz").status_code == 200, timeout=30, message=f"{name} ready")
        checks = _get(port, "/readyz").json()["checks"]
        expected = {"running", "consuming"} | ({"store"} if name in SERVICES else set())
        assert expected <= set(checks), (name, checks)
        if name not in ("directory", "gateway"):  # the services that keep a copy of the directory's data
            assert checks["reference"] is True, name

        metrics = _get(port, "/metrics")
        assert metrics.status_code == 200, name
        samples = [s for family in text_string_to_metric_families(metrics.text) for s in family.samples]
        names = {s.name for s in samples}
        assert {"process_cpu_seconds_total", "process_resident_memory_bytes"} <= names, name
        if name in SERVICES:
            assert any(s.name == "civicgrid_store_commands_total" and s.labels["service"] == name for s in samples), (
                name
            )
