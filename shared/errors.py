"""The error vocabulary every service raises and the gateway maps to HTTP.

Each class registers itself with nameko's exception registry, so an error raised
in a service comes back to an RPC caller as the same type (not a bare
``RemoteError``) — provided the caller imported the class too, which is why every
error that crosses RPC lives here and not in a service package. The constructor takes only JSON-safe positional arguments for the
same reason: nameko rebuilds the exception from ``exc.args``.
"""

import json

from nameko.exceptions import deserialize_to_instance


class CivicgridError(Exception):
    """Base of every expected error. ``code`` is the stable machine-readable name."""

    code = "INTERNAL"

    def __init__(self, message: str, details: dict | str | None = None):
        # details travel as JSON text: nameko turns every other argument's numbers and booleans into
        # strings on the way through RPC ("version": "2"), and the API answers with what arrives
        super().__init__(message, details if isinstance(details, str) else json.dumps(details or {}, default=str))

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        deserialize_to_instance(cls)

    @property
    def message(self) -> str:
        return self.args[0]

    @property
    def details(self) -> dict:
        return json.loads(self.args[1]) if len(self.args) > 1 else {}

    def __str__(self) -> str:
        return self.message


deserialize_to_instance(CivicgridError)


class ValidationFailed(CivicgridError):
    """Input failed its schema; ``details["fields"]`` holds marshmallow's messages."""

    code = "VALIDATION_ERROR"

    @classmethod
    def from_messages(cls, messages: dict, message: str = "The request has invalid fields."):
        return cls(message, {"fields": messages})


class Unprocessable(CivicgridError):
    """Well-formed input that names something the system does not know or allow."""

    code = "UNPROCESSABLE"


class UnknownCategory(Unprocessable):
    code = "UNKNOWN_CATEGORY"


class UnsupportedFile(Unprocessable):
    code = "UNSUPPORTED_FILE"


class FileTooLarge(Unprocessable):
    code = "FILE_TOO_LARGE"


class UnknownGrid(Unprocessable):
    code = "UNKNOWN_GRID"


class OutsideEveryGrid(Unprocessable):
    code = "OUTSIDE_GRIDS"


class NotFound(CivicgridError):
    code = "NOT_FOUND"


class Conflict(CivicgridError):
    """The request races or contradicts the current state (a lost update, a reused key)."""

    code = "CONFLICT"


class WrongState(Conflict):
    """The action does not apply to the case in its present state."""

    code = "WRONG_STATE"


class Unauthenticated(CivicgridError):
    code = "UNAUTHENTICATED"


class Forbidden(CivicgridError):
    code = "FORBIDDEN"


class TooManyRequests(CivicgridError):
    code = "TOO_MANY_REQUESTS"


class ServiceUnavailable(CivicgridError):
    code = "SERVICE_UNAVAILABLE"
