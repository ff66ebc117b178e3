"""What the launcher gives each process and store, decided from the environment before anything starts."""

import deploy.launch.processes as processes
import deploy.launcher as launcher
from deploy.launch.environment import max_workers, starting_with
from deploy.launch.processes import bound_to_launcher
from deploy.launch.stores import single_store_data


def test_the_indicators_take_more_messages_at_once_and_anyone_may_be_told_otherwise():
    assert max_workers("indicators", {}) == "64"  # its batches hold at most what it has in hand
    assert max_workers("cases", {}) is None and max_workers("gateway", {}) is None  # MAX_WORKERS, as for all
    assert max_workers("indicators", {"INDICATORS_MAX_WORKERS": "16"}) == "16"
    assert max_workers("gateway", {"GATEWAY_MAX_WORKERS": "40"}) == "40"


def test_a_data_directory_of_one_store_for_all_is_recognised(tmp_path):
    assert not single_store_data(str(tmp_path)) and not single_store_data(":memory:")
    (tmp_path / "WiredTiger").write_text("WiredTiger\n")
    assert single_store_data(str(tmp_path))


def test_children_are_bound_to_the_launcher_where_setpriv_can_and_run_plain_where_it_cannot(tmp_path, monkeypatch):
    processes._pdeathsig_prefix.cache_clear()
    bound = bound_to_launcher(["secantusd-py", "--port", "1"])
    assert bound[-3:] == ["secantusd-py", "--port", "1"]
    assert bound[1:4] == ["--pdeathsig", "KILL", "--"]  # util-linux on the project's machines has it
    old = tmp_path / "setpriv"  # a setpriv from before --pdeathsig (util-linux < 2.33)
    old.write_text("#!/bin/sh\necho 'setpriv: unrecognized option' >&2\nexit 1\n")
    old.chmod(0o755)
    monkeypatch.setattr(processes.shutil, "which", lambda name, **_: str(old))
    processes._pdeathsig_prefix.cache_clear()
    try:
        assert bound_to_launcher(["nameko", "run"]) == ["nameko", "run"]
    finally:
        processes._pdeathsig_prefix.cache_clear()


def test_each_process_connects_first_to_another_broker_of_the_cluster():
    uri = "amqp://u:p@n1/vh;amqp://u:p@n2/vh;amqp://u:p@n3/vh"
    firsts = [starting_with(uri, turn).split(";")[0] for turn in range(4)]
    assert firsts == ["amqp://u:p@n1/vh", "amqp://u:p@n2/vh", "amqp://u:p@n3/vh", "amqp://u:p@n1/vh"]
    assert sorted(starting_with(uri, 1).split(";")) == sorted(uri.split(";"))
    assert starting_with("amqp://guest:guest@localhost:5672/", 5) == "amqp://guest:guest@localhost:5672/"


def test_demo_mode_is_read_as_every_other_switch(monkeypatch):
    """CIVICGRID_DEMO=off used to start demo mode: the launcher had its own reading of it (issue 14)."""
    for off in ("off", "OFF", "0", "false", "no", " no "):
        monkeypatch.setenv("CIVICGRID_DEMO", off)
        assert launcher.parse_args([]).demo is False, off
    for on in ("on", "1", "true", "yes", ""):
        monkeypatch.setenv("CIVICGRID_DEMO", on)
        assert launcher.parse_args([]).demo is True, on
    monkeypatch.delenv("CIVICGRID_DEMO")
    assert launcher.parse_args([]).demo is True and launcher.parse_args(["--no-demo"]).demo is False


def test_a_demo_switch_that_is_neither_on_nor_off_stops_the_launcher_saying_so(monkeypatch, capsys):
    import pytest

    monkeypatch.setenv("CIVICGRID_DEMO", "maybe")
    with pytest.raises(SystemExit):
        launcher.parse_args([])
    assert "CIVICGRID_DEMO" in capsys.readouterr().err


def test_every_supervised_process_and_store_follows_one_restart_policy_that_backs_off():
    from deploy.launch.supervision import RESTARTS, Child, Supervised, SupervisedStore

    class Exits(Supervised):
        name, log_path = "flaky", "flaky.log"
        pid = None  # no real process behind it

        def __init__(self):
            super().__init__()
            self.starts, self.now = 0, 0.0

        def exited(self):
            return 1

        def start(self):
            self.starts, self.started_at = self.starts + 1, self.now

    flaky, delays = Exits(), []
    for _ in range(8):  # it exits at once each time it is started
        flaky.restart_if_exited(flaky.now)
        delays.append(flaky.restart_at - flaky.now)
        flaky.now = flaky.restart_at
        assert flaky.restart_if_exited(flaky.now)
    assert delays == [1, 2, 4, 8, 16, 30, 30, 30] and flaky.starts == 8
    assert RESTARTS.exits_in_a_row(ran=61, before=5) == 0 and RESTARTS.delay(0) == 0.5  # a minute's run forgets
    assert Child.restart_if_exited is SupervisedStore.restart_if_exited is Supervised.restart_if_exited


def test_the_tests_start_their_stores_as_make_run_starts_its_own(tmp_path):
    from deploy.launch.embedded_store import EmbeddedStore
    from tests.support.infra import SecantusServer

    server = SecantusServer(tmp_path)
    assert isinstance(server, EmbeddedStore) and not server.sync  # in memory: nothing to sync
    assert "retryWrites=false" in server.uri


def test_a_port_handed_out_is_never_handed_out_again_though_the_kernel_offers_it(monkeypatch):
    offered = iter([41000, 41000, 41000, 41001])  # the kernel's picks: a port it just gave, again and again

    class Socket:
        def __init__(self, *args):
            self.port = next(offered)

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return False

        def bind(self, address):
            pass

        def getsockname(self):
            return ("127.0.0.1", self.port)

    monkeypatch.setattr(processes, "_GIVEN", set())
    monkeypatch.setattr(processes.socket, "socket", Socket)
    assert [processes.free_port(), processes.free_port()] == [41000, 41001]
