"""The directory on the real bus and store: signing in, changes reaching other services' copies."""

from datetime import timedelta

import pytest

from shared.bus import standalone_rpc
from shared.errors import (
    Forbidden,
    LastAdministrator,
    TooManyRequests,
    Unauthenticated,
    Unprocessable,
)
from shared.mongo import MongoStore, Repository
from shared.refdata import FollowsDirectory, ReferenceData
from shared.rpc import rpc
from tests.support import district
from tests.support.infra import RPC_TIMEOUT, wait_for


class FollowerStore(MongoStore):
    repository_cls = Repository


class Follower(FollowsDirectory):
    """Stands for any service keeping copies of reference data."""

    name = "follower"
    store = FollowerStore()
    reference = ReferenceData("departments", "categories", "grid_map", "users", "routing_rules")

    @rpc
    def revisions(self):
        return self.reference.revisions()

    @rpc
    def department_names(self):
        return {code: d["name_en"] for code, d in self.reference.departments.items()}

    @rpc
    def locate(self, lat, lon):
        return self.reference.grid_index.locate(lat, lon)


@pytest.fixture
def follower(container_factory, service_config, seeded_directory):
    container = container_factory(Follower, service_config)
    container.start()
    with standalone_rpc(service_config, timeout=RPC_TIMEOUT) as rpc_proxy:
        wait_for(lambda: all(rpc_proxy.follower.revisions().values()), timeout=20, message="copies complete")
        yield rpc_proxy.follower


def test_a_service_catches_up_with_the_directory_on_start(follower):
    assert set(follower.department_names()) == {d["code"] for d in district.DEPARTMENTS}
    assert follower.locate(**district.centre(2)) == district.GRID_CODES[2]


def test_a_directory_change_reaches_the_other_services_copies(follower, rpc_as):
    before = follower.revisions()["departments"]
    with rpc_as("admin") as rpc_proxy:
        rpc_proxy.directory.put_item("departments", "police", {"name_zh": "公安派出所", "name_en": "Police station"})
    wait_for(lambda: follower.revisions()["departments"] == before + 1, timeout=10, message="copy updated")
    assert follower.department_names()["police"] == "Police station"


def test_signing_in_gives_a_token_naming_roles_and_grids(seeded_directory, service_config):
    with standalone_rpc(service_config, timeout=RPC_TIMEOUT) as rpc_proxy:
        answer = rpc_proxy.directory.issue_token({"username": "leader-610102001001", "password": district.PASSWORD})
    assert answer["token_type"] == "Bearer"
    assert answer["user"]["roles"] == ["grid_leader"]
    assert answer["grids"] == ["610102001001001", "610102001001002"]
    assert "password_hash" not in answer["user"]


def test_wrong_passwords_are_refused_then_throttled(seeded_directory, service_config):
    with standalone_rpc(service_config, timeout=RPC_TIMEOUT) as rpc_proxy:
        for _ in range(5):
            with pytest.raises(Unauthenticated):
                rpc_proxy.directory.issue_token({"username": "operator1", "password": "guess"})
        with pytest.raises(TooManyRequests):
            rpc_proxy.directory.issue_token({"username": "operator1", "password": district.PASSWORD})


def test_one_client_is_throttled_whatever_usernames_it_tries(seeded_directory, service_config):
    limit = int(service_config.get("SIGN_IN_CLIENT_MAX_FAILURES") or 20)
    with standalone_rpc(service_config, timeout=RPC_TIMEOUT) as rpc_proxy:
        for i in range(limit):
            with pytest.raises(Unauthenticated):
                rpc_proxy.directory.issue_token({"username": f"nobody-{i}", "password": "guess"}, "203.0.113.7")
        with pytest.raises(TooManyRequests):
            rpc_proxy.directory.issue_token({"username": "operator1", "password": district.PASSWORD}, "203.0.113.7")
        signed_in = rpc_proxy.directory.issue_token(
            {"username": "operator1", "password": district.PASSWORD}, "203.0.113.8"
        )
    assert signed_in["user"]["username"] == "operator1"


