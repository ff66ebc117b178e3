"""The caller of an entrypoint: ``self.caller.require("permission")`` in a service.

The token is verified here again (the gateway is not the only guard), and the person
it names is then looked up in the service's own current record of the users — the
``current_person(user_id)`` of one of the service's dependencies (``shared.refdata.ReferenceData``,
or the directory's own store) — so roles, department, grids and whether the account is
active are the directory's current word, not the token's (``shared.auth.principal``).
"""

from nameko.extensions import DependencyProvider

from shared.auth.identity import Identity
from shared.auth.keys import load_public_key
from shared.auth.policy import may
from shared.auth.principal import current_identity
from shared.auth.tokens import TokenVerifier
from shared.clock import clock_from_config
from shared.config import ConfigError
from shared.errors import Forbidden

TOKEN_CONTEXT_KEY = "auth_token"


class CallerContext:
    def __init__(self, token: str | None, tokens: TokenVerifier, clock, people):
        self._token = token
        self._tokens = tokens
        self._clock = clock
        self._people = people
        self._identity: Identity | None = None

    @property
    def identity(self) -> Identity:
        """The verified caller as the directory knows them now; ``Unauthenticated`` without a valid token
        or for a deactivated account."""
        if self._identity is None:
            claims = self._tokens.claims(self._token, now=self._clock.now())
            self._identity = current_identity(
                Identity.from_claims(claims), claims["iat"], self._people.current_person(claims["sub"])
            )
        return self._identity

    def require(self, permission: str) -> Identity:
        identity = self.identity
        if not may(identity, permission):
            raise Forbidden.of("auth.not_allowed")
        return identity


class Caller(DependencyProvider):
    def setup(self):
        self.public_key = load_public_key(self.container.config)
        self.tokens = TokenVerifier(self.public_key)
        self.clock = clock_from_config(self.container.config)
        self.people = next((d for d in self.container.dependencies if hasattr(d, "current_person")), None)
        if self.people is None:  # a service that cannot tell a deactivated account must not authorise anyone
            raise ConfigError(
                f"service {self.container.service_name}: no current record of the users "
                "(a ReferenceData or a store with current_person) to check callers against"
            )

    def get_dependency(self, worker_ctx):
        return CallerContext(worker_ctx.context_data.get(TOKEN_CONTEXT_KEY), self.tokens, self.clock, self.people)
