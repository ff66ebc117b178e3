import os
import time

import pytest

from shared.clock import FileClock, write_clock_offset
from shared.config import ConfigError, as_bool, mongo_target, setting
from shared.ids import new_id, ulid


def test_ulids_sort_by_time():
    assert ulid(now_ms=1_000) < ulid(now_ms=2_000)
    assert len(ulid()) == 26


def test_prefixed_ids_are_unique():
    ids = {new_id("C") for _ in range(1000)}
    assert len(ids) == 1000 and all(i.startswith("C") for i in ids)


def test_settings_are_typed_and_named_when_wrong():
    assert setting({"N": "5"}, "N", cast=int) == 5
    assert setting({"N": ""}, "N", default=7, cast=int) == 7
    with pytest.raises(ConfigError, match="N='x' is not a valid int"):
        setting({"N": "x"}, "N", cast=int)
    with pytest.raises(ConfigError, match="MISSING is required"):
        setting({}, "MISSING")
    assert setting({"B": "yes"}, "B", cast=as_bool) is True


def test_each_service_gets_its_own_database():
    config = {"MONGO_URI": "mongodb://h/", "DB_PREFIX": "x_"}
    assert mongo_target(config, "cases") == ("mongodb://h/", "x_cases")


def test_a_service_can_live_on_its_own_server():
    config = {"MONGO_URI": "mongodb://h/", "CASES_MONGO_URI": "mongodb://other/casesdb"}
    assert mongo_target(config, "cases") == ("mongodb://other/casesdb", "casesdb")


def test_a_file_clock_moves_when_the_file_changes(tmp_path):
    path = str(tmp_path / "clock")
    clock = FileClock(path)
    before = clock.now()
    write_clock_offset(path, 7 * 24 * 3600)
    moved = clock.now()
    assert 7 * 24 * 3600 - 5 < (moved - before).total_seconds() < 7 * 24 * 3600 + 5
    os.unlink(path)
    time.sleep(0.01)
    assert abs((clock.now() - before).total_seconds()) < 5
