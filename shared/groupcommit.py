"""Group commit: events handled at the same moment by one process share one store transaction.

A consumer's handler hands its event to ``GroupCommit.submit`` and returns (so the
message is acked) only once a transaction holding the event has committed — the
same promise as committing alone. Transactions run one at a time; while one runs,
the events that arrive wait, and the next transaction takes all of them. At a low
rate a batch holds one event; under load the store's cost per event falls as the
batches grow. If a batch fails, each of its events is tried alone, so one bad
event fails only its own message (which the consumer then retries or dead-letters).

``linger`` makes a batch wait that long for company before it commits (unless it is
full): for a read model that may run a moment behind, the events of one case — which
arrive within a few tens of milliseconds of each other and move the same counters —
then share one transaction even at a low rate. A consumer lingering so needs as many
workers (messages in flight) as a batch may hold; a batch that fills (``max_batch``) stops
lingering and commits at once, so a limit no larger than the workers keeps a long linger
from capping the rate at workers ÷ linger.
"""

from eventlet.event import Event
from eventlet.semaphore import Semaphore

_DONE, _ALONE = "done", "alone"


class _Slot:
    __slots__ = ("item", "outcome")

    def __init__(self, item):
        self.item = item
        self.outcome: str | None = None


class GroupCommit:
    def __init__(self, max_batch: int = 100, linger: float = 0.0):
        self._max_batch = max_batch
        self._linger = linger
        self._waiting: list[_Slot] = []
        self._turn = Semaphore(1)
        self._filled: Event | None = None  # set while a batch lingers: sent when it is full

    def submit(self, item, commit) -> None:
        """Return once ``item`` is committed; raise what committing it alone raised.

        ``commit(items)`` stores items in one transaction, raising if it did not commit; the caller whose turn
        it is commits the batch with its own ``commit`` (its worker's connection).
        """
        slot = _Slot(item)
        self._waiting.append(slot)
        filled = self._filled
        if filled is not None and not filled.ready() and len(self._waiting) >= self._max_batch:
            filled.send()
        with self._turn:
            if slot.outcome is None and self._linger and len(self._waiting) < self._max_batch:
                # holding the turn: what arrives meanwhile joins this batch, until the linger ends or it is full
                self._filled = Event()
                try:
                    self._filled.wait(self._linger)
                finally:
                    self._filled = None
            while slot.outcome is None:  # no earlier batch took it: take everything waiting, from the oldest
                batch = self._waiting[: self._max_batch]
                del self._waiting[: self._max_batch]
                outcome = _ALONE
                try:
                    commit([s.item for s in batch])
                    outcome = _DONE
                except Exception:  # noqa: BLE001 - each of the batch is tried alone and raises its own error
                    pass
                finally:
                    for waiting in batch:
                        waiting.outcome = outcome
            if slot.outcome == _ALONE:
                commit([item])
