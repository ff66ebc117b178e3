"""No store query is hinted: on the embedded store a hint walks the whole index (tests/support/plans.py)."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
HINT = re.compile(r"\.hint\(|\bhint=")


def test_no_service_sends_a_hint():
    hinted = [
        f"{path.relative_to(ROOT)}:{n}"
        for folder in ("services", "shared", "gateway")
        for path in (ROOT / folder).rglob("*.py")
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if HINT.search(line)
    ]
    assert hinted == []
