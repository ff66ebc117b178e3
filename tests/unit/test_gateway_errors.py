import pytest
from nameko.exceptions import RemoteError, UnknownService

from gateway.errors import error_body
from shared.errors import (
    Conflict,
    Forbidden,
    NotFound,
    ServiceUnavailable,
    Unauthenticated,
    UnknownCategory,
    Unprocessable,
    ValidationFailed,
)
from shared.rpc import RpcTimedOut


@pytest.mark.parametrize(
    "exc, status, code",
    [
        (ValidationFailed.from_messages({"x": ["bad"]}), 400, "VALIDATION_ERROR"),
        (Unauthenticated("who?"), 401, "UNAUTHENTICATED"),
        (Forbidden("no"), 403, "FORBIDDEN"),
        (NotFound("none"), 404, "NOT_FOUND"),
        (Conflict("race"), 409, "CONFLICT"),
        (Unprocessable("odd"), 422, "UNPROCESSABLE"),
        (UnknownCategory("Unknown category 'x'.", {"category": "x"}), 422, "UNKNOWN_CATEGORY"),
        (ServiceUnavailable("down"), 503, "SERVICE_UNAVAILABLE"),
        (RpcTimedOut("slow"), 504, "UPSTREAM_TIMEOUT"),
        (UnknownService("cases"), 503, "SERVICE_UNAVAILABLE"),
        (RemoteError("KeyError", "'secret'"), 500, "INTERNAL"),
        (RuntimeError("boom at /srv/secret.py"), 500, "INTERNAL"),
    ],
)
def test_every_error_maps_to_one_status_and_code(exc, status, code):
    got_status, body = error_body(exc, "X1")
    assert (got_status, body["error"]) == (status, code)
    assert body["correlation_id"] == "X1"


def test_validation_errors_list_the_fields():
    _, body = error_body(ValidationFailed.from_messages({"location": {"lat": ["Missing."]}}))
    assert body["fields"] == {"location": {"lat": ["Missing."]}}


def test_internal_errors_reveal_nothing():
    _, body = error_body(RuntimeError("boom at /srv/secret.py"))
    assert body == {"error": "INTERNAL", "message": "Internal error."}


def test_errors_survive_the_rpc_round_trip():
    from nameko.exceptions import deserialize, serialize

    back = deserialize(serialize(UnknownCategory("Unknown category 'x'.", {"category": "x"})))
    assert isinstance(back, UnknownCategory)
    assert back.details == {"category": "x"}


def test_every_error_that_crosses_rpc_is_declared_in_shared_errors():
    """nameko rebuilds a remote error only if the caller imported its class: the gateway imports shared.errors."""
    import importlib
    import pkgutil

    import services
    from shared.errors import CivicgridError

    for module in pkgutil.walk_packages(services.__path__, "services."):
        if not module.name.endswith(("cli",)):
            importlib.import_module(module.name)

    def subclasses(cls):
        for sub in cls.__subclasses__():
            yield sub
            yield from subclasses(sub)

    strays = {
        f"{c.__module__}.{c.__name__}"
        for c in subclasses(CivicgridError)
        if c.__module__ not in {"shared.errors", "shared.rpc"}
    }
    assert not strays


def test_an_error_with_a_text_of_its_own_names_its_key_and_parameters_beside_the_english_message():
    status, body = error_body(UnknownCategory.of("category.unknown", {"category": "xyz"}, category="xyz"), "corr-1")
    assert status == 422 and body == {
        "error": "UNKNOWN_CATEGORY",
        "message": "Unknown category 'xyz'.",
        "reason": "category.unknown",
        "params": {"category": "xyz"},
        "details": {"category": "xyz"},
        "correlation_id": "corr-1",
    }
    status, body = error_body(ValidationFailed.from_messages({"note": ["Missing data for required field."]}))
    assert (status, body["reason"], body["fields"]) == (
        400,
        "request.invalid_fields",
        {"note": ["Missing data for required field."]},
    )
