"""A sweep over due work: in order, bounded per run, going on where the last run stopped, past what fails."""

from shared.sweep import Sweep


def reader(items):
    """``read`` over ``items`` (sorted places); records each call."""
    calls = []

    def read(after, size):
        calls.append((after, size))
        ahead = [i for i in items if after is None or i > after]
        return ahead[:size], len(ahead) > size

    return read, calls


def place(item):
    return item


def test_a_run_reads_page_after_page_in_order():
    read, calls = reader(list(range(10)))
    assert list(Sweep(page=4, limit=100).run(read, place)) == list(range(10))
    assert calls == [(None, 4), (3, 4), (7, 4)]


def test_a_run_stops_at_its_limit_and_the_next_goes_on_from_there_then_starts_again():
    read, _ = reader(list(range(10)))
    sweep = Sweep(page=3, limit=4)
    assert list(sweep.run(read, place)) == [0, 1, 2, 3]
    assert list(sweep.run(read, place)) == [4, 5, 6, 7]
    assert list(sweep.run(read, place)) == [8, 9]  # the end
    assert list(sweep.run(read, place)) == [0, 1, 2, 3]


def test_items_the_caller_passes_over_do_not_hold_up_the_ones_behind_them():
    stuck = list(range(0, 50))  # due first, and never done
    read, _ = reader([*stuck, 100, 101])
    done = [i for i in Sweep(page=10, limit=1000).run(read, place) if i >= 100]
    assert done == [100, 101]


def test_a_run_stops_when_told_and_the_next_goes_on_after_the_last_item_it_handed_out():
    read, _ = reader(list(range(10)))
    sweep = Sweep(page=5, limit=100)
    budget = iter([True, True, True, False])
    assert list(sweep.run(read, place, go_on=lambda: next(budget))) == [0, 1]
    assert list(sweep.run(read, place)) == list(range(2, 10))


def test_an_item_that_fails_is_not_the_first_met_next_run():
    read, _ = reader(list(range(5)))
    sweep = Sweep(page=5, limit=100)
    for item in sweep.run(read, place):
        if item == 2:
            break  # the caller failed on it
    assert next(sweep.run(read, place)) == 3
