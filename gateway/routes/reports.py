from gateway.http import api, read_json, read_upload
from shared.api.reports import (
    UPLOAD_FORM,
    AttachmentSchema,
    ReportAcceptedSchema,
    ReportSubmissionSchema,
)
from shared.errors import Conflict, Unprocessable

MAX_UPLOAD = 10 * 1024 * 1024


class ReportsApi:
    @api(
        "POST",
        "/api/v1/reports",
        summary="File a field report (信息采集)",
        description=(
            "Accepts a grid officer's report and reserves its case. The answer comes "
            "before the case is opened: follow it at `/api/v1/cases/{case_id}`. Send an "
            "`idempotency_key` so that retries over a bad network never make a second report."
        ),
        tags=["reports"],
        body=ReportSubmissionSchema,
        responses={202: ("Accepted; the case is being opened.", ReportAcceptedSchema)},
        raises={
            Conflict: "The idempotency key was used for a different report.",
            Unprocessable: "Unknown category, or a point outside every grid.",
        },
    )
    def submit_report(self, request):
        body = read_json(request)
        accepted = self.reporting.submit_report(body, correlation_id=request.correlation_id)
        return 202, accepted

    @api(
        "POST",
        "/api/v1/reports/attachments",
        summary="Upload a photo for a report about to be filed (JPEG, PNG, WebP or PDF, at most 10 MB)",
        description="multipart/form-data with a `file` field; the type is checked by content, not by name. "
        "Put the returned id in the report's `attachments`.",
        tags=["reports"],
        body=UPLOAD_FORM,
        responses={201: ("Stored.", AttachmentSchema)},
        raises={Unprocessable: "Not an allowed file, or too large."},
    )
    def upload_report_attachment(self, request):
        filename, content = read_upload(request, MAX_UPLOAD)
        return 201, self.reporting.upload_attachment(filename, content)
