"""RPC between services, with a deadline.

nameko's ``RpcProxy`` waits for a reply forever; a caller that serves a person (the
gateway) must not. ``TimedRpcProxy`` sends the same request and gives up after
``RPC_TIMEOUT_SECONDS`` with ``RpcTimedOut``; a late reply is dropped by nameko's
reply listener.
"""

import eventlet
from nameko.rpc import RpcProxy

from shared.bus import Rpc, TransientReplyListener
from shared.config import setting
from shared.errors import CivicgridError


class RpcTimedOut(CivicgridError):
    code = "UPSTREAM_TIMEOUT"


class _TimedMethod:
    def __init__(self, method_proxy, service: str, timeout: float):
        self._method = method_proxy
        self._service = service
        self._timeout = timeout

    def __call__(self, *args, **kwargs):
        name = f"{self._service}.{self._method.method_name}"
        # the request's publish inside the deadline too: it waits for the broker's confirm, which a lost node delays
        with eventlet.Timeout(self._timeout, RpcTimedOut.of("service.timed_out", call=name, seconds=self._timeout)):
            return self._method.call_async(*args, **kwargs).result()

    def call_async(self, *args, **kwargs):
        return self._method.call_async(*args, **kwargs)


class _TimedService:
    def __init__(self, proxy, service: str, timeout: float):
        self._proxy = proxy
        self._service = service
        self._timeout = timeout

    def __getattr__(self, name):
        return _TimedMethod(getattr(self._proxy, name), self._service, self._timeout)


class TimedRpcProxy(RpcProxy):
    rpc_reply_listener = TransientReplyListener()

    def setup(self):
        super().setup()
        self.timeout = setting(self.container.config, "RPC_TIMEOUT_SECONDS", 10.0, float)

    def get_dependency(self, worker_ctx):
        return _TimedService(super().get_dependency(worker_ctx), self.target_service, self.timeout)


def rpc(fn):
    """nameko's ``@rpc`` on a quorum queue (``shared.bus``), with civicgrid's own errors declared expected (logged
    as refusals, not crashes)."""
    return Rpc.decorator(expected_exceptions=CivicgridError)(fn)
