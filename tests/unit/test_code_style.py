"""The tree as ruff formats and lints it (pyproject.toml's [tool.ruff]): one style, lines within 120 columns.

A test rather than only ``make lint``, so that CI holds every change to it."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
RUFF = Path(sys.executable).with_name("ruff")


def ruff(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(RUFF), *args], cwd=ROOT, capture_output=True, text=True, timeout=120)


def test_the_tree_passes_the_linter():
    done = ruff("check", "--no-cache", "--output-format", "concise", ".")
    assert done.returncode == 0, done.stdout[-5000:] + done.stderr[-2000:]


def test_the_tree_is_formatted():
    done = ruff("format", "--no-cache", "--check", ".")
    assert done.returncode == 0, f"run `ruff format .`:\n{done.stdout[-5000:]}{done.stderr[-2000:]}"
