"""The actions on a case, written once: each one's body, who may take it and what it does (docs/domain.md §4).

The cases service decides by this table (``services/cases/domain/rules.py`` who,
``actions.py`` the states each applies to and what it changes); the gateway makes each
action's route, body schema and OpenAPI text ("Who: …") from it; the web app's labels
and forms, and docs/domain.md's table, are checked against it (``tests/unit/test_docs_are_true.py``,
``tests/unit/test_case_action_table.py``).
"""

from dataclasses import dataclass

from marshmallow import Schema

from shared.api.cases import (
    CommentSchema,
    DispatchSchema,
    ExtensionRequestSchema,
    MergeSchema,
    NoteSchema,
    ReasonSchema,
    RegisterSchema,
    ResolveSchema,
    SuperviseSchema,
    VerifySchema,
)
from shared.auth.policy import (
    DEPARTMENT_HEAD,
    GRID_LEADER,
    GRID_OFFICER,
    HANDLER,
    OPERATOR,
    SUPERVISOR,
)


@dataclass(frozen=True)
class Party:
    """Who acts on a case, as docs/domain.md §4 names them."""

    name: str
    roles: tuple[str, ...]  # the roles that make one of it; one holding several acts in the first
    of_the_case: str | None  # "department", "grid": only the case's own; None: on any case they may see
    who: str  # in words: the API's docs, and a refusal saying who may


COMMAND_CENTRE = Party("command centre", (OPERATOR,), None, "the command centre's operators")
SUPERVISION = Party("supervision", (SUPERVISOR,), None, "supervisors")
DEPARTMENT = Party(
    "department", (HANDLER, DEPARTMENT_HEAD), "department", "the handlers and head of the case's department"
)
GRID = Party("grid", (GRID_OFFICER, GRID_LEADER), "grid", "the officers and leader of the case's grid")
PARTIES = (COMMAND_CENTRE, SUPERVISION, DEPARTMENT, GRID)


@dataclass(frozen=True)
class CaseAction:
    body: type[Schema]
    parties: tuple[Party, ...]
    does: str  # what it does, for the API's docs

    @property
    def who(self) -> str:
        return " or ".join(p.who for p in sorted(self.parties, key=lambda p: p.name))


ACTIONS = {
    "register": CaseAction(
        RegisterSchema, (COMMAND_CENTRE,), "reported → registered (立案); may correct category and priority"
    ),
    "reject": CaseAction(ReasonSchema, (COMMAND_CENTRE,), "reported → rejected (不予立案)"),
    "merge": CaseAction(MergeSchema, (COMMAND_CENTRE,), "reported or registered → merged into another case"),
    "dispatch": CaseAction(DispatchSchema, (COMMAND_CENTRE,), "registered → dispatched (派遣) to a department"),
    "accept": CaseAction(NoteSchema, (DEPARTMENT,), "dispatched → accepted (签收)"),
    "return": CaseAction(ReasonSchema, (DEPARTMENT,), "dispatched or accepted → registered (退回, not ours)"),
    "request_extension": CaseAction(ExtensionRequestSchema, (DEPARTMENT,), "ask for more time (延期)"),
    "approve_extension": CaseAction(NoteSchema, (SUPERVISION,), "the deadline moves by the hours asked"),
    "deny_extension": CaseAction(NoteSchema, (SUPERVISION,), "the deadline stays"),
    "suspend": CaseAction(ReasonSchema, (COMMAND_CENTRE, SUPERVISION), "park the case (挂起): its clock stops"),
    "resume": CaseAction(NoteSchema, (COMMAND_CENTRE, SUPERVISION), "the clock runs again"),
    "supervise": CaseAction(
        SuperviseSchema, (COMMAND_CENTRE, SUPERVISION), "put the case under supervision (督办) with an instruction"
    ),
    "resolve": CaseAction(ResolveSchema, (DEPARTMENT,), "accepted → resolved (处置反馈), with evidence"),
    "verify": CaseAction(VerifySchema, (GRID,), "resolved → verified (核查), or back as rework (返工)"),
    "close": CaseAction(
        NoteSchema, (COMMAND_CENTRE,), "verified → closed (结案); a case handled on the spot from resolved"
    ),
    "reopen": CaseAction(
        ReasonSchema, (GRID, COMMAND_CENTRE), "closed → dispatched as rework, within the reopen window"
    ),
    "cancel": CaseAction(ReasonSchema, (COMMAND_CENTRE, SUPERVISION), "any open case → cancelled (作废)"),
    "comment": CaseAction(CommentSchema, (COMMAND_CENTRE, SUPERVISION, DEPARTMENT, GRID), "add a remark, with files"),
}
