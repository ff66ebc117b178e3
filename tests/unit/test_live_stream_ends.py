"""An open live stream ends when the directory says its person changed; the client then comes back and is
checked again (gateway.live)."""

from gateway.live import Hub, changed_grids, changed_person, events

OFFICER = {"user_id": "officer-1", "roles": ["grid_officer"], "grids": ["G1"], "department": None}
OPERATOR = {"user_id": "operator-1", "roles": ["operator"], "grids": [], "department": None}


def opened(hub, identity):
    subscriber = hub.subscribe()
    hub.admit(subscriber, identity)
    return subscriber


def user(identity, **changes):
    return {
        "user_id": identity["user_id"],
        "roles": identity["roles"],
        "department": identity["department"],
        "active": True,
        **changes,
    }


def test_a_deactivated_persons_stream_ends_and_others_go_on():
    hub = Hub()
    officer, operator = opened(hub, OFFICER), opened(hub, OPERATOR)
    assert hub.learn("users", 2, changed_person([user(OFFICER, active=False), user(OPERATOR)])) == 1
    assert officer.closed and not operator.closed
    start = {"identity": OFFICER, "head": 0, "reset": False, "entries": []}
    assert list(events(hub, officer, start, keepalive=0.01, max_seconds=5)) == ["retry: 3000\n\n"]  # ends at once


def test_other_roles_or_another_department_end_a_stream():
    for changes in ({"roles": ["supervisor"]}, {"department": "sanitation"}):
        hub = Hub()
        stream = opened(hub, OFFICER)
        hub.learn("users", 2, changed_person([user(OFFICER, **changes)]))
        assert stream.closed, changes


def test_a_new_map_ends_the_streams_of_those_whose_grids_it_changed():
    hub = Hub()
    moved, operator = opened(hub, OFFICER), opened(hub, OPERATOR)
    hub.learn("grid_map", 2, changed_grids([{"code": "G1", "officers": ["officer-2"]}, {"code": "G2", "officers": []}]))
    assert moved.closed and not operator.closed
    hub = Hub()
    kept = opened(hub, OFFICER)
    hub.learn("grid_map", 2, changed_grids([{"code": "G1", "officers": ["officer-1"], "leader": None}]))
    assert not kept.closed


def test_a_stream_authorised_from_an_older_copy_than_the_gateway_heard_of_ends_at_once():
    hub = Hub()
    hub.learn("users", 5, changed_person([user(OFFICER, active=False)]))
    late = opened(hub, OFFICER)  # the notifications service's copy had not taken revision 5 yet
    assert late.closed
    hub.learn("users", 6, changed_person([user(OFFICER)]))  # reactivated
    assert not opened(hub, OFFICER).closed


def test_an_older_announcement_changes_nothing():
    hub = Hub()
    hub.learn("users", 6, changed_person([user(OFFICER)]))
    stream = opened(hub, OFFICER)
    assert hub.learn("users", 5, changed_person([user(OFFICER, active=False)])) == 0  # reordered on the way
    assert not stream.closed and not opened(hub, OFFICER).closed


def test_a_stream_still_opening_is_left_alone():
    hub = Hub()
    opening = hub.subscribe()  # its identity is not known until open_stream answers
    hub.learn("users", 2, lambda identity: True)
    assert not opening.closed
