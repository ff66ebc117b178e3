import eventlet

from gateway.http import api, json_response
from shared.api.operations import HealthSchema, ReadinessSchema
from shared.broker import connect

CHECKED_SERVICES = ("directory", "reporting", "cases", "dispatch", "notifications", "indicators")


class HealthApi:
    @api(
        "GET",
        "/healthz",
        summary="The gateway process is up",
        tags=["operations"],
        public=True,
        responses={200: ("Up.", HealthSchema)},
    )
    def healthz(self, request):
        return {"status": "ok"}

    @api(
        "GET",
        "/readyz",
        summary="Bus, services and their stores are reachable",
        tags=["operations"],
        public=True,
        responses={
            200: ("Ready.", ReadinessSchema),
            503: ("Not ready: `checks` says what is missing.", ReadinessSchema),
        },
    )
    def readyz(self, request):
        checks = {"bus": self._bus_reachable()}
        reference = {}
        pile = eventlet.GreenPile()
        for name in CHECKED_SERVICES:
            pile.spawn(self._service_health, name)
        for name, health in pile:
            checks[name] = bool(health and health.get("store"))
            if health and "reference" in health:
                reference[name] = health["reference"]
        ready = all(checks.values())
        body = {
            "status": "ready" if ready else "not ready",
            "checks": checks,
            # Which revision of the directory's data each service holds (0: not received yet).
            "reference": reference,
            "reference_complete": all(all(kinds.values()) for kinds in reference.values()),
        }
        return json_response(200 if ready else 503, body)

    def _bus_reachable(self) -> bool:
        try:
            with eventlet.Timeout(2), connect(self.config["AMQP_URI"], rounds=1, connect_timeout=1):
                pass
        except (Exception, eventlet.Timeout):
            return False
        return True

    def _service_health(self, name):
        try:
            with eventlet.Timeout(2):
                return name, getattr(self, name).health()
        except (Exception, eventlet.Timeout):
            return name, None
