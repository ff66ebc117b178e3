from gateway.http import api, read_json, read_upload
from shared.api.common import ErrorSchema
from shared.api.reports import AttachmentSchema, ReportAcceptedSchema, ReportSubmissionSchema

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
        responses={
            202: ("Accepted; the case is being opened.", ReportAcceptedSchema),
            400: ("Invalid fields, listed one by one.", ErrorSchema),
            409: ("The idempotency key was used for a different report.", ErrorSchema),
            422: ("Unknown category.", ErrorSchema),
        },
    )
    def submit_report(self, request):
        body = read_json(request)
        accepted = self.reporting.submit_report(body, correlation_id=request.correlation_id)
        return 202, accepted

    @api("POST", "/api/v1/reports/attachments",
         summary="Upload a photo for a report about to be filed (JPEG, PNG, WebP or PDF, at most 10 MB)",
         description="multipart/form-data with a `file` field; the type is checked by content, not by name. "
                     "Put the returned id in the report's `attachments`.",
         tags=["reports"], responses={201: ("Stored.", AttachmentSchema), 422: ("Not an allowed file.", ErrorSchema)})
    def upload_report_attachment(self, request):
        filename, content = read_upload(request, MAX_UPLOAD)
        return 201, self.reporting.upload_attachment(filename, content)
