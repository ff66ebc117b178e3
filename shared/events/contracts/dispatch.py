"""Events produced by the dispatch service — once: routing is the cases service's, as it opens a case. The contract
stays so that a ``routing.decided`` still in flight from an older dispatch during a rolling update is taken
(docs/deployment.md); a later release removes it."""

from marshmallow import Schema, fields

from shared.events.catalogue import contract
from shared.fields import code_field


@contract("routing.decided", producer="dispatch")
class RoutingDecided(Schema):
    """Dispatch's routing rules named a department for a newly reported case.

    ``automatic``: the rule says dispatch without an operator, so the cases service
    registers and dispatches the case as the system. Otherwise the department is a
    suggestion shown in the operator's queue.
    """

    case_id = fields.String(required=True)
    department = code_field(required=True)
    assisting_departments = fields.List(code_field(), load_default=list)
    rule_id = fields.String(required=True)
    automatic = fields.Boolean(required=True)
