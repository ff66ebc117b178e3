"""GatewayService: the only HTTP entry. JSON over RPC, and live updates (SSE); holds no database."""

from nameko.dependency_providers import Config

from gateway.live import LiveHub
from gateway.routes.admin import AdminApi
from gateway.routes.auth import AuthApi
from gateway.routes.cases import CaseActionsApi, CasesApi
from gateway.routes.directory import DirectoryApi, DirectoryItemsApi
from gateway.routes.docs import DocsApi
from gateway.routes.health import HealthApi
from gateway.routes.notifications import NotificationsApi
from gateway.routes.open311 import Open311Api
from gateway.routes.rating import RatingApi
from gateway.routes.reports import ReportsApi
from gateway.routes.stats import StatsApi
from gateway.routes.stream import StreamApi
from shared.rpc import TimedRpcProxy


class GatewayService(
    HealthApi,
    DocsApi,
    AuthApi,
    ReportsApi,
    CasesApi,
    CaseActionsApi,
    NotificationsApi,
    DirectoryApi,
    DirectoryItemsApi,
    StreamApi,
    StatsApi,
    AdminApi,
    Open311Api,
    RatingApi,
):
    name = "gateway"

    config = Config()
    directory = TimedRpcProxy("directory")
    reporting = TimedRpcProxy("reporting")
    cases = TimedRpcProxy("cases")
    dispatch = TimedRpcProxy("dispatch")
    notifications = TimedRpcProxy("notifications")
    indicators = TimedRpcProxy("indicators")
    live = LiveHub()
