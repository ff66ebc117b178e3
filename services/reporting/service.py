"""ReportingService: intake of field reports, their photos, and duplicate suggestions."""

import logging
from datetime import timedelta

from nameko.dependency_providers import Config

from services.reporting import domain
from services.reporting.domain import addressing, duplicates, notices, public
from services.reporting.domain.placing import place_report
from services.reporting.storage import CONTACT_RETENTION, ReportStore
from shared import texts
from shared.api.reports import (
    AttachmentSchema,
    PublicReportSchema,
    RatingLinkSchema,
    RatingSchema,
    ReportAcceptedSchema,
    ReportSubmissionSchema,
)
from shared.attachments import as_download, decode_upload, sniff
from shared.auth import can_see_case, may
from shared.clock import Clock
from shared.config import setting
from shared.errors import CivicgridError, Conflict, Forbidden, NotFound, ValidationFailed
from shared.events import Event, new_event
from shared.events.stages import stages
from shared.ids import new_id
from shared.messaging import event_handlers
from shared.operable import Operable
from shared.refdata import FollowsDirectory, ReferenceData
from shared.rpc import rpc
from shared.timer import timer
from shared.validation import load

_log = logging.getLogger(__name__)
_submission = ReportSubmissionSchema()
_accepted = ReportAcceptedSchema()
_attachment = AttachmentSchema()
_public = PublicReportSchema()
_rating_in, _rating_link = RatingSchema(), RatingLinkSchema()


#: Which event goes to which handler: the service's whole subscription, one queue per event (shared.messaging).
#: The case events that move a case's place, owner or openness make reporting's own view of cases.
EVENT_HANDLERS = {
    "cases": {
        "case.reported": "track_case",
        "case.registered": "track_case",
        "case.dispatched": "track_case",
        "case.reworked": "track_case",
        "case.returned": "track_case",
        "case.closed": "track_case",
        "case.rejected": "track_case",
        "case.merged": "track_case",
        "case.cancelled": "track_case",
    },
}


