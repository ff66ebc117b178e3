"""Every civicgrid client states its write concern and retryable writes; nothing is left to the driver's defaults."""

from shared.mongo import client_options


def test_writes_are_majority_and_journaled_with_retryable_writes_on():
    assert client_options("mongodb://a:27017,b:27017/?replicaSet=rs", {}) == {
        "w": "majority",
        "journal": True,
        "retryWrites": True,
    }


def test_a_uri_that_turns_retryable_writes_off_is_obeyed():
    # the embedded store's URI does: SecantusDB pays for each retryable write with a scan of its records
    assert "retryWrites" not in client_options("mongodb://127.0.0.1:1/?directConnection=true&retryWrites=false", {})


def test_the_setting_can_turn_retryable_writes_off():
    assert client_options("mongodb://a/", {"MONGO_RETRY_WRITES": "false"})["retryWrites"] is False
