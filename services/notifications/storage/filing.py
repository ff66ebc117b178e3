"""Filing what events produced, several events in one set of writes (group commit, ``shared/groupcommit.py``).

Each event handled files its inbox entries, its deliveries and its live-feed entry. Handled one by one, that is three
store commands per event, each paying the store's cost per command (its parsing, its journal sync) besides the cost
per document. Here the events a process handles at the same moment share them: while one batch is being written,
the events that arrive wait, and the next batch takes them all (waiting ``NOTIFY_LINGER_SECONDS`` for company first)
— one ``insert_many`` for all their inbox entries, one for all their deliveries, one for their feed entries.

The guarantees are the ones of filing alone:

- **acknowledged after the writes**: ``file_event`` returns only once a batch holding the event has been written; the
  consumer acknowledges the event after that;
- **filed once**: every inbox entry and delivery carries its ``dedup_key`` under a unique index, and an event is in the
  feed once (``event_id`` unique), so an event redelivered — in a later batch, or twice in one — files nothing twice;
- **one event's failure is its own**: if a batch fails, each of its events is filed again alone, and only an event
  that fails alone fails its message (retried, then dead-lettered). What the failed batch had stored stays and is
  skipped by the retry; its deliveries claimed to be sent at once are then left to the courier's scan, which sends
  them once their claim lapses (``outgoing.py``), as for any redelivered event.
"""

from dataclasses import dataclass, field

from services.notifications.storage.indexes import DELIVERIES, INBOX


@dataclass
class Filing:
    """What one event files, and — once a batch holding it is written — what became of it: ``stored``, the ids of its
    deliveries stored by this filing (not by an earlier delivery of the event); ``feed``, its feed entries as stored
    (with their numbers), in order. An event has one feed entry, but for a dispatch that registered the case in the
    same decision, which has one per stage it tells of (``shared/events/stages.py``)."""

    inbox: list[dict]
    deliveries: list[dict]
    feed_entries: list[dict]
    stored: set[str] = field(default_factory=set)
    feed: list[dict] = field(default_factory=list)


class FilingVerbs:
    """A part of ``NotificationRepository`` (``self.filings``, the process's ``GroupCommit``; ``self.bursts``, the
    messages it knows were made lately; ``_insert_new`` and ``append_feed_many`` of the other parts)."""

    def file_event(self, filing: Filing) -> Filing:
        """Write ``filing`` in a batch with whatever other events this process is filing now; returns it, filled in
        (``stored``, ``feed``), once written. Raises what writing it alone raised."""
        self.filings.submit(filing, self._file_batch)
        return filing

    def _file_batch(self, filings: list[Filing]) -> None:
        self._insert_new(INBOX, [d for f in filings for d in f.inbox])
        made = self._insert_new(DELIVERIES, [d for f in filings for d in f.deliveries])
        self.bursts.filed(made)
        stored = {d["_id"] for d in made}
        entries = iter(self.append_feed_many([e for f in filings for e in f.feed_entries]))
        for filing in filings:
            filing.stored = {d["_id"] for d in filing.deliveries if d["_id"] in stored}
            filing.feed = [next(entries) for _ in filing.feed_entries]
