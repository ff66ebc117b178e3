"""The caller of an entrypoint: ``self.caller.require("permission")`` in a service."""

from nameko.extensions import DependencyProvider

from shared.auth.identity import Identity
from shared.auth.keys import load_public_key
from shared.auth.policy import may
from shared.auth.tokens import verify_token
from shared.clock import clock_from_config
from shared.errors import Forbidden

TOKEN_CONTEXT_KEY = "auth_token"


class CallerContext:
    def __init__(self, token: str | None, public_key, clock):
        self._token = token
        self._public_key = public_key
        self._clock = clock
        self._identity: Identity | None = None

    @property
    def identity(self) -> Identity:
        """The verified caller; ``Unauthenticated`` without a valid token."""
        if self._identity is None:
            self._identity = verify_token(self._public_key, self._token, now=self._clock.now())
        return self._identity

    def require(self, permission: str) -> Identity:
        identity = self.identity
        if not may(identity, permission):
            raise Forbidden.of("auth.not_allowed")
        return identity


class Caller(DependencyProvider):
    def setup(self):
        self.public_key = load_public_key(self.container.config)
        self.clock = clock_from_config(self.container.config)

    def get_dependency(self, worker_ctx):
        return CallerContext(worker_ctx.context_data.get(TOKEN_CONTEXT_KEY), self.public_key, self.clock)
