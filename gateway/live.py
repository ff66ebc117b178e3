"""Live updates for open browser sessions: Server-Sent Events fed by the notifications feed.

The notifications service numbers every case event in its feed (gap-free, in the
order stored) and announces each one to every gateway instance (``feed.appended``,
a broadcast). ``Hub`` holds this gateway's open streams: it passes entries on in
number order, each once; an entry that arrives ahead of one still missing waits
until the missing one is fetched from the feed (the stream route fills the gap),
and a periodic catch-up fetches what no announcement brought.

A stream starts by subscribing to the hub and *then* asking the service for what
the client missed (``open_stream``), so nothing falls between the two: every entry
the hub passes on after the subscription is either in that answer (skipped by
number) or newer. Each stream shows its person only the cases they may see
(``shared.auth.can_see_case``), and ends when the directory says that person changed
(deactivated, other roles, department or grids): the client comes back and is checked
again, as every request is. The HTTP worker returns at once; the stream is
written by the web server's connection greenthread, so an open stream costs no
nameko worker. See ``docs/notifications.md`` for the protocol and its guarantee.
"""

import json
import time

from eventlet.queue import Empty, Full, LightQueue
from eventlet.semaphore import Semaphore
from nameko.extensions import DependencyProvider
from werkzeug.wrappers import Response

from shared.auth import Identity, can_see_case
from shared.config import setting
from shared.refdata import grids_by_person

QUEUE_SIZE = 1000  # entries a slow client may fall behind before its stream is closed (it then resumes)
RETRY_MS = 3000
_CLOSE = object()


class Subscriber:
    def __init__(self):
        self.queue: LightQueue = LightQueue(QUEUE_SIZE)
        self.closed = False
        self.identity: dict | None = None  # whom the stream was opened for, as the notifications service saw them

    def put(self, entry) -> bool:
        try:
            self.queue.put_nowait(entry)
        except Full:
            self.closed = True  # its stream ends; the client comes back with its Last-Event-ID
            return False
        return True


class Hub:
    def __init__(self):
        self.last: int | None = None  # every entry up to this number has been passed on
        self._pending: dict[int, dict] = {}
        self._subscribers: set[Subscriber] = set()
        self._lock = Semaphore()
        # the directory's latest word heard here, per kind: (revision, whether an identity is out of date)
        self._latest: dict[str, tuple[int, object]] = {}

    @property
    def listening(self) -> bool:
        return bool(self._subscribers)

    def subscribe(self) -> Subscriber:
        subscriber = Subscriber()
        with self._lock:
            self._subscribers.add(subscriber)
        return subscriber

    def unsubscribe(self, subscriber: Subscriber) -> None:
        with self._lock:
            self._subscribers.discard(subscriber)

    def establish(self, head: int) -> None:
        """A stream learnt the feed's head: where passing on starts, if nothing has set it yet."""
        with self._lock:
            if self.last is None:
                self.last = head
                self._release()

    def offer(self, entries: list[dict]) -> None:
        """Entries of the feed, in any order, any number of times."""
        with self._lock:
            for entry in entries:
                if self.last is None and not self._subscribers:
                    self.last = entry["seq"] - 1  # nobody to owe anything to: start here
                if self.last is None or entry["seq"] > self.last:
                    self._pending[entry["seq"]] = entry
            self._release()

    def gap_after(self) -> int | None:
        """Where to fetch from when an entry waits for an earlier one; None if nothing waits."""
        return self.last if self._pending and self.last is not None else None

    def learn(self, kind: str, revision: int, stale) -> int:
        """The directory changed ``kind`` (``users`` or ``grid_map``): end the streams whose person it changed
        (``stale(identity)``); their clients come back with their Last-Event-ID and are checked again.
        An older revision than one heard already changes nothing."""
        with self._lock:
            if revision <= self._latest.get(kind, (0, None))[0]:
                return 0
            self._latest[kind] = (revision, stale)
            ending = [s for s in self._subscribers if s.identity is not None and stale(s.identity)]
            for subscriber in ending:
                self._end(subscriber)
        return len(ending)

    def admit(self, subscriber: Subscriber, identity: dict) -> None:
        """The stream's person, as the notifications service authorised them. If this gateway has heard of
        a newer change to them (the service's copy had not taken it yet), the stream ends at once: the
        client comes back later and is checked again."""
        with self._lock:
            subscriber.identity = identity
            if any(stale(identity) for _, stale in self._latest.values()):
                self._end(subscriber)

    def _end(self, subscriber: Subscriber) -> None:
        subscriber.closed = True
        subscriber.put(_CLOSE)
        self._subscribers.discard(subscriber)

    def close_all(self) -> None:
        with self._lock:
            for subscriber in self._subscribers:
                subscriber.closed = True
                subscriber.put(_CLOSE)
            self._subscribers.clear()

    def _release(self) -> None:
        if self.last is None:
            return
        for seq in [s for s in self._pending if s <= self.last]:
            del self._pending[seq]
        while self.last + 1 in self._pending:
            self.last += 1
            entry = self._pending.pop(self.last)
            for subscriber in list(self._subscribers):
                if not subscriber.put(entry):
                    self._subscribers.discard(subscriber)


