import pytest

from bench.stats import percentile, summary_ms


def test_a_percentile_is_a_latency_some_request_really_had():
    values = [0.5, 0.1, 0.4, 0.2, 0.3]
    assert percentile(values, 50) == 0.3
    assert percentile(values, 100) == 0.5
    assert percentile(values, 0) == 0.1
    assert percentile(list(range(1, 101)), 99) == 99


def test_no_values_have_no_percentile_and_a_bad_rank_is_refused():
    assert percentile([], 99) is None
    with pytest.raises(ValueError):
        percentile([1.0], 101)


def test_summaries_are_in_milliseconds():
    assert summary_ms([0.010, 0.020, 0.250]) == {"n": 3, "p50": 20.0, "p95": 250.0, "p99": 250.0, "max": 250.0}
    assert summary_ms([])["p99"] is None
