from gateway.http import api
from gateway.routes.health import CHECKED_SERVICES
from shared.api.operations import DeadLetterReplayedSchema, DeadLettersSchema, MetricsSchema
from shared.errors import NotFound


class AdminApi:
    @api(
        "GET",
        "/api/v1/admin/dead-letters",
        summary="Messages that kept failing, per service",
        tags=["operations"],
        responses={200: ("Per service.", DeadLettersSchema)},
    )
    def list_dead_letters(self, request):
        return {"items": {name: getattr(self, name).dead_letters(100) for name in CHECKED_SERVICES}}

    @api(
        "GET",
        "/api/v1/admin/metrics",
        summary="Each service's time per message and store commands, all its processes",
        tags=["operations"],
        responses={200: ("Per service.", MetricsSchema)},
    )
    def list_metrics(self, request):
        return {"items": {name: getattr(self, name).metrics() for name in CHECKED_SERVICES}}

    @api(
        "POST",
        "/api/v1/admin/dead-letters/<service>/<message_id>/replay",
        summary="Send a dead letter back to the queue it failed in",
        tags=["operations"],
        responses={200: ("Sent back.", DeadLetterReplayedSchema)},
    )
    def replay_dead_letter(self, request, service, message_id):
        if service not in CHECKED_SERVICES:
            raise NotFound.of("service.unknown", service=service)
        return getattr(self, service).replay_dead_letter(message_id)
