"""Cases: finding them, reading them, acting on them, their files."""

from gateway.http import api, file_response, query_dict, read_json, read_upload
from shared.api.case_actions import ACTIONS
from shared.api.cases import (
    CaseListQuerySchema,
    CasePageSchema,
    CaseSchema,
    HistoryEntrySchema,
    WorklistQuerySchema,
)
from shared.api.common import PageQuerySchema
from shared.api.operations import WORKLOAD
from shared.api.reports import UPLOAD_FORM, AttachmentSchema
from shared.errors import Conflict, Unprocessable

MAX_UPLOAD = 10 * 1024 * 1024


class CasesApi:
    @api(
        "GET",
        "/api/v1/cases",
        summary="Find cases",
        tags=["cases"],
        query=CaseListQuerySchema,
        description="Filters combine; you see only the cases your role lets you see. Paged: `limit`, `cursor` "
        "and `next`, as every list.",
        responses={200: ("One page of cases.", CasePageSchema)},
    )
    def list_cases(self, request):
        return self.cases.list_cases(query_dict(request))

    @api(
        "GET",
        "/api/v1/cases/queue",
        summary="The operator queue: to register or dispatch, by priority then age",
        tags=["cases"],
        query=PageQuerySchema,
        responses={200: ("One page of cases.", CasePageSchema)},
    )
    def operator_queue(self, request):
        return self.cases.operator_queue(query_dict(request))

    @api(
        "GET",
        "/api/v1/cases/worklist",
        summary="A department's cases in hand, by deadline",
        tags=["cases"],
        query=WorklistQuerySchema,
        responses={200: ("One page of cases.", CasePageSchema)},
    )
    def worklist(self, request):
        return self.cases.worklist(query_dict(request))

    @api(
        "GET",
        "/api/v1/cases/workload",
        summary="Open cases in hand per department",
        tags=["cases"],
        responses={200: ("Per department.", WORKLOAD)},
    )
    def workload(self, request):
        return self.dispatch.workload()

    @api(
        "GET",
        "/api/v1/cases/<case_id>",
        summary="A case: status, category, grid, department, deadline and history",
        tags=["cases"],
        responses={200: ("The case.", CaseSchema)},
    )
    def get_case(self, request, case_id):
        return self.cases.get_case(case_id)

    @api(
        "GET",
        "/api/v1/cases/<case_id>/timeline",
        summary="A case's timeline: every step, who, when, why",
        tags=["cases"],
        responses={200: ("The history, oldest first.", HistoryEntrySchema(many=True))},
    )
    def timeline(self, request, case_id):
        return self.cases.timeline(case_id)

    @api(
        "POST",
        "/api/v1/cases/<case_id>/attachments",
        summary="Upload a photo (JPEG, PNG, WebP) or PDF for a case, at most 10 MB",
        description="multipart/form-data with a `file` field; the type is checked by content. Use the id "
        "in `attachments` of resolve, verify or comment.",
        tags=["cases"],
        body=UPLOAD_FORM,
        responses={201: ("Stored.", AttachmentSchema)},
        raises={Unprocessable: "Not an allowed file, or too large."},
    )
    def upload_case_attachment(self, request, case_id):
        filename, content = read_upload(request, MAX_UPLOAD)
        return 201, self.cases.upload_attachment(case_id, filename, content)

    @api(
        "GET",
        "/api/v1/attachments/<attachment_id>",
        summary="A file: a report's photo or a case's evidence",
        tags=["cases"],
        responses={200: ("The file, as its own type.", {"*/*": {"type": "string", "format": "binary"}})},
    )
    def download_attachment(self, request, attachment_id):
        owner = self.reporting if attachment_id.startswith("P") else self.cases
        return file_response(owner.read_attachment(attachment_id))


def _action_route(action: str):
    """The route of one action of the table (``shared.api.case_actions``): its body, who may, what it does."""
    spec = ACTIONS[action]

    def act(self, request, case_id):
        return self.cases.act(case_id, action, read_json(request))

    act.__name__ = f"case_{action}"
    return api(
        "POST",
        f"/api/v1/cases/<case_id>/{action}",
        summary=f"{action.replace('_', ' ')}: {spec.does}",
        description=f"Who: {spec.who}. Name the `version` you saw to be told (409) if it changed meanwhile.",
        tags=["case actions"],
        body=spec.body,
        responses={200: ("The case after the action.", CaseSchema)},
        raises={
            Conflict: "Wrong state, or someone acted first.",
            Unprocessable: "It names something unknown or not allowed (a category, a department).",
        },
    )(act)


CaseActionsApi = type("CaseActionsApi", (), {f"case_{a}": _action_route(a) for a in ACTIONS})
