"""Ids a test can foresee, for the pure code that takes its new ids as input (``shared.ids.Ids``)."""

import itertools
import uuid

from shared.ids import Ids


def counting() -> Ids:
    """The n-th id asked for, whatever its kind: ``M00…01``, then an event's UUID ``00…02``, and so on."""
    numbers = itertools.count(1)
    return Ids(new=lambda prefix: f"{prefix}{next(numbers):026d}", event=lambda: str(uuid.UUID(int=next(numbers))))
