"""The gateway's Open311 routes over mocked services: formats, the specification's errors, the app's token."""

from xml.etree import ElementTree

from nameko.testing.services import worker_factory
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request

from gateway.service import GatewayService
from shared.errors import Forbidden, OutsideEveryGrid, TooManyRequests, ValidationFailed
from tests.service.fakes import FixedClock
from tests.support import district

CATALOGUE = {"jurisdiction_id": "610102", "services": [{**c, "public": True} for c in district.CATEGORIES]}


def gateway():
    service = worker_factory(GatewayService, open311_clock=FixedClock())
    service.directory.open311_catalogue.return_value = CATALOGUE
    service.directory.open311_session.return_value = {"token": "T-app", "key_id": "K1", "app": "随手拍"}
    service.reporting.submit_public_report.return_value = {
        "report_id": "R1",
        "case_id": "C1",
        "duplicate": False,
        "possible_duplicates": [],
    }
    return service


def request(method="GET", path="/", **options):
    made = Request(EnvironBuilder(method=method, path=path, **options).get_environ())
    made.correlation_id = "X1"
    return made


def test_services_in_xml_are_text_xml_with_the_specifications_root():
    answer = gateway().open311_services(request(query_string={"jurisdiction_id": "610102"}), "xml")
    assert answer.status_code == 200 and answer.headers["Content-Type"] == "text/xml; charset=utf-8"
    root = ElementTree.fromstring(answer.get_data())
    assert root.tag == "services" and {s.find("service_code").text for s in root} == {
        c["code"] for c in district.CATEGORIES
    }


def test_another_jurisdiction_is_a_404_naming_this_one():
    answer = gateway().open311_services(request(query_string={"jurisdiction_id": "110105"}), "json")
    assert answer.status_code == 404
    assert answer.get_json() == [
        {"code": 404, "description": "jurisdiction_id: this endpoint serves 610102, not 110105."}
    ]


def test_a_post_acts_as_the_app_and_answers_the_request_id():
    service = gateway()
    answer = service.open311_create_request(
        request(
            "POST",
            data={
                "api_key": "cg311_k",
                "service_code": "sanitation",
                "lat": "34.26",
                "long": "108.95",
                "attribute[kinds][]": ["a", "b"],
                "email": "wang@example.cn",
            },
        ),
        "json",
    )
    assert answer.status_code == 201, answer.get_data()
    assert answer.get_json() == [{"service_request_id": "C1", "service_notice": None, "account_id": None}]
    service.directory.open311_session.assert_called_once_with("cg311_k")
    service.open311_session.use.assert_called_once_with("T-app")
    (report,), kwargs = service.reporting.submit_public_report.call_args
    assert report["attributes"] == {"kinds": ["a", "b"]} and report["contact"] == {"email": "wang@example.cn"}
    assert kwargs == {"correlation_id": "X1"}


def test_the_key_is_checked_before_the_form_is_read():
    service = gateway()
    service.directory.open311_session.side_effect = Forbidden("An api_key is required.")
    answer = service.open311_create_request(request("POST", data={"service_code": "sanitation"}), "xml")
    assert answer.status_code == 403
    (error,) = ElementTree.fromstring(answer.get_data())
    assert (error.tag, error.find("code").text, error.find("description").text) == (
        "error",
        "403",
        "An api_key is required.",
    )
    service.reporting.submit_public_report.assert_not_called()


def test_the_services_refusals_become_the_specifications_errors():
    service = gateway()
    form = {"api_key": "k", "service_code": "drainage", "lat": "34.26", "long": "108.95"}
    for raised, status, description in [
        (
            ValidationFailed.from_messages({"attributes": {"severity": ["Missing data for required field."]}}),
            400,
            "attribute[severity]: Missing data for required field.",
        ),
        (
            ValidationFailed.from_messages({"contact": {"email": ["Not a valid email address."]}}),
            400,
            "email: Not a valid email address.",
        ),
        (
            OutsideEveryGrid("The location (1, 2) is outside every grid of the district."),
            400,
            "The location (1, 2) is outside every grid of the district.",
        ),
        (
            TooManyRequests("This api_key may make 2 requests a minute."),
            429,
            "This api_key may make 2 requests a minute.",
        ),
    ]:
        service.reporting.submit_public_report.side_effect = raised
        answer = service.open311_create_request(request("POST", data=form), "json")
        assert (answer.status_code, answer.get_json()) == (status, [{"code": status, "description": description}])


def test_an_unexpected_failure_reveals_nothing():
    service = gateway()
    service.cases.open311_requests.side_effect = RuntimeError("store at 10.0.0.5 refused")
    answer = service.open311_list_requests(request(), "json")
    assert answer.status_code == 500 and "10.0.0.5" not in answer.get_data(as_text=True)


def test_an_unknown_format_is_a_404_in_xml():
    answer = gateway().open311_services(request(), "csv")
    assert answer.status_code == 404 and answer.headers["Content-Type"].startswith("text/xml")


def test_a_request_id_that_cannot_be_a_case_is_a_404_without_asking():
    service = gateway()
    answer = service.open311_get_request(request(), "json", service_request_id="nonsense")
    assert answer.status_code == 404 and service.cases.open311_requests.call_count == 0
    service.cases.open311_requests.return_value = [{"service_request_id": "C" + "0" * 26}]
    found = service.open311_get_request(
        request(query_string={"locale": "en"}), "json", service_request_id="C" + "0" * 26
    )
    assert found.status_code == 200
    (query,), _ = service.cases.open311_requests.call_args
    assert query["ids"] == ["C" + "0" * 26] and query["language"] == "en"


def test_gets_are_answered_without_a_key():
    service = gateway()
    service.cases.open311_requests.return_value = []
    assert service.open311_list_requests(request(query_string={"status": "open"}), "xml").status_code == 200
    service.directory.open311_session.assert_not_called()
