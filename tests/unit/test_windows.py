"""Windows of time for newest- or oldest-first reads, and ids as moments."""

from datetime import UTC, datetime, timedelta

import pytest

from shared.ids import first_id_at, moment_of, new_id, ulid
from shared.windows import FIRST_WINDOW, GROWTH, gather, spans

NOW = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)


def test_spans_go_back_growing_and_end_exactly_at_the_end():
    end = NOW - timedelta(days=30)
    got = list(spans(NOW, end))
    assert got[0] == (NOW, NOW - FIRST_WINDOW)
    assert all(a[1] == b[0] for a, b in zip(got, got[1:], strict=False))  # each starts where the last stopped
    assert (got[1][0] - got[1][1]) == FIRST_WINDOW * GROWTH
    assert got[-1][1] == end and len(got) == 5  # 1 h, 8 h, 64 h, 21 d, the rest


def test_spans_forward_and_a_start_past_the_end_is_one_empty_span():
    assert list(spans(NOW, NOW + timedelta(minutes=30), backwards=False)) == [(NOW, NOW + timedelta(minutes=30))]
    assert list(spans(NOW, NOW + timedelta(days=1))) == [(NOW, NOW + timedelta(days=1))]


def test_without_an_end_the_last_span_is_open():
    got = list(spans(NOW, None))
    assert got[-1][1] is None and got[-2][1] < NOW - timedelta(days=365 * 30) and len(got) == 8


def test_an_id_says_when_it_was_made_and_orders_after_the_first_id_of_that_moment():
    ms = int(NOW.timestamp() * 1000)
    made = "N" + ulid(ms)
    assert moment_of(made, "N") == NOW
    assert first_id_at("N", NOW) <= made < first_id_at("N", NOW + timedelta(milliseconds=1))
    assert moment_of(new_id("N"), "N") > NOW - timedelta(days=3650)


@pytest.mark.parametrize("bad", ["C01JD0000000000000000000000", "N01", "Nnot-a-ulid-at-all", ""])
def test_something_else_is_not_an_id(bad):
    with pytest.raises(ValueError):
        moment_of(bad, "N")


def test_dates_at_the_calendars_ends_make_no_overflow():
    far_future, far_past = datetime(9999, 12, 31, tzinfo=UTC), datetime(1, 1, 2, tzinfo=UTC)
    assert list(spans(far_future, NOW))[-1][1] == NOW
    assert list(spans(far_past, NOW))[-1] == (far_past, NOW)  # a start already past the end: one empty span
    assert list(spans(far_past, far_future, backwards=False))[-1][1] == far_future
    assert list(spans(NOW, far_past))[-1][1] == far_past


def test_gather_reads_window_after_window_until_it_has_enough():
    asked = []

    def read(near, far, near_open, room):
        asked.append((near, far, near_open, room))
        return ["doc"] * min(room, 3)

    assert gather(read, NOW, NOW - timedelta(days=30), 5, start_open=True) == ["doc"] * 5
    assert [(a[2], a[3]) for a in asked] == [(True, 5), (True, 2)]  # going back, every near end was read before
    asked.clear()
    assert gather(read, NOW, NOW + timedelta(days=30), 9, backwards=False) == ["doc"] * 9
    assert [a[2] for a in asked] == [False, False, False]  # going forward, each window's near end is its own
    asked.clear()
    gather(read, NOW, NOW - timedelta(days=30), 100, windowed=False)
    assert asked == [(NOW, NOW - timedelta(days=30), False, 100)]
