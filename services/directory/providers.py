"""The directory's own dependency providers: the key that signs tokens, and the grid map's spatial index."""

from datetime import timedelta

from nameko.extensions import DependencyProvider

from shared.auth.keys import load_private_key
from shared.config import setting


class TokenSigner(DependencyProvider):
    """The private key that signs access tokens (held by the directory alone) and their lifetime."""

    def setup(self):
        config = self.container.config
        self.key = load_private_key(config)
        self.ttl = timedelta(seconds=setting(config, "AUTH_TOKEN_TTL_SECONDS", 8 * 3600, int))
        self.max_failures = setting(config, "SIGN_IN_MAX_FAILURES", 5, int)
        self.client_max_failures = setting(config, "SIGN_IN_CLIENT_MAX_FAILURES", 20, int)
        self.failure_window = timedelta(seconds=setting(config, "SIGN_IN_WINDOW_SECONDS", 900, int))

    def get_dependency(self, worker_ctx):
        return self


class GridIndexCache(DependencyProvider):
    """The spatial index of the current map, rebuilt only when the map version changes."""

    def setup(self):
        self._version, self._index = None, None

    def get_dependency(self, worker_ctx):
        return self

    def for_map(self, version: int, grids: list[dict]):
        from shared.geo import GridIndex  # shapely is loaded only where grids are needed

        if not grids:
            return None
        if version != self._version:
            self._version, self._index = version, GridIndex.from_grids(grids)
        return self._index
