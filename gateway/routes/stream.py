"""GET /api/v1/stream: live case updates as Server-Sent Events (``gateway.live``)."""

from gateway.http import api
from gateway.live import EventStreamResponse, changed_grids, changed_person, events
from shared.events import Event
from shared.events.compiled import Dumper
from shared.events.contracts.notifications import FeedAppended
from shared.messaging import consume
from shared.timer import timer

FILL_PAGE = 500
_entry = Dumper(FeedAppended())  # what the stream writes: the announcement as its contract dumps it


class StreamApi:
    @api(
        "GET",
        "/api/v1/stream",
        summary="Live case updates (Server-Sent Events), resumable with Last-Event-ID",
        tags=["notifications"],
        responses={200: ("The stream.", {"text/event-stream": {"type": "string"}})},
        description="`text/event-stream`: one event per change of a case you may see (`event:` the event type, "
        "`id:` its number in the feed, `data:` the case's facts). Reconnect with the `Last-Event-ID` "
        "header (or `?last_event_id=`) to receive everything you missed; an `event: reset` means "
        "what you missed is too old or too much: reload your lists. See docs/notifications.md.",
    )
    def stream(self, request):
        last = request.headers.get("Last-Event-ID") or request.args.get("last_event_id")
        subscriber = self.live.hub.subscribe()  # first, so nothing falls between the answer and the live entries
        try:
            start = self.notifications.open_stream(last)
        except Exception:
            self.live.hub.unsubscribe(subscriber)
            raise
        self.live.hub.admit(subscriber, start["identity"])
        self.live.hub.establish(start["head"])
        self._fill_live_gap()
        return EventStreamResponse(events(self.live.hub, subscriber, start, self.live.keepalive, self.live.max_seconds))

    @consume("notifications", "feed.appended", broadcast=True)
    def on_feed_appended(self, event: Event) -> None:
        announced = _entry(event.payload)
        self.live.hub.offer([*announced.pop("earlier", []), announced])
        self._fill_live_gap()

    # A stream is authorised once, when it opens; these end it when its person changes, so that a deactivated
    # account or a lost role stops receiving at once, as it would on its next request.
    @consume("directory", "users.changed", broadcast=True)
    def on_users_changed(self, event: Event) -> None:
        self.live.hub.learn("users", event.payload["revision"], changed_person(event.payload["items"]))

    @consume("directory", "grid_map.imported", broadcast=True)
    def on_grid_map_imported(self, event: Event) -> None:
        self.live.hub.learn("grid_map", event.payload["revision"], changed_grids(event.payload["grids"]))

    @timer("SSE_CATCH_UP_SECONDS", 5.0)
    def catch_up_live_feed(self) -> None:
        """Entries whose announcement never came (a broker hiccup) reach open streams all the same."""
        hub = self.live.hub
        if hub.listening and hub.last is not None:
            self._fill_live_gap(after=hub.last)

    def _fill_live_gap(self, after: int | None = None) -> None:
        after = self.live.hub.gap_after() if after is None else after
        while after is not None:
            entries = self.notifications.feed_after(after, FILL_PAGE)
            self.live.hub.offer(entries)
            after = self.live.hub.last if len(entries) == FILL_PAGE else None
