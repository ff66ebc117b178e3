"""The gateway's hub passes feed entries on in order, each once, and waits for a missing one."""

from gateway.live import Hub, events


def entry(seq, grid="G1", department="sanitation"):
    return {
        "seq": seq,
        "event_id": f"e{seq}",
        "event_type": "case.accepted",
        "occurred_at": "2026-11-23T09:00:00Z",
        "case": {"case_id": f"C{seq}", "grid": grid, "department": department, "assisting_departments": []},
    }


def drained(subscriber):
    found = []
    while not subscriber.queue.empty():
        found.append(subscriber.queue.get()["seq"])
    return found


def test_entries_are_passed_on_in_order_each_once():
    hub = Hub()
    subscriber = hub.subscribe()
    hub.establish(10)
    hub.offer([entry(11), entry(11), entry(10), entry(12)])
    assert drained(subscriber) == [11, 12]


def test_an_entry_ahead_of_a_missing_one_waits_for_it():
    hub = Hub()
    subscriber = hub.subscribe()
    hub.establish(10)
    hub.offer([entry(13)])
    assert drained(subscriber) == [] and hub.gap_after() == 10
    hub.offer([entry(11), entry(12), entry(13)])  # what the gap fill fetched from the feed
    assert drained(subscriber) == [11, 12, 13] and hub.gap_after() is None


def test_a_stream_starts_where_the_service_said_and_holds_entries_until_then():
    hub = Hub()
    subscriber = hub.subscribe()
    hub.offer([entry(12)])  # arrived before the stream learnt the head
    hub.establish(11)
    assert drained(subscriber) == [12]


def test_with_nobody_listening_the_first_entry_sets_the_start():
    hub = Hub()
    hub.offer([entry(40)])
    assert hub.last == 40


def test_a_stream_shows_only_cases_its_person_may_see_and_skips_what_it_already_sent():
    hub = Hub()
    subscriber = hub.subscribe()
    hub.establish(2)
    start = {
        "head": 2,
        "reset": False,
        "entries": [entry(2)],
        "identity": {"user_id": "o", "roles": ["grid_officer"], "grids": ["G1"], "department": None},
    }
    stream = events(hub, subscriber, start, keepalive=0.01, max_seconds=60)
    assert next(stream).startswith("retry:")
    assert next(stream).startswith("id: 2\n")
    hub.offer([entry(3, grid="G9"), entry(4)])
    assert next(stream).startswith("id: 4\nevent: case.accepted\n")
    hub.close_all()
    assert list(stream) in ([], [": keepalive\n\n"])


def test_a_client_too_far_behind_is_closed_and_resumes_later():
    from gateway import live

    hub = Hub()
    subscriber = hub.subscribe()
    hub.establish(0)
    hub.offer([entry(n) for n in range(1, live.QUEUE_SIZE + 2)])
    assert subscriber.closed and not hub.listening


def test_an_entry_both_in_the_missed_part_and_live_is_sent_once():
    hub = Hub()
    subscriber = hub.subscribe()
    hub.establish(2)
    start = {
        "head": 2,
        "reset": False,
        "entries": [entry(3)],  # stored after the head was read
        "identity": {"user_id": "op", "roles": ["operator"], "grids": [], "department": None},
    }
    stream = events(hub, subscriber, start, keepalive=0.01, max_seconds=60)
    next(stream)
    assert next(stream).startswith("id: 3\n")
    hub.offer([entry(3), entry(4)])
    assert next(stream).startswith("id: 4\n")
