"""The directory's routing rules matched to a case: which department a case goes to, and whether without a person.
Pure: the rules are passed in (the cases service's copy of the directory's ``routing_rules``)."""


def _specificity(rule: dict) -> int:
    return 2 if rule.get("community") else 1 if rule.get("street") else 0


def route(rules: list[dict], *, category: str, street: str | None, community: str | None) -> dict | None:
    """The rule for a case: category × (community or street, optional); the most specific wins.

    A rule for the case's community beats one for its street, which beats the
    category's district-wide rule. None: no rule names a department, an operator decides.
    """
    matching = [
        r
        for r in rules
        if r["category"] == category and r.get("community") in (None, community) and r.get("street") in (None, street)
    ]
    if not matching:
        return None
    return max(matching, key=lambda r: (_specificity(r), r["rule_id"]))


def unseen(rule: dict, source: str | None) -> bool:
    """Whether the rule dispatches the case without an operator. A report from the public is screened by a person
    first (立案 or 不予立案) unless the rule says the public's reports may go straight through too."""
    return rule["automatic"] and (source != "public" or rule.get("dispatch_public_reports", False))
