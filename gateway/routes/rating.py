"""回访: the public rates the outcome of a closed case through the link its notice carried (docs/open311.md).

No sign-in: the link's token is the authority, and the reporting service, which keeps
its hash, checks it (once, before it expires). A JSON endpoint for apps, and a plain
page for the person who opens the link from an e-mail or SMS.
"""

from werkzeug.wrappers import Response

from gateway import rating_page
from gateway.errors import status_for
from gateway.http import api, read_json
from gateway.security import app_headers
from shared.api.reports import RatingLinkSchema, RatingSchema
from shared.config import setting
from shared.errors import CivicgridError, Conflict, ValidationFailed

_PAGE = {"text/html": {"type": "string"}}
# the page answers its refusals as pages too, in the reader's language
_HTML = {
    200: ("The page.", _PAGE),
    400: ("The form again, saying what is missing.", _PAGE),
    404: ("An unknown link.", _PAGE),
    409: ("A link used already or expired.", _PAGE),
}


class RatingApi:
    @api(
        "GET",
        "/api/v1/public/ratings/<token>",
        public=True,
        tags=["open311"],
        summary="回访: what a rating link is for, and whether it can still be used (no sign-in: the token)",
        responses={200: ("The link's case and state.", RatingLinkSchema)},
        raises={Conflict: "The link was used or has expired."},
    )
    def rating_link(self, request, token):
        return self.reporting.rating_link(token)

    @api(
        "POST",
        "/api/v1/public/ratings/<token>",
        public=True,
        tags=["open311"],
        body=RatingSchema,
        summary="回访: rate the outcome of a closed case once, through the link its reporter was sent",
        responses={200: ("Taken.", RatingLinkSchema)},
        raises={Conflict: "The link was used or has expired."},
    )
    def rate(self, request, token):
        return self.reporting.rate(token, read_json(request))

    # -- the page ------------------------------------------------------------------------
    def _html(self, html: str, status: int = 200) -> Response:
        return Response(
            html,
            status=status,
            content_type="text/html; charset=utf-8",
            headers={**app_headers(setting(self.config, "UI_TILE_URL", "")), "Cache-Control": "no-store"},
        )

    def _category_name(self, code: str | None, language: str) -> str:
        try:
            services = self.directory.open311_catalogue()["services"]
        except CivicgridError:
            return code or ""
        found = next((s for s in services if s["code"] == code), None)
        return (found["name_en"] if language == "en" else found["name_zh"]) if found else (code or "")

    @api(
        "GET",
        "/rate/<token>",
        public=True,
        tags=["open311"],
        responses=_HTML,
        summary="回访: the page a reporter opens from their notice to rate the outcome (zh-CN or en, `?lang=`)",
    )
    def rating_page(self, request, token):
        language = rating_page.language_of(request.args.get("lang"), request.headers.get("Accept-Language"))
        return self._show(token, language, request.full_path.rstrip("?"))

    def _show(self, token: str, language: str, action: str, problem: str | None = None) -> Response:
        try:
            link = self.reporting.rating_link(token)
        except CivicgridError as exc:
            return self._refused(exc, language)
        if link["state"] != "open":
            return self._html(rating_page.refusal(f"rating.{link['state']}", None, language), 409)
        return self._html(
            rating_page.form(link, self._category_name(link.get("category"), language), language, action, problem),
            400 if problem else 200,
        )

    def _refused(self, exc: CivicgridError, language: str) -> Response:
        status = status_for(exc) or 503
        return self._html(rating_page.refusal(exc.reason or "rating.unknown_link", exc.params, language), status)

    @api(
        "POST",
        "/rate/<token>",
        public=True,
        tags=["open311"],
        responses=_HTML,
        summary="回访: the page's form (application/x-www-form-urlencoded: rating, comment)",
    )
    def rating_page_post(self, request, token):
        language = rating_page.language_of(request.args.get("lang"), request.headers.get("Accept-Language"))
        given = {
            "rating": request.form.get("rating") or None,
            "comment": (request.form.get("comment") or "").strip() or None,
        }
        try:
            self.reporting.rate(token, given)
        except ValidationFailed:
            return self._show(
                token,
                language,
                request.full_path.rstrip("?"),
                problem=rating_page.texts.render("page.rating.choose", None, language),
            )
        except CivicgridError as exc:
            return self._refused(exc, language)
        return self._html(rating_page.thanks(rating_page.texts.term("rating", given["rating"], language), language))
