"""The README's commands are all the set-up a fresh machine needs: each target runs its machine step first."""

import os
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def planned(target: str) -> str:
    # run by `make test`, this make would inherit the outer one's flags and level (and say which directory it enters)
    env = {k: v for k, v in os.environ.items() if k not in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL", "MAKEOVERRIDES")}
    return subprocess.run(
        ["make", "--no-print-directory", "-n", target], cwd=ROOT, env=env, capture_output=True, text=True, check=True
    ).stdout


@pytest.mark.parametrize(
    "target, profile",
    [("run", "run"), ("test", "test"), ("bench", "bench"), ("bench-quick", "bench"), ("bench-cluster", "bench")],
)
def test_each_target_sets_up_the_machine_first(target, profile):
    lines = planned(target).splitlines()
    step = f"bash deploy/machine.sh {profile}"
    assert step in lines, f"make {target} does not run `{step}`"
    assert lines.index(step) == 0, f"make {target} runs something before setting up the machine"


def test_the_machine_script_refuses_an_unknown_profile():
    done = subprocess.run(["bash", "deploy/machine.sh", "nonsense"], cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 2 and "usage" in done.stderr
