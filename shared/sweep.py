"""A scan over due work that nothing can stall: in due order, a page at a time, past what cannot be done now.

An unsorted "find what is due, first N" lets the items that cannot be done now (a
case whose category has not arrived, an event no queue receives) stay in front and
take every batch, so the work behind them waits for ever. A sweep reads in a fixed
order — due time, then id — and goes on after the last item it handed out, whatever
became of it; a run stops after ``limit`` items, and the next run goes on from there,
starting from the first again once a run has reached the end. Every due item is thus
met within a few runs, however many cannot be done.
"""

from collections.abc import Callable, Iterator
from typing import Any


class Sweep:
    def __init__(self, page: int, limit: int):
        self.page = page
        self.limit = limit
        self.after: Any = None  # the place of the last item handed out; None: the next run starts at the first

    def run(
        self,
        read: Callable[[Any, int], tuple[list, bool]],
        place: Callable[[Any], Any],
        go_on: Callable[[], bool] = lambda: True,
    ) -> Iterator:
        """The due items from where the last run stopped, at most ``limit``, while ``go_on()``.

        ``read(after, size)`` gives up to ``size`` items placed after ``after`` (None: from the first), in order,
        and whether there may be more; ``place(item)`` is an item's (due time, id).
        """
        handed = 0
        while handed < self.limit and go_on():
            items, more = read(self.after, min(self.page, self.limit - handed))
            for item in items:
                if not go_on():
                    return
                self.after = place(item)  # before the caller works on it: an item that fails is not met again first
                handed += 1
                yield item
            if not more:
                self.after = None
                return
