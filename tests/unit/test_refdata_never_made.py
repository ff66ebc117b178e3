"""A kind the directory never made (revision 0 in its snapshot) is known and empty, not missing:
``shared.refdata.Reference.require_known`` — the cases service routes by it (no routing rule at all: every case
waits for an operator, where a copy not arrived yet must wait)."""

import pytest

from shared.errors import ServiceUnavailable
from shared.refdata import Reference


def test_a_kind_not_arrived_yet_is_required_but_one_never_made_is_known_and_empty():
    reference = Reference(("categories", "routing_rules"))
    with pytest.raises(ServiceUnavailable):
        reference.require_known("routing_rules")
    reference.never_made("routing_rules")
    reference.require_known("routing_rules")
    assert reference.routing_rules == []
    with pytest.raises(ServiceUnavailable):
        reference.require("routing_rules")  # what else asks for the kind still waits for it
    with pytest.raises(ServiceUnavailable):
        reference.require_known("categories")


def test_the_first_rule_made_later_comes_in_as_usual():
    reference = Reference(("routing_rules",))
    reference.never_made("routing_rules")
    rule = {"rule_id": "r", "category": "sanitation", "department": "sanitation", "automatic": True}
    assert reference.load("routing_rules", 1, {"items": [rule]})
    reference.require_known("routing_rules")
    assert reference.routing_rules == [rule]


def test_a_copy_is_complete_when_every_kind_arrived_or_is_known_never_made():
    reference = Reference(("categories", "routing_rules"))
    reference.load("categories", 3, {"items": []})
    assert not reference.complete()  # the rules' copy may still be on its way
    reference.never_made("routing_rules")
    assert reference.complete()  # so /readyz: nothing to wait for
