"""Which processes are the broker's, and their CPU counted together."""

import os

from bench import collect
from bench.brokers import node_os_pid


def test_the_machine_node_is_the_one_the_management_api_answers_for():
    overview = {"node": "rabbit@localhost"}
    nodes = [{"name": "rq1@localhost", "os_pid": "111"}, {"name": "rabbit@localhost", "os_pid": "2987"}]
    assert node_os_pid(overview, nodes) == 2987
    assert node_os_pid({"node": "rabbit@elsewhere"}, nodes) is None
    assert node_os_pid(overview, [{"name": "rabbit@localhost"}]) is None  # an API without os_pid


def test_a_nodes_process_tree_is_everything_below_it():
    # beam.smp 10 -> erl_child_setup 11 -> inet_gethost 12 -> 13, disk monitor 14 -> df 15; 20 is another node
    parent_of = {10: 1, 11: 10, 12: 11, 13: 12, 14: 11, 15: 14, 20: 1, 21: 20}
    assert collect.descendants(10, parent_of) == {11, 12, 13, 14, 15}
    assert collect.descendants(20, parent_of) == {21}
    assert collect.descendants(99, parent_of) == set()


def test_a_group_of_processes_is_one_entry_and_a_gone_one_leaves_it_out():
    me = os.getpid()
    snapshot = collect.cpu_snapshot({"me": me, "broker (3 nodes)": (me, me)})
    assert snapshot["broker (3 nodes)"] >= 2 * snapshot["me"]  # each tree counted, children's time included
    assert collect.MACHINE in snapshot
    gone = collect.cpu_snapshot({"broker (3 nodes)": (me, 2**22 + 1)})  # above any pid_max
    assert "broker (3 nodes)" not in gone
