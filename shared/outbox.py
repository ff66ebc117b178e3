"""Transactional outbox and its relay.

A state change and the events it causes are written in the same single-document
write: pending events ride in the document's ``_outbox`` array. After the write the
relay publishes them (publisher confirms, mandatory routing) and pulls them from the
document once the broker has confirmed them. It publishes what it has at hand (the
entries handed over meanwhile, a page of a scan) and then waits for the broker's
confirms of all of them at once (``shared.confirms``), not for each before the next;
an entry the broker refused, returned as unroutable, or did not confirm (a lost
connection, no answer in time) stays in the outbox. If the process dies in between,
the events are still in the store: the relay finds them on start-up and by a periodic
scan over an index on ``_outbox.queued_at``, and publishes them then. An event may
thus be published more than once, never lost; consumers discard the duplicates.

Pulling published events from their documents is work for the store (on the
embedded store a document rewrite costs about as much as an insert, and more the more
indexes the collection has: a case's pull cost its store ~1.4 ms, a third of the
write that carried the event), so it is avoided where it can be and otherwise done by
a second greenthread, behind publishing: publishing never waits for a pull.

- A document written again by this process sheds its published entries in that
  write: ``Repository.update_with_events`` asks the relay which of the document's
  events it has published and not yet pulled (``published_in``), and sets the outbox
  to the write's own entries under the guard "every entry the document holds is one
  of those" — atomic with the rest of the write, so an entry not yet published (one
  still in this relay's hands, or written by another process) is never dropped: the
  guard then misses and the write adds its entries as usual. A case moved through
  its stages is thus rewritten once per event, not twice.
- A document not written again is pulled once it went quiet: a round every
  ``mark_delay`` (a second by default), while any are pending, pulls the documents
  no event was published from for that long (or that have held published ones for
  ``PULL_AT_LATEST`` delays: with the defaults, before the periodic scan, which looks
  only behind its grace period, would meet them), with one ``update_many`` per
  collection for all of them. Should a scan meet an event published but not yet
  pulled, the relay remembers having sent it and only pulls it.

The periodic scan runs in one process of the service at a time, under the ``outbox``
lease (``shared.lease``), oldest entries first and past those it cannot publish (an
event no queue receives stays, and must not keep the ones behind it waiting:
``shared.sweep``). The scan at start-up runs in every process, lease or not: a
process that died holding the lease cannot take it again under its new life until it
lapses, and the events it left are what the start-up scan publishes at once. It runs
once per process life; replicas starting together may each publish the same events,
which the consumers discard.
"""

import logging
import time
from collections import OrderedDict, defaultdict
from datetime import UTC, datetime, timedelta

import eventlet
from eventlet.queue import Empty, LightQueue
from nameko.standalone.events import get_event_exchange
from pymongo import ASCENDING, IndexModel
from pymongo.read_concern import ReadConcern

from shared.bus import PUBLISH_TIMEOUT_SECONDS, connection_name
from shared.confirms import BatchPublisher
from shared.events import Event, to_message
from shared.faults import crash_if_armed
from shared.lease import Lease
from shared.sweep import Sweep
from shared.topology import declare

_log = logging.getLogger(__name__)
_MAJORITY = ReadConcern("majority")

OUTBOX_FIELD = "_outbox"
QUEUED_AT = f"{OUTBOX_FIELD}.queued_at"
OUTBOX_INDEX = IndexModel([(QUEUED_AT, ASCENDING)], sparse=True)
OUTBOX_SCAN = "outbox"  # the name of the relay's lease
# The most events published before waiting for their confirms: the confirm timeout bounds each chunk's wait.
CONFIRM_CHUNK = 250
# A document written again and again keeps its published entries no longer than about this many pull delays (and
# a round): with the defaults, pulled before the periodic scan (5 s behind) would meet them again.
PULL_AT_LATEST = 3


def outbox_entries(events: list[Event]) -> list[dict]:
    """Outbox entries for ``events``; ``queued_at`` is wall time (the relay's clock, not the domain's)."""
    queued_at = datetime.now(UTC)
    return [{"event_id": e.event_id, "type": e.type, "queued_at": queued_at, "message": to_message(e)} for e in events]