def test_failed_sign_ins_are_forgotten_by_the_store_once_their_window_has_passed(
    seeded_directory, service_config, databases
):
    # every username and address anyone tried is a record: each expires with its last failure's window
    window = int(service_config.get("SIGN_IN_WINDOW_SECONDS") or 900)
    with standalone_rpc(service_config, timeout=RPC_TIMEOUT) as rpc_proxy:
        for _ in range(2):
            with pytest.raises(Unauthenticated):
                rpc_proxy.directory.issue_token({"username": "nobody-ttl", "password": "guess"}, "198.51.100.9")
    db = databases("directory")
    for collection, key in (("sign_in_failures", "nobody-ttl"), ("sign_in_failures_by_client", "198.51.100.9")):
        record = db[collection].find_one({"_id": key})
        assert len(record["at"]) == 2 and record["expires_at"] == record["at"][-1] + timedelta(seconds=window)
        ttl = [i for i in db[collection].index_information().values() if i["key"] == [("expires_at", 1)]]
        assert [i.get("expireAfterSeconds") for i in ttl] == [0]


def test_the_last_active_administrator_stays_and_nothing_changes(rpc_as):
    with rpc_as("admin") as rpc_proxy:
        me = rpc_proxy.directory.get_user("admin")
        revision = rpc_proxy.directory.reference_snapshot(["users"])["users"]["revision"]
        for changes in ({"active": False}, {"roles": ["supervisor"]}):
            with pytest.raises(LastAdministrator):
                rpc_proxy.directory.put_user("admin", {**me, **changes})
        assert rpc_proxy.directory.get_user("admin") == me
        assert rpc_proxy.directory.reference_snapshot(["users"])["users"]["revision"] == revision  # nothing announced


def test_only_an_administrator_changes_reference_data(rpc_as):
    with rpc_as("operator1") as rpc_proxy, pytest.raises(Forbidden):
        rpc_proxy.directory.put_item("departments", "police", {"name_zh": "x", "name_en": "x"})


def test_a_bad_map_is_refused_whole_with_every_fault(rpc_as):
    with rpc_as("admin") as rpc_proxy:
        good = rpc_proxy.directory.export_grid_map()
        before = rpc_proxy.directory.list_areas()["map_version"]
        features = good["features"]
        grid = next(f for f in features if f["properties"]["level"] == "grid")
        grid["properties"]["officers"] = []
        features.append(dict(grid))  # duplicate code
        with pytest.raises(Unprocessable) as refused:
            rpc_proxy.directory.import_grid_map(good)
        codes = {f["code"] for f in refused.value.details["faults"]}
        assert {"NO_OFFICER", "DUPLICATE_CODE"} <= codes
        assert rpc_proxy.directory.list_areas()["map_version"] == before


def test_a_map_is_checked_without_importing_it(rpc_as):
    with rpc_as("admin") as rpc_proxy:
        good = rpc_proxy.directory.export_grid_map()
        before = rpc_proxy.directory.list_areas()["map_version"]
        checked = rpc_proxy.directory.check_grid_map(good)
        assert checked["importable"] and checked["faults"] == [] and checked["grids"] == len(district.GRIDS)
        grid_at = next(i for i, f in enumerate(good["features"]) if f["properties"]["level"] == "grid")
        good["features"][grid_at]["properties"]["officers"] = []
        checked = rpc_proxy.directory.check_grid_map(good)
        assert not checked["importable"]
        assert [(f["code"], f["feature"]) for f in checked["faults"]] == [("NO_OFFICER", grid_at)]
        assert rpc_proxy.directory.list_areas()["map_version"] == before == checked["map_version"]
    with rpc_as("operator1") as rpc_proxy, pytest.raises(Forbidden):
        rpc_proxy.directory.check_grid_map(good)


def test_an_exported_map_imports_as_a_new_version(rpc_as, follower):
    with rpc_as("admin") as rpc_proxy:
        exported = rpc_proxy.directory.export_grid_map()
        answer = rpc_proxy.directory.import_grid_map(exported)
    assert answer["grids"] == len(district.GRIDS)
    wait_for(lambda: follower.revisions()["grid_map"] == 2, timeout=10, message="new map reached the copy")


def test_two_instances_of_a_service_both_take_every_change(container_factory, service_config, seeded_directory, rpc_as):
    """They share one database: the second to hear of a change finds it stored, and must still adopt it."""
    first = container_factory(Follower, service_config)
    second = container_factory(Follower, service_config)
    first.start()
    second.start()
    with rpc_as("admin") as rpc_proxy:
        rpc_proxy.directory.put_item("departments", "fire", {"name_zh": "消防救援站", "name_en": "Fire station"})
    for container in (first, second):
        reference = next(d for d in container.dependencies if isinstance(d, ReferenceData)).reference
        wait_for(lambda r=reference: "fire" in r.departments, timeout=10, message="both instances updated")
