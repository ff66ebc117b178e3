"""Newest (or oldest) first, a window of time at a time.

The embedded store (SecantusDB) reads every document an index range holds before it
sorts and limits, so "the 30 newest" over an unbounded range costs the whole range and
grows with the data (a case list page took ~1.2 s at 20,000 cases). Asked a window at
a time — the last hour, then eight times as much, and so on until the page is full —
a page costs what its windows hold. The windows cut the very field the page is sorted
by, so the answer is exact whatever the data's spread; only the cost depends on it.
"""

from collections.abc import Iterator
from datetime import datetime, timedelta

FIRST_WINDOW, GROWTH = timedelta(hours=1), 8
_FOREVER = timedelta(days=365 * 100)  # past this a window without an end goes to the end


def spans(
    start: datetime, end: datetime | None, *, backwards: bool = True
) -> Iterator[tuple[datetime, datetime | None]]:
    """``(near, far)`` from ``start`` towards ``end`` (None: no end): each span starts where the last one stopped
    and is ``GROWTH`` times as wide; the last one's ``far`` is ``end``."""
    near, width = start, FIRST_WINDOW
    while True:
        # decided before any arithmetic: a date near the calendar's ends must not overflow
        if end is None and width > _FOREVER:
            yield near, None
            return
        if end is not None and ((near - end) if backwards else (end - near)) <= width:
            yield near, end
            return
        far = near - width if backwards else near + width
        yield near, far
        near, width = far, width * GROWTH


def gather(
    read,
    start: datetime,
    end: datetime | None,
    want: int,
    *,
    backwards: bool = True,
    start_open: bool = False,
    windowed: bool = True,
) -> list:
    """Up to ``want`` documents, window after window of ``spans`` (one span from ``start`` to ``end`` when not
    ``windowed``), in the order the windows go.

    ``read(near, far, near_open, room)`` returns at most ``room`` documents of one window, sorted: going back it
    is ``[far, near]``, going forward ``[near, far)`` (``far`` included when it is ``end``; None: no bound); the
    near end is left out when ``near_open`` — the first window's when ``start_open`` (a cursor's own moment was
    read already), and every later one's going back, whose near end the window before included.
    """
    found: list = []
    near_open = start_open
    for near, far in spans(start, end, backwards=backwards) if windowed else [(start, end)]:
        found += read(near, far, near_open, want - len(found))
        if len(found) >= want:
            break
        near_open = backwards
    return found
