"""ReportingService: intake of field reports, their photos, and duplicate suggestions."""

from nameko.dependency_providers import Config

from services.reporting import domain, duplicates
from services.reporting.placing import place_report
from services.reporting.storage import ReportStore
from shared.api.reports import AttachmentSchema, ReportAcceptedSchema, ReportSubmissionSchema
from shared.attachments import as_download, decode_upload, sniff
from shared.auth import can_see_case, may
from shared.clock import Clock
from shared.config import setting
from shared.errors import Forbidden, ValidationFailed
from shared.events import Event
from shared.ids import new_id
from shared.messaging import consumers
from shared.operable import Operable
from shared.refdata import FollowsDirectory, ReferenceData
from shared.rpc import rpc
from shared.validation import load

_submission = ReportSubmissionSchema()
_accepted = ReportAcceptedSchema()
_attachment = AttachmentSchema()


# The case events that move a case's place, owner or openness: reporting's own view of cases.
TRACKED = ("case.reported", "case.registered", "case.dispatched", "case.reworked", "case.returned", "case.closed",
           "case.rejected", "case.merged", "case.cancelled")


class ReportingService(Operable, FollowsDirectory, consumers("cases", TRACKED, "track_case")):
    name = "reporting"

    config = Config()
    store = ReportStore()
    clock = Clock()
    reference = ReferenceData("categories", "grid_map")

    @rpc
    def submit_report(self, data: dict, correlation_id: str | None = None) -> dict:
        identity = self.caller.require("reports.submit")
        submission = load(_submission, data)
        reporter_id = submission.get("reporter") or identity.user_id
        if reporter_id != identity.user_id and not may(identity, "reports.submit_for_others"):
            raise Forbidden.of("report.only_as_yourself")
        self.reference.require("categories")
        self.reference.require("grid_map")
        self._check_own_uploads(submission["attachments"], identity.user_id)
        place = place_report(
            submission["location"], submission.get("grid"),
            grids=self.reference.grids, index=self.reference.grid_index,
            tolerance_m=setting(self.config, "GRID_MISMATCH_TOLERANCE_M", 30.0, float),
        )
        now = self.clock.now()
        similar = self._possible_duplicates(submission, now)
        report, event = domain.accept_report(
            submission,
            reporter=reporter_id,
            filed_by=identity.actor("operator" if reporter_id != identity.user_id else None),
            place=place,
            categories=self.reference.categories,
            now=now,
            correlation_id=correlation_id or new_id("X"),
            possible_duplicates=similar,
        )
        stored, retried = self.store.add(report, event)
        return _accepted.dump({"report_id": stored["_id"], "case_id": stored["case_id"], "duplicate": retried,
                               "possible_duplicates": stored.get("possible_duplicates", [])})

    def _possible_duplicates(self, submission: dict, now) -> list[dict]:
        category = self.reference.categories.get(submission["category"])
        if category is None or submission.get("handled_on_spot"):
            return []
        radius = category.get("duplicate_radius_m", 50.0)
        box = duplicates.search_box(submission["location"], radius)
        candidates = self.store.open_cases_in(category["code"], box, duplicates.window_start(category, now))
        return duplicates.nearby(submission["location"], candidates, radius)

    def _check_own_uploads(self, ids: list[str], user_id: str) -> None:
        metas = {m["attachment_id"]: m for m in self.store.attachments.metas(ids)}
        problems = [i for i in ids if i not in metas or metas[i]["uploaded_by"] != user_id
                    or metas[i].get("report_id")]
        if problems:
            raise ValidationFailed.from_messages(
                {"attachments": [f"Not a photo you uploaded for a new report: {', '.join(problems)}."]})

    # -- photos ------------------------------------------------------------------------
    @rpc
    def upload_attachment(self, filename: str, content_b64: str) -> dict:
        identity = self.caller.require("reports.submit")
        data = decode_upload(content_b64, setting(self.config, "ATTACHMENT_MAX_BYTES", 10 * 1024 * 1024, int))
        stored = self.store.attachments.put(data, filename=filename, content_type=sniff(data),
                                            uploaded_by=identity.user_id, now=self.clock.now())
        return _attachment.dump(stored)

    @rpc
    def read_attachment(self, attachment_id: str) -> dict:
        identity = self.caller.require("cases.read")
        meta = self.store.attachments.meta(str(attachment_id))
        case = self.store.case_view(meta["case_id"]) if meta.get("case_id") else None
        if meta["uploaded_by"] != identity.user_id and not (case and can_see_case(identity, case)):
            raise Forbidden.of("file.not_visible")
        return as_download(meta, self.store.attachments.read(meta["attachment_id"]))

    # -- reporting's view of cases, from their events ------------------------------------
    def track_case(self, event: Event) -> None:
        reported_at = event.occurred_at if event.type == "case.reported" else None
        self.store.track_case(event.payload, reported_at=reported_at)
