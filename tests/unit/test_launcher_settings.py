"""What the launcher gives each process and store, decided from the environment before anything starts."""

from deploy.launcher import max_workers, single_store_data


def test_the_indicators_take_more_messages_at_once_and_anyone_may_be_told_otherwise():
    assert max_workers("indicators", {}) == "64"  # its batches hold at most what it has in hand
    assert max_workers("cases", {}) is None and max_workers("gateway", {}) is None  # MAX_WORKERS, as for all
    assert max_workers("indicators", {"INDICATORS_MAX_WORKERS": "16"}) == "16"
    assert max_workers("gateway", {"GATEWAY_MAX_WORKERS": "40"}) == "40"


def test_a_data_directory_of_one_store_for_all_is_recognised(tmp_path):
    assert not single_store_data(str(tmp_path)) and not single_store_data(":memory:")
    (tmp_path / "WiredTiger").write_text("WiredTiger\n")
    assert single_store_data(str(tmp_path))
