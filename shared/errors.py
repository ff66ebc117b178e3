"""The error vocabulary every service raises and the gateway maps to HTTP.

Each class registers itself with nameko's exception registry, so an error raised
in a service comes back to an RPC caller as the same type (not a bare
``RemoteError``) — provided the caller imported the class too, which is why every
error that crosses RPC lives here and not in a service package. The constructor takes only JSON-safe positional
arguments for the same reason: nameko rebuilds the exception from ``exc.args``.

An error a person may read is raised with ``of(reason, details, **params)``: ``reason`` is its key in
the texts catalogue (``shared/texts.py``), which holds its English message and its Chinese one; the
gateway answers the key and the parameters beside the English message, and the app shows the text in
the reader's language (``tests/unit/test_error_texts.py`` finds every raise without one).
"""

import json

from nameko.exceptions import deserialize_to_instance

from shared import texts


def _as_json(value: dict | str | None) -> str:
    return value if isinstance(value, str) else json.dumps(value or {}, default=str)


class CivicgridError(Exception):
    """Base of every expected error. ``code`` is the stable machine-readable name."""

    code = "INTERNAL"

    def __init__(
        self,
        message: str,
        details: dict | str | None = None,
        reason: str | None = None,
        params: dict | str | None = None,
    ):
        # details and params travel as JSON text: nameko turns every other argument's numbers and booleans into
        # strings on the way through RPC ("version": "2"), and the API answers with what arrives
        super().__init__(message, _as_json(details), reason, _as_json(params))

    @classmethod
    def of(cls, reason: str, details: dict | None = None, **params):
        """The error whose text is ``reason`` in the catalogue, its English rendering as the message."""
        return cls(texts.render(reason, params, "en"), details, reason, params)

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        deserialize_to_instance(cls)

    @property
    def message(self) -> str:
        return self.args[0]

    @property
    def details(self) -> dict:
        return json.loads(self.args[1]) if len(self.args) > 1 else {}

    @property
    def reason(self) -> str | None:
        return self.args[2] if len(self.args) > 2 else None

    @property
    def params(self) -> dict:
        return json.loads(self.args[3]) if len(self.args) > 3 else {}

    def __str__(self) -> str:
        return self.message


deserialize_to_instance(CivicgridError)


class ValidationFailed(CivicgridError):
    """Input failed its schema; ``details["fields"]`` holds marshmallow's messages."""

    code = "VALIDATION_ERROR"

    @classmethod
    def from_messages(cls, messages: dict):
        return cls.of("request.invalid_fields", {"fields": messages})


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


class LastAdministrator(Conflict):
    """The change would leave no active administrator: nobody could manage people any more."""

    code = "LAST_ADMINISTRATOR"


class Unauthenticated(CivicgridError):
    code = "UNAUTHENTICATED"


class Forbidden(CivicgridError):
    code = "FORBIDDEN"


class TooManyRequests(CivicgridError):
    code = "TOO_MANY_REQUESTS"


class ServiceUnavailable(CivicgridError):
    code = "SERVICE_UNAVAILABLE"
