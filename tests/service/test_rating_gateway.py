"""回访 through the gateway over a mocked reporting service: the page in the reader's language, its refusals."""

from datetime import UTC, datetime

from nameko.testing.services import worker_factory
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request

from gateway.service import GatewayService
from shared.errors import Conflict, NotFound, ValidationFailed
from tests.support import district

TOKEN = "R" + "1" * 26 + ".abcdefghijklmnopqrstuvwx"
LINK = {
    "case_id": "C1",
    "category": "sanitation",
    "state": "open",
    "rating": None,
    "expires_at": datetime(2026, 12, 13, 2, 0, tzinfo=UTC).isoformat(),
}


def gateway():
    service = worker_factory(GatewayService)
    service.directory.open311_catalogue.return_value = {"jurisdiction_id": "610102", "services": district.CATEGORIES}
    service.reporting.rating_link.return_value = dict(LINK)
    return service


def request(method="GET", path=f"/rate/{TOKEN}", **options):
    made = Request(EnvironBuilder(method=method, path=path, **options).get_environ())
    made.correlation_id = "X1"
    return made


def test_the_page_shows_the_form_in_the_readers_language_under_the_apps_policy():
    answer = gateway().rating_page(request(query_string={"lang": "en"}), TOKEN)
    page = answer.get_data(as_text=True)
    assert answer.status_code == 200 and answer.headers["Content-Type"] == "text/html; charset=utf-8"
    assert '<html lang="en">' in page and "basically satisfied" in page and "C1" in page
    assert "script-src 'self'" in answer.headers["Content-Security-Policy"]
    assert answer.headers["Referrer-Policy"] == "no-referrer"  # the token stays out of other sites' logs
    chinese = gateway().rating_page(request(headers={"Accept-Language": "zh-CN,zh;q=0.9"}), TOKEN)
    assert "基本满意" in chinese.get_data(as_text=True)


def test_a_form_sent_takes_the_rating_once_and_says_thanks():
    service = gateway()
    answer = service.rating_page_post(request("POST", data={"rating": "satisfied", "comment": "  好  "}), TOKEN)
    assert answer.status_code == 200 and "满意" in answer.get_data(as_text=True)
    service.reporting.rate.assert_called_once_with(TOKEN, {"rating": "satisfied", "comment": "好"})


def test_refusals_are_pages_with_the_error_tables_status():
    service = gateway()
    service.reporting.rate.side_effect = ValidationFailed.from_messages({"rating": ["Missing data."]})
    missing = service.rating_page_post(request("POST", data={}), TOKEN)
    assert missing.status_code == 400 and "请选择一项评价" in missing.get_data(as_text=True)
    service.reporting.rate.side_effect = Conflict.of("rating.used")
    used = service.rating_page_post(request("POST", data={"rating": "unsatisfied"}, query_string={"lang": "en"}), TOKEN)
    assert used.status_code == 409 and "already been rated" in used.get_data(as_text=True)
    service.reporting.rating_link.side_effect = NotFound.of("rating.unknown_link")
    unknown = service.rating_page(request(), TOKEN)
    assert unknown.status_code == 404 and "评价链接无效" in unknown.get_data(as_text=True)


def test_an_expired_link_is_said_so_before_the_form():
    service = gateway()
    service.reporting.rating_link.return_value = {**LINK, "state": "expired"}
    answer = service.rating_page(request(query_string={"lang": "en"}), TOKEN)
    assert answer.status_code == 409 and "expired" in answer.get_data(as_text=True)
    assert "<form" not in answer.get_data(as_text=True)
