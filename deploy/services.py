"""The processes that make up civicgrid: one place for the launcher, the deploy step and docker-compose."""

import importlib

SERVICES = {
    "directory": "services.directory.service:DirectoryService",
    "reporting": "services.reporting.service:ReportingService",
    "cases": "services.cases.service:CasesService",
    "dispatch": "services.dispatch.service:DispatchService",
    "notifications": "services.notifications.service:NotificationsService",
    "indicators": "services.indicators.service:IndicatorsService",
}
GATEWAY = "gateway.service:GatewayService"

# Messages a process of the service handles at once, where it is not MAX_WORKERS (10). The indicators service
# commits the events that arrive together in one transaction and waits a moment for more
# (INDICATORS_LINGER_SECONDS): its batches can only be as large as what it has in hand. docker-compose.yml says
# the same.
MAX_WORKERS = {"indicators": 64}


def load_class(path: str):
    module, _, name = path.partition(":")
    return getattr(importlib.import_module(module), name)


def service_classes() -> list:
    return [load_class(path) for path in SERVICES.values()]
