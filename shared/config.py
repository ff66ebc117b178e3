"""Typed, fail-fast access to configuration.

Every process reads nameko's config dict (``deploy/nameko.yaml``, whose values come
from environment variables). Settings are looked up by UPPER_SNAKE key; a bad value
fails at start-up with the key named, never later on a hot path.
"""

from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import urlparse

_MISSING = object()


class ConfigError(Exception):
    pass


def setting(config: Mapping, key: str, default: Any = _MISSING, cast: Callable = str) -> Any:
    """The value of ``key``; an empty string counts as unset."""
    raw = config.get(key)
    if raw is None or raw == "":
        if default is _MISSING:
            raise ConfigError(f"configuration {key} is required")
        return default
    try:
        return cast(raw)
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"configuration {key}={raw!r} is not a valid {cast.__name__}") from exc


def as_bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in {"1", "true", "yes", "on"}:
        return True
    if text in {"0", "false", "no", "off"}:
        return False
    raise ValueError(value)


as_bool.__name__ = "boolean"


def mongo_target(config: Mapping, service: str) -> tuple[str, str]:
    """(uri, database name) for ``service``.

    ``<SERVICE>_MONGO_URI`` lets each service live on its own server; otherwise the
    shared ``MONGO_URI`` is used. A database named in the URI path wins; otherwise
    the name is ``DB_PREFIX`` + service, so isolated runs never share a database.
    """
    uri = setting(config, f"{service.upper()}_MONGO_URI", default=None) or setting(config, "MONGO_URI")
    path_db = urlparse(uri).path.lstrip("/")
    if path_db:
        return uri, path_db
    return uri, setting(config, "DB_PREFIX", default="civicgrid_") + service
