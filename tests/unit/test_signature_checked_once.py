"""``shared.bus.SignatureCheckedOnce``: a shape of call that fits is checked once; one that does not, every time."""

import pytest
from nameko.exceptions import IncorrectSignature

from shared.bus import SignatureCheckedOnce


class _Checking:
    """nameko's check, counted: ``answer(self, case_id, language="en")``."""

    def __init__(self):
        self.checks = 0

    def check_signature(self, args, kwargs):
        self.checks += 1
        if not 1 <= len(args) + len(kwargs) <= 2 or set(kwargs) - {"case_id", "language"}:
            raise IncorrectSignature("does not fit")


class _Entrypoint(SignatureCheckedOnce, _Checking):
    pass


def test_a_shape_that_fits_is_checked_once_whatever_the_values():
    entrypoint = _Entrypoint()
    for case_id in ("C1", "C2", "C3"):
        entrypoint.check_signature((case_id,), {})
    entrypoint.check_signature(("C1",), {"language": "zh"})
    entrypoint.check_signature(("C2",), {"language": "en"})
    assert entrypoint.checks == 2


def test_a_shape_that_does_not_fit_is_refused_every_time():
    entrypoint = _Entrypoint()
    for _ in range(3):
        with pytest.raises(IncorrectSignature):
            entrypoint.check_signature((), {"case": "C1"})
    assert entrypoint.checks == 3