def changed_person(users: list[dict]):
    """Whether a stream's person is no longer who their stream was opened for: deactivated, or other
    roles or department (``users.changed`` carries every user)."""
    current = {u["user_id"]: u for u in users}

    def stale(identity: dict) -> bool:
        user = current.get(identity["user_id"])
        if user is None:
            return False  # not in this announcement: nothing said about them
        return (
            not user.get("active", True)
            or sorted(user.get("roles") or ()) != sorted(identity["roles"])
            or user.get("department") != identity["department"]
        )

    return stale


def changed_grids(grids: list[dict]):
    """Whether a stream's person now staffs or leads other grids than when it was opened (a new map)."""
    held = grids_by_person({g["code"]: g for g in grids})

    def stale(identity: dict) -> bool:
        return held.get(identity["user_id"], frozenset()) != frozenset(identity["grids"])

    return stale


class LiveHub(DependencyProvider):
    """Injects this gateway's ``Hub``; closes every stream when the gateway stops."""

    def setup(self):
        self.hub = Hub()
        config = self.container.config
        self.keepalive = setting(config, "SSE_KEEPALIVE_SECONDS", 15.0, float)
        self.max_seconds = setting(config, "SSE_MAX_CONNECTION_SECONDS", 3600.0, float)

    def stop(self):
        self.hub.close_all()

    kill = stop

    def get_dependency(self, worker_ctx):
        return self


def _event(entry: dict) -> str:
    data = json.dumps(entry, ensure_ascii=False, separators=(",", ":"))
    return f"id: {entry['seq']}\nevent: {entry['event_type']}\ndata: {data}\n\n"


def events(hub: Hub, subscriber: Subscriber, start: dict, keepalive: float, max_seconds: float):
    """The text of one stream: what was missed, then live entries, until the client leaves or time is up."""
    identity = Identity(
        start["identity"]["user_id"],
        frozenset(start["identity"]["roles"]),
        grids=frozenset(start["identity"]["grids"]),
        department=start["identity"]["department"],
    )
    position = start["head"]
    ends_at = time.monotonic() + max_seconds
    try:
        yield f"retry: {RETRY_MS}\n\n"
        if start["reset"]:
            yield f"id: {position}\nevent: reset\ndata: {json.dumps({'head': position})}\n\n"
        for entry in start["entries"]:
            yield _event(entry)
            position = max(position, entry["seq"])  # the answer may reach past the head it read first
        while time.monotonic() < ends_at and not subscriber.closed:
            try:
                entry = subscriber.queue.get(timeout=keepalive)
            except Empty:
                yield ": keepalive\n\n"
                continue
            if entry is _CLOSE:
                return
            if entry["seq"] <= position:
                continue
            position = entry["seq"]
            if can_see_case(identity, entry["case"]):
                yield _event(entry)
    finally:
        hub.unsubscribe(subscriber)


class EventStreamResponse(Response):
    """A streamed ``text/event-stream``: each event is written as soon as it is made."""

    def __init__(self, body):
        super().__init__(
            body,
            mimetype="text/event-stream",
            direct_passthrough=True,
            headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
        )

    def __call__(self, environ, start_response):
        # eventlet's server gathers 4 kB before writing unless told otherwise
        environ["eventlet.minimum_write_chunk_size"] = 0
        return super().__call__(environ, start_response)