class OutboxRelay:
    """Publishes outbox entries of one service's collections; runs as one greenthread."""

    def __init__(
        self,
        db,
        collections,
        service_name,
        amqp_uri,
        config,
        *,
        lease: Lease,
        scan_interval=2.0,
        scan_grace=5.0,
        batch_size=500,
        scan_page=100,
        mark_delay=1.0,
    ):
        self.db = db
        self.collections = tuple(collections)
        self.service_name = service_name
        self.exchange = get_event_exchange(service_name, config)
        # The exchange is declared when the relay starts and again after a failed publish, not before every
        # publish: that costs a third of a publish's CPU (docs/benchmarks.md).
        self.amqp_uri = amqp_uri
        self.publisher = BatchPublisher(
            amqp_uri, timeout=PUBLISH_TIMEOUT_SECONDS, connection_name=f"{connection_name(service_name)} outbox"
        )
        self._declared = False
        self.lease = lease
        self.scan_interval = scan_interval
        self.scan_grace = timedelta(seconds=scan_grace)
        self.batch_size = batch_size  # also the most documents a scan takes per collection
        self.scan_page = scan_page
        # where the periodic scan of each collection stopped: the next one goes on from there
        self._sweeps = {collection: Sweep(scan_page, batch_size) for collection in self.collections}
        self.mark_delay = mark_delay
        self._queue = LightQueue()
        self._published = LightQueue()  # wakes the marker when something was published; None ends it
        # published, not yet pulled: {collection: {doc id: (event ids, first published, last published)}}
        self._pending: dict[str, dict] = defaultdict(dict)
        # documents with entries handed over by kick() and not yet through publishing: (collection, doc id) -> count
        self._handed: defaultdict[tuple, int] = defaultdict(int)
        self._running = False
        self._started_at = datetime.now(UTC)
        # Event ids this relay published lately: a scan racing the fast path must not send twice.
        self._recent: OrderedDict[str, None] = OrderedDict()
        self.published = 0
        # writes that shed published entries (``dropped``), and writes whose guard (or own filter) missed
        self.shed_writes = 0
        self.guard_misses = 0

    # -- called by workers -------------------------------------------------------
    def kick(self, collection: str, doc_id, entries: list[dict]) -> None:
        """Hand over entries just committed in ``collection``/``doc_id`` for immediate publishing."""
        if entries:
            self._handed[(collection, doc_id)] += 1
            self._queue.put((collection, doc_id, entries))

    def published_in(self, collection: str, doc_id) -> frozenset[str]:
        """Event ids this relay has published from ``collection``/``doc_id`` and not yet pulled: what a write of that
        document may drop in passing (``Repository.update_with_events``). Empty while entries this process handed
        over for it are still unconfirmed: the document then holds entries not published, and the write would
        only miss its guard."""
        if self._handed.get((collection, doc_id)):
            return frozenset()
        pending = self._pending.get(collection, {}).get(doc_id)
        return frozenset(pending[0]) if pending else frozenset()

    def dropped(self, collection: str, doc_id, event_ids) -> None:
        """A write of ``collection``/``doc_id`` removed ``event_ids`` (published) from its outbox: nothing to pull."""
        self.shed_writes += 1
        docs = self._pending.get(collection, {})
        pending = docs.get(doc_id)
        if pending is not None:
            pending[0].difference_update(event_ids)
            if not pending[0]:
                del docs[doc_id]

    @property
    def backlog(self) -> int:
        return self._queue.qsize()

    # -- the relay loop ----------------------------------------------------------
    def run(self) -> None:
        self._running = True
        marker = eventlet.spawn(self._mark_loop)
        try:
            self._relay()
        finally:
            self._published.put(None)
            marker.wait()
            self.publisher.close()
            _log.info(
                "outbox: %d event(s) published; %d write(s) shed published entries, %d missed their guard",
                self.published,
                self.shed_writes,
                self.guard_misses,
            )

    def _relay(self) -> None:
        # orphans of an earlier life of this service: in every process, see the module's docstring
        self._scan(self._started_at, {c: Sweep(self.scan_page, self.batch_size) for c in self.collections})
        next_scan = time.monotonic() + self.scan_interval
        while self._running:
            batch = self._take_batch(timeout=max(0.0, next_scan - time.monotonic()))
            if batch:
                self._publish_handed(batch)
            if time.monotonic() >= next_scan:
                if self.lease.try_acquire():
                    # Entries younger than the grace period may still be in another replica's hands.
                    self._scan(datetime.now(UTC) - self.scan_grace, self._sweeps, self.lease.held)
                next_scan = time.monotonic() + self.scan_interval
        # A graceful stop publishes what workers handed over, so the scan finds nothing.
        while batch := self._take_batch(timeout=None):
            self._publish_handed(batch)

    def _publish_handed(self, batch) -> None:
        """Publish what workers handed over; their documents then hold no entry of this process in flight."""
        try:
            self._publish_batch(batch)
        finally:
            for collection, doc_id, _ in batch:
                key = (collection, doc_id)
                self._handed[key] -= 1
                if self._handed[key] <= 0:
                    del self._handed[key]

    def stop(self) -> None:
        self._running = False
        self._queue.put(None)  # wakes the loop

    def _take_batch(self, timeout: float | None) -> list:
        """Up to ``batch_size`` queued items; waits ``timeout`` for the first (None: no wait)."""
        batch = []
        try:
            item = self._queue.get_nowait() if timeout is None else self._queue.get(timeout=timeout)
        except Empty:
            return batch
        while True:
            if item is not None:
                batch.append(item)
            if len(batch) >= self.batch_size:
                return batch
            try:
                item = self._queue.get_nowait()
            except Empty:
                return batch

    def _scan(self, cutoff: datetime, sweeps: dict[str, Sweep], go_on=lambda: True) -> None:
        """Publish what was queued at or before ``cutoff`` and is still in the outbox, oldest first."""
        for collection in self.collections:
            found = 0
            batch = []
            try:
                for doc in sweeps[collection].run(self._orphans(collection, cutoff), orphan_place, go_on):
                    batch.append((collection, doc["_id"], doc.get(OUTBOX_FIELD, [])))
                    if len(batch) >= self.scan_page:
                        found += len(batch)
                        self._publish_batch(batch)
                        batch = []
            except Exception:  # the store may be restarting; the next scan retries
                _log.exception("outbox scan of %s failed", collection)
            if batch:
                found += len(batch)
                self._publish_batch(batch)
            if found:
                _log.info("outbox: republishing %d document(s) from %s", found, collection)

    def _orphans(self, collection: str, cutoff: datetime):
        """``read`` of a sweep (``shared.sweep``) over documents with entries queued at or before ``cutoff``.

        A document is placed by its oldest entry. An index range on an array field also matches a document by a
        newer entry, though its oldest was met before: such documents are left out of the rest of the run.
        """
        met: list = []

        def read(after, size):
            query = {QUEUED_AT: {"$lte": cutoff} if after is None else {"$gte": after[0], "$lte": cutoff}}
            if met:
                query["_id"] = {"$nin": met}
            # Majority read concern: an event is published only for a write a majority holds, which no election can
            # roll back (the fast path publishes after a w=majority write; the scan must promise the same).
            docs = list(
                self.db.get_collection(collection, read_concern=_MAJORITY)
                .find(query, {OUTBOX_FIELD: 1})
                .sort([(QUEUED_AT, ASCENDING), ("_id", ASCENDING)])
                .limit(size)
            )
            ahead = [d for d in docs if after is None or orphan_place(d) > after]
            met.extend(d["_id"] for d in docs if after is not None and orphan_place(d) <= after)
            return ahead, len(docs) == size

        return read

    def _publish_batch(self, batch) -> None:
        """Publish the entries of ``batch`` (collection, document id, entries), a chunk at a time, and hand the
        confirmed ones to the marker: an entry leaves its document only once the broker has confirmed it."""
        todo = []
        for collection, doc_id, entries in batch:
            for entry in entries:
                crash_if_armed(self.service_name, "before_publish")
                todo.append((collection, doc_id, entry))
        done: dict[str, dict] = defaultdict(lambda: defaultdict(set))
        for start in range(0, len(todo), CONFIRM_CHUNK):
            chunk = todo[start : start + CONFIRM_CHUNK]
            sent = self._publish([entry for _, _, entry in chunk])
            for collection, doc_id, entry in chunk:
                if entry["event_id"] in sent:
                    done[collection][doc_id].add(entry["event_id"])
        # Known as published at once, before the documents' writers may write them again (``published_in``).
        now = time.monotonic()
        for collection, docs in done.items():
            pending = self._pending[collection]
            for doc_id, event_ids in docs.items():
                ids, first, _ = pending.get(doc_id, (set(), now, now))
                pending[doc_id] = (ids | event_ids, first, now)
        if done:
            self._published.put(True)

    def _publish(self, entries: list[dict]) -> set[str]:
        """Publish ``entries`` and wait for the broker's confirms of them all at once; the event ids sent.

        A failed batch (a lost connection, a channel the broker closed, a nack) is tried once more at once, its
        unconfirmed entries on a new connection (after a failure with the exchange declared again), as nameko's
        publisher retried a publish: after a broker node's loss the events go out now rather than at the next scan."""
        sent = {e["event_id"] for e in entries if e["event_id"] in self._recent}  # sent already; only marking missed
        todo = [e for e in entries if e["event_id"] not in sent]
        for attempt in (1, 2):
            if not todo:
                break
            try:
                if not self._declared:
                    declare(self.amqp_uri, [self.exchange])
                    self._declared = True
            except Exception:
                _log.exception("declaring %s failed; %d event(s) kept in the outbox", self.exchange.name, len(todo))
                eventlet.sleep(0.5)
                break
            outcome = self.publisher.publish(self.exchange, [(e["type"], e["message"], e["event_id"]) for e in todo])
            self._sent(outcome.confirmed)
            sent |= outcome.confirmed
            for entry in todo:
                if entry["event_id"] in outcome.unroutable:
                    _log.error("event %s (%s) has no queue bound; kept in the outbox", entry["type"], entry["event_id"])
            if outcome.error is None and not outcome.nacked:
                break
            todo = [e for e in todo if e["event_id"] not in outcome.confirmed | outcome.unroutable]
            if outcome.error is not None:
                self._declared = False  # the exchange may be what is missing (a broker that lost its definitions)
            failure = "refused (nack)" if outcome.error is None else f"failed ({outcome.error!r})"
            if attempt == 1:
                _log.warning("publishing events %s; %d unconfirmed sent again", failure, len(todo))
            else:
                _log.error("publishing events %s; %d unconfirmed kept in the outbox", failure, len(todo))
                eventlet.sleep(0.5)
        return sent

    def _sent(self, event_ids: set[str]) -> None:
        self.published += len(event_ids)
        for event_id in event_ids:
            self._recent[event_id] = None
        while len(self._recent) > 10_000:
            self._recent.popitem(last=False)

    def _mark_loop(self) -> None:
        """Pull published events from their documents, a round every ``mark_delay`` while any are pending, until
        told to end. A round pulls the documents no event was published from for ``mark_delay`` (or that have held
        published ones for ``PULL_AT_LATEST`` delays), one ``update_many`` per collection: as few writes as when
        every round pulled everything, but a document still being written sheds its entries itself."""
        ending = False
        next_round = None
        while not ending:
            if next_round is None and any(self._pending.values()):
                next_round = time.monotonic() + self.mark_delay
            try:
                timeout = None if next_round is None else max(0.0, next_round - time.monotonic())
                wakes = [self._published.get(timeout=timeout)]
            except Empty:
                wakes = []
            while True:
                try:
                    wakes.append(self._published.get_nowait())
                except Empty:
                    break
            ending = None in wakes
            now = time.monotonic()
            if not ending and (next_round is None or now < next_round):
                continue
            next_round = None
            for collection, pending in list(self._pending.items()):  # a pull yields: publishing may add to it
                ready = [
                    doc_id
                    for doc_id, (_, first, last) in pending.items()
                    if ending or now - last >= self.mark_delay or now - first >= PULL_AT_LATEST * self.mark_delay
                ]
                if ready:
                    event_ids = [event_id for doc_id in ready for event_id in pending.pop(doc_id)[0]]
                    self._mark_published(collection, ready, event_ids)

    def _mark_published(self, collection: str, doc_ids: list, event_ids: list[str]) -> None:
        try:
            self.db[collection].update_many(
                {"_id": {"$in": doc_ids}},
                {"$pull": {OUTBOX_FIELD: {"event_id": {"$in": event_ids}}}},
            )
        except Exception:  # published but not marked: the scan will publish again, consumers dedupe
            _log.exception("could not mark %d event(s) published in %s", len(event_ids), collection)


def orphan_place(doc: dict) -> tuple:
    """Where a document stands in the scan's order: its oldest entry, then its id."""
    return min(entry["queued_at"] for entry in doc[OUTBOX_FIELD]), doc["_id"]
