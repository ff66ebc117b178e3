"""The one table that turns errors into HTTP answers.

Bodies are ``{"error": CODE, "message": ..., "correlation_id": ...}`` plus ``fields``
for validation errors and ``details`` for others that carry any (``ErrorSchema``
documents them), and ``reason`` and ``params`` when the error has a text of its own (its key
in ``shared/texts.json``: the app renders it in the reader's language). Lookup walks the
exception's class hierarchy, so a subclass (``UnknownCategory``) inherits its parent's
status (422) unless listed itself.
Anything unlisted is a 500 whose body says nothing about the internals.
"""

import logging

from nameko.exceptions import RemoteError, UnknownService

from shared.errors import (
    CivicgridError,
    Conflict,
    Forbidden,
    NotFound,
    ServiceUnavailable,
    TooManyRequests,
    Unauthenticated,
    Unprocessable,
    ValidationFailed,
)
from shared.rpc import RpcTimedOut

_log = logging.getLogger(__name__)

STATUS_BY_ERROR: dict[type, int] = {
    ValidationFailed: 400,
    Unauthenticated: 401,
    Forbidden: 403,
    NotFound: 404,
    Conflict: 409,
    Unprocessable: 422,
    TooManyRequests: 429,
    ServiceUnavailable: 503,
    RpcTimedOut: 504,
    CivicgridError: 500,
}


def status_for(exc: BaseException) -> int | None:
    return status_of(type(exc))


def status_of(error_class: type) -> int | None:
    """The status of an error class (the OpenAPI document reads the same table)."""
    for cls in error_class.__mro__:
        if cls in STATUS_BY_ERROR:
            return STATUS_BY_ERROR[cls]
    return None


def error_body(exc: BaseException, correlation_id: str | None = None) -> tuple[int, dict]:
    """(status, body) for ``exc``."""
    status = status_for(exc)
    if status is not None:
        body = {"error": exc.code, "message": exc.message}
        if exc.reason:
            body["reason"] = exc.reason
            if exc.params:
                body["params"] = exc.params
        if isinstance(exc, ValidationFailed):
            body["fields"] = exc.details.get("fields", {})
        elif exc.details:
            body["details"] = exc.details
    elif isinstance(exc, UnknownService):
        status, body = 503, {"error": "SERVICE_UNAVAILABLE", "message": "A service is not running."}
    else:
        kind = exc.exc_type if isinstance(exc, RemoteError) else type(exc).__name__
        _log.error("unhandled %s (correlation %s): %s", kind, correlation_id, exc)
        status, body = 500, {"error": "INTERNAL", "message": "Internal error."}
    if status >= 500 and status != 500:
        _log.warning("upstream problem (correlation %s): %s", correlation_id, exc)
    if correlation_id:
        body["correlation_id"] = correlation_id
    return status, body