class ReportingService(Operable, FollowsDirectory, event_handlers(EVENT_HANDLERS)):
    name = "reporting"

    config = Config()
    store = ReportStore()
    clock = Clock()
    reference = ReferenceData("categories", "grid_map")

    @rpc
    def submit_report(self, data: dict, correlation_id: str | None = None) -> dict:
        identity = self.caller.identity
        try:
            submission = load(_submission, data)
        except ValidationFailed:
            # someone who may not report learns that, not which field is wrong (a retry needs a valid body)
            self.caller.require("reports.submit")
            raise
        reporter_id = submission.get("reporter") or identity.user_id
        if reporter_id != identity.user_id and not may(identity, "reports.submit_for_others"):
            raise Forbidden.of("report.only_as_yourself")
        # A retry is answered as the first report was, whatever is checked below: since then its photos belong to
        # that report, and the sender's roles, the categories or the grid map may have changed. Refusing it would
        # have the device offer to discard a report the server holds, and the officer file it twice. The store's
        # unique key finds a retry that passes the checks (``add``); only one refused by them is looked up here,
        # so a first report, nearly every one, costs no read for it.
        try:
            return self._accept_report(submission, reporter_id, identity, correlation_id)
        except CivicgridError:
            key = domain.replay_key(submission, reporter_id)
            if key and (first := self.store.first_report(key, domain.fingerprint(submission))):
                return self._accepted(first, retried=True)
            raise

    def _accept_report(self, submission: dict, reporter_id: str, identity, correlation_id: str | None) -> dict:
        self.caller.require("reports.submit")
        self.reference.require("categories")
        self.reference.require("grid_map")
        self._check_own_uploads(submission["attachments"], identity.user_id)
        place = place_report(
            submission["location"],
            submission.get("grid"),
            grids=self.reference.grids,
            index=self.reference.grid_index,
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
        return self._accepted(stored, retried=retried)

    @staticmethod
    def _accepted(stored: dict, *, retried: bool) -> dict:
        return _accepted.dump(
            {
                "report_id": stored["_id"],
                "case_id": stored["case_id"],
                "duplicate": retried,
                "possible_duplicates": stored.get("possible_duplicates", []),
            }
        )

    @rpc
    def submit_public_report(self, data: dict, correlation_id: str | None = None) -> dict:
        """A resident's report through an app holding an Open311 API key: the same intake as a staff report,
        marked ``public`` so that it waits for an operator to screen it (docs/open311.md)."""
        identity = self.caller.require("reports.submit_public")
        given = load(_public, data)
        self.reference.require("categories")
        self.reference.require("grid_map")
        category = public.check_public_category(given["category"], self.reference.categories)
        if given["location"] is None:
            given["location"] = self._place_by_address(given.get("address"))
        submission = public.submission_of(given, category)
        place = place_report(
            submission["location"], None, grids=self.reference.grids, index=self.reference.grid_index, tolerance_m=0.0
        )
        now = self.clock.now()
        reporter = public.reporter_of(identity.user_id)
        window = timedelta(seconds=setting(self.config, "PUBLIC_RETRY_WINDOW_SECONDS", 600, int))
        keys = public.dedup_keys(reporter, given["device_id"], submission, given, now=now, window=window)
        for key in keys:
            first = self.store.by_dedup_key(key)
            if public.is_recent_retry(first, now=now, window=window):
                return self._accepted(first, retried=True)
        report, event = domain.accept_report(
            submission,
            reporter=reporter,
            filed_by=identity.actor(),
            place=place,
            categories=self.reference.categories,
            now=now,
            correlation_id=correlation_id or new_id("X"),
            possible_duplicates=self._possible_duplicates(submission, now),
            source="public",
            public=public.public_facts(given),
        )
        report["contact"] = public.contact_of(given, given["account_id"], given["device_id"])
        # one of the languages the notices are written in, whatever the setting says (zh-CN unless en)
        report["language"] = given.get("language") or texts.language_of(
            setting(self.config, "PUBLIC_DEFAULT_LANGUAGE", "zh-CN")
        )
        if keys:
            report["dedup_key"] = keys[0]
        stored, retried = self.store.add(report, event)
        return self._accepted(stored, retried=retried)

    def _place_by_address(self, address: str | None) -> dict:
        """A point inside the grid an address names (no geocoder: the grid map's names)."""
        if not address:
            raise ValidationFailed.from_messages(
                {"location": ["A location is required: lat and long, or an address naming a grid of the district."]}
            )
        grid = addressing.grid_of_address(address, self.reference.grids, self.reference.areas)
        lat, lon = self.reference.grid_index.inside_point(grid)
        return {"lat": lat, "lon": lon}

    @rpc
    def reporter_contact(self, case_id: str) -> dict:
        """The contact details the public gave with the reports of a case: for its operators only."""
        identity = self.caller.require("reports.read_contact")
        case = self.store.case_view(str(case_id))
        if case is None or not can_see_case(identity, case):
            raise NotFound.of("case.not_found", case_id=case_id)
        return {
            "case_id": case["_id"],
            "reporters": [
                {**c, "received_at": c["received_at"].isoformat()} for c in self.store.contacts_for_case(case["_id"])
            ],
        }

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
        problems = [i for i in ids if i not in metas or metas[i]["uploaded_by"] != user_id or metas[i].get("report_id")]
        if problems:
            raise ValidationFailed.from_messages(
                {"attachments": [f"Not a photo you uploaded for a new report: {', '.join(problems)}."]}
            )

    # -- photos ------------------------------------------------------------------------
    @rpc
    def upload_attachment(self, filename: str, content_b64: str) -> dict:
        identity = self.caller.require("reports.submit")
        data = decode_upload(content_b64, setting(self.config, "ATTACHMENT_MAX_BYTES", 10 * 1024 * 1024, int))
        stored = self.store.attachments.put(
            data, filename=filename, content_type=sniff(data), uploaded_by=identity.user_id, now=self.clock.now()
        )
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
        """Move the view of the case to where ``event`` leaves it, and tell the public's reporters what it tells of:
        as each stage it stands for would have (a case born dispatched: its report, registration and dispatch;
        ``shared/events/stages.py``), in one write of the view."""
        told = stages(event)
        reported = next((s for s in told if s.type == "case.reported"), None)
        moved = self.store.track_case(event.payload, reported_at=reported.occurred_at if reported else None)
        if event.payload.get("source") == "public":
            about = [s for s in told if notices.told_of(s)]
            if about:
                self._tell_reporters(about, consumed=event)
            if moved:  # an event older than what the view holds says nothing about now
                self.store.contact_kept_until(
                    event.payload["case_id"], event.payload["status"], event.occurred_at, self._retention
                )

    # -- personal data kept no longer than needed -----------------------------------------------
    @property
    def _retention(self) -> timedelta:
        return timedelta(days=setting(self.config, "CONTACT_RETENTION_DAYS", 180, float))

    @timer("CONTACT_SWEEP_SECONDS", 3600.0)
    def forget_contacts(self) -> int:
        """Let go of the public's contact details ``CONTACT_RETENTION_DAYS`` after their case ended (closed,
        rejected, merged, cancelled; on the platform clock), in the replica holding the lease; returns how many.
        A case reopened before then keeps them until it ends again."""
        if not self.store.lease(CONTACT_RETENTION).try_acquire():
            return 0
        forgotten = self.store.forget_expired_contacts(self.clock.now(), 1000)
        if forgotten:
            _log.info("let go of the contact details of %d public report(s)", forgotten)
        return forgotten

    # -- telling the public what became of their report, and their rating (回访) -------------
    def _tell_reporters(self, about: list[Event], *, consumed: Event) -> None:
        """Each public report of the case whose reporter can be reached gets a notice of each stage in ``about``,
        once per case event (``consumed``, the event delivered): the notifications service sends it, asking
        ``notice_address`` for where to (docs/open311.md)."""
        now = self.clock.now()
        days = setting(self.config, "RATING_VALID_DAYS", 7, float)
        valid_for = timedelta(days=days)
        for report in self.store.public_reports_of(consumed.payload["case_id"]):
            if not notices.channels_of(report.get("contact")):
                continue
            kept, told, rating = [], [], None
            for stage in about:
                notice_kept, notice = notices.notice_for(
                    stage, report, now=now, rating_days=days, language=texts.language_of(report.get("language"))
                )
                kept.append(notice_kept)
                told.append(notice)
                if stage.type == "case.closed":
                    rating = notices.rating_round(stage, notice_kept["notice_id"], now=now, valid_for=valid_for)
            self.store.add_notices(report["_id"], kept, told, consumed=consumed, rating=rating)

    @rpc
    def notice_address(self, report_id: str, notice_id: str, capability: str, channel: str) -> dict:
        """Where to send one notice: for the notifications service, which holds the notice's capability and keeps
        none of this. A closing's notice also gets a new rating token for this channel (the link lives only in the
        message). No caller token: the capability is the authority, and it opens only this report's address."""
        report = self.store.report_for_notice(str(report_id))
        kept = notices.capability_fits(report or {}, str(notice_id), str(capability)) if report else None
        address = (report or {}).get("contact", {}).get({"email": "email", "sms": "phone"}.get(channel, ""))
        if kept is None or not address:
            raise NotFound.of("notice.no_address")
        answer = {"address": address, "rating_token": None}
        rating = report.get("rating") or {}
        if (
            kept["about"] == "case.closed"
            and rating.get("notice_id") == kept["notice_id"]
            and rating.get("rated_at") is None
            and self.clock.now() <= rating["expires_at"]
        ):
            token = notices.new_rating_token(report["_id"])
            if self.store.keep_rating_token(report["_id"], kept["notice_id"], channel, notices.digest(token)):
                answer["rating_token"] = token
        return answer

    def _rated_report(self, token: str) -> tuple[dict, str]:
        report_id = notices.report_of_token(str(token))
        report = self.store.report_for_notice(report_id) if report_id else None
        state = notices.rating_state(report, str(token), self.clock.now())
        if state == "unknown":
            raise NotFound.of("rating.unknown_link")
        return report, state

    @rpc
    def rating_link(self, token: str) -> dict:
        """What a rating link is for and whether it can still be used: public, the token is the authority."""
        report, state = self._rated_report(token)
        rating = report["rating"]
        return _rating_link.dump(
            {
                "case_id": report["case_id"],
                "category": report.get("category"),
                "state": state,
                "expires_at": rating["expires_at"],
                "rating": rating.get("rating"),
            }
        )

    @rpc
    def rate(self, token: str, body: dict) -> dict:
        """Take the reporter's rating through their link: once, before it expires (docs/open311.md, 回访)."""
        given = load(_rating_in, body if isinstance(body, dict) else {})
        report, state = self._rated_report(token)
        if state != "open":
            raise Conflict.of(f"rating.{state}")
        now, rating = self.clock.now(), report["rating"]
        event = new_event(
            "report.rated",
            {
                "report_id": report["_id"],
                "case_id": report["case_id"],
                "rating": given["rating"],
                "comment": given["comment"],
                "rated_at": now,
                "closed_at": rating.get("closed_at"),
            },
            producer="reporting",
            occurred_at=now,
            correlation_id=report.get("correlation_id") or new_id("X"),
        )
        if not self.store.take_rating(
            report["_id"],
            rating["notice_id"],
            {"rated_at": now, "rating": given["rating"], "comment": given["comment"]},
            event,
        ):
            raise Conflict.of("rating.used")
        return self.rating_link(token)
