"""Which failures of a handler wait without using up the message's attempts."""

import pytest
from pymongo.errors import AutoReconnect, DuplicateKeyError, OperationFailure

from shared.errors import Conflict, ServiceUnavailable
from shared.messaging import is_transient


def write_conflict() -> OperationFailure:
    """What the store answers a transaction that lost a write conflict to another's."""
    return OperationFailure("WriteConflict error", 112, {"code": 112, "errorLabels": ["TransientTransactionError"]})


@pytest.mark.parametrize(
    "error", [AutoReconnect("store restarting"), ServiceUnavailable("no reference data yet"), write_conflict()]
)
def test_outages_and_transactions_the_store_calls_worth_retrying_use_up_no_attempts(error):
    assert is_transient(error)


@pytest.mark.parametrize(
    "error",
    [OperationFailure("bad update", 9), DuplicateKeyError("taken"), Conflict("changed meanwhile"), ValueError("a bug")],
)
def test_other_failures_use_up_attempts(error):
    assert not is_transient(error)


def test_the_retry_delays_double_up_to_the_longest_and_a_zero_base_is_refused():
    import pytest

    from shared.config import ConfigError
    from shared.topology import retry_delays

    assert retry_delays({}) == [1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 60.0]
    assert retry_delays({"EVENT_RETRY_BASE_SECONDS": 0.1, "EVENT_RETRY_MAX_SECONDS": 0.5}) == [0.1, 0.2, 0.4, 0.5]
    for bad in (
        {"EVENT_RETRY_BASE_SECONDS": 0},
        {"EVENT_RETRY_BASE_SECONDS": -1},
        {"EVENT_RETRY_BASE_SECONDS": 5, "EVENT_RETRY_MAX_SECONDS": 1},
    ):
        with pytest.raises(ConfigError, match="EVENT_RETRY_BASE_SECONDS"):
            retry_delays(bad)


def test_each_publisher_keeps_its_own_connection_options_so_one_without_confirms_cannot_switch_them_off():
    from nameko.amqp.publish import Publisher

    from shared.bus import publisher

    confirming, unconfirmed = publisher("amqp://x/", use_confirms=True), publisher("amqp://x/", use_confirms=False)
    assert confirming.transport_options is not unconfirmed.transport_options
    assert all(made.transport_options is not Publisher.transport_options for made in (confirming, unconfirmed))
    assert confirming.publish_kwargs["timeout"] > 0  # a confirm that never comes fails the publish, which is retried
