"""Which failures of a handler wait without using up the message's attempts."""

import pytest
from pymongo.errors import AutoReconnect, DuplicateKeyError, OperationFailure

from shared.errors import Conflict, ServiceUnavailable
from shared.messaging import is_transient


def write_conflict() -> OperationFailure:
    """What the store answers a transaction that lost a write conflict to another's."""
    return OperationFailure("WriteConflict error", 112, {"code": 112, "errorLabels": ["TransientTransactionError"]})


@pytest.mark.parametrize("error", [AutoReconnect("store restarting"), ServiceUnavailable("no reference data yet"),
                                   write_conflict()])
def test_outages_and_transactions_the_store_calls_worth_retrying_use_up_no_attempts(error):
    assert is_transient(error)


@pytest.mark.parametrize("error", [OperationFailure("bad update", 9), DuplicateKeyError("taken"),
                                   Conflict("changed meanwhile"), ValueError("a bug")])
def test_other_failures_use_up_attempts(error):
    assert not is_transient(error)
