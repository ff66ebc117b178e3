"""The services' side of Open311: the public's reports (reporting) and what everyone may see of them (cases)."""

from datetime import timedelta

import pytest
from nameko.testing.services import worker_factory

from services.cases.service import CasesService
from services.directory.domain import with_places
from services.directory.service import DirectoryService
from services.reporting.service import ReportingService
from shared.auth import Identity
from shared.auth.policy import PUBLIC_APP
from shared.auth.tokens import verify_token
from shared.errors import (
    Forbidden,
    NotFound,
    TooManyRequests,
    Unauthenticated,
    UnknownCategory,
    ValidationFailed,
)
from shared.workcalendar import WorkCalendar
from tests.service.fakes import FakeCaller, FakeCases, FakeReports, FixedClock, reference_with
from tests.support import district
from tests.support.samples import NOW, sample_event

APP = Identity("app:K1", frozenset({PUBLIC_APP}), name="随手拍")
OFFICER = Identity("officer-1", frozenset({"grid_officer"}), grids=frozenset({"610102001001001"}))
OPERATOR = Identity("operator1", frozenset({"operator"}))
PUBLIC_CATEGORIES = [{**c, "public": c["code"] != "drainage"} for c in district.CATEGORIES]
CONTACT = {"email": "wang@example.cn", "phone": "13912345678", "first_name": "Ming", "last_name": "Wang"}
REPORT = {
    "category": "sanitation",
    "description": "垃圾堆积",
    "location": district.centre(0),
    "address": "东新街 1 号",
    "media_url": "https://example.cn/p.jpg",
    "attributes": {},
    "device_id": "phone-1",
    "account_id": "acct-1",
    "contact": CONTACT,
}


def reporting(identity=APP, clock=None):
    reference = reference_with(
        categories={"items": PUBLIC_CATEGORIES},
        grid_map={"map_version": 1, "areas": district.AREAS, "grids": with_places(district.AREAS, district.GRIDS)},
    )
    return worker_factory(
        ReportingService,
        store=FakeReports(),
        clock=clock or FixedClock(),
        caller=FakeCaller(identity),
        reference=reference,
        config={"PUBLIC_RETRY_WINDOW_SECONDS": 600},
    )


def test_a_public_report_is_marked_public_and_its_contact_stays_in_the_report():
    service = reporting()
    answer = service.submit_public_report(REPORT, correlation_id="X1")
    (event,) = service.store.events
    p = event.payload
    assert (p["source"], p["reporter"], p["case_id"]) == ("public", "public:K1", answer["case_id"])
    assert (p["address"], p["media_url"]) == ("东新街 1 号", "https://example.cn/p.jpg")
    assert not [v for v in (*CONTACT.values(), "phone-1", "acct-1") if v in repr(p)]
    (report,) = service.store.reports.values()
    assert report["contact"] == {**CONTACT, "account_id": "acct-1", "device_id": "phone-1"}
    assert report["source"] == "public" and event.actor["role"] == PUBLIC_APP


def test_only_an_app_may_file_the_publics_reports():
    with pytest.raises(Forbidden):
        reporting(OFFICER).submit_public_report(REPORT)


def test_a_category_not_open_to_the_public_is_refused():
    with pytest.raises(UnknownCategory, match="open to the public"):
        reporting().submit_public_report({**REPORT, "category": "drainage", "attributes": {"severity": "slow"}})


def test_form_text_is_typed_and_checked_like_an_officers_attributes():
    service = reporting()
    with pytest.raises(ValidationFailed) as caught:
        service.submit_public_report({**REPORT, "attributes": {"nonsense": "1"}})
    assert "nonsense" in caught.value.details["fields"]["attributes"]
    assert service.store.reports == {}


def test_a_retry_from_the_same_device_answers_the_first_case_and_later_it_is_a_new_report():
    clock = FixedClock()
    service = reporting(clock=clock)
    first = service.submit_public_report(REPORT)
    again = service.submit_public_report(REPORT)
    assert again["case_id"] == first["case_id"] and again["duplicate"] is True
    assert len(service.store.events) == 1
    other_device = service.submit_public_report({**REPORT, "device_id": "phone-2"})
    assert other_device["case_id"] != first["case_id"]
    clock._now += timedelta(minutes=11)
    later = service.submit_public_report(REPORT)
    assert later["case_id"] != first["case_id"] and later["duplicate"] is False


def test_without_a_device_every_post_is_a_report():
    service = reporting()
    anonymous = {**REPORT, "device_id": None}
    assert service.submit_public_report(anonymous)["case_id"] != service.submit_public_report(anonymous)["case_id"]


def test_a_reporters_contact_is_for_the_cases_operators_only():
    service = reporting()
    answer = service.submit_public_report(REPORT)
    service.store.case_view = lambda case_id: (
        {"_id": case_id, "grid": "610102001001001"} if (case_id == answer["case_id"]) else None
    )
    service.store.contacts_for_case = lambda case_id: [
        {"report_id": r["_id"], "received_at": r["received_at"], **r["contact"]}
        for r in service.store.reports.values()
        if r["case_id"] == case_id
    ]
    service.caller = FakeCaller(OPERATOR)
    (seen,) = service.reporter_contact(answer["case_id"])["reporters"]
    assert seen["email"] == CONTACT["email"] and seen["device_id"] == "phone-1"
    with pytest.raises(NotFound):
        service.reporter_contact("C-unknown")
    service.caller = FakeCaller(OFFICER)
    with pytest.raises(Forbidden):
        service.reporter_contact(answer["case_id"])


# -- cases -------------------------------------------------------------------------------------


def cases():
    return worker_factory(
        CasesService,
        store=FakeCases(),
        clock=FixedClock(),
        caller=FakeCaller(None),
        config={"REOPEN_WINDOW_DAYS": 30},
        calendar=WorkCalendar(),
        reference=reference_with(
            categories={"items": PUBLIC_CATEGORIES},
            departments={"items": district.DEPARTMENTS},
            routing_rules={"items": district.ROUTING_RULES},
        ),
    )


def public_incident(case_id, **extra):
    return sample_event(
        "incident.reported",
        case_id=case_id,
        report_id="R" + case_id,
        source="public",
        reporter="public:K1",
        address="东新街 1 号",
        media_url=None,
        **extra,
    )


QUERY = {"start": (NOW - timedelta(days=1)).isoformat(), "end": (NOW + timedelta(days=1)).isoformat()}


def test_open311_lists_the_publics_cases_without_who_reported_them():
    service = cases()
    service.on_incident_reported(sample_event("incident.reported", case_id="C-field"))
    service.on_incident_reported(public_incident("C-public"))
    (request,) = service.open311_requests(QUERY)
    assert request["service_request_id"] == "C-public" and request["status"] == "open"
    assert (request["service_name"], request["address"]) == ("环境卫生", "东新街 1 号")
    assert "public:K1" not in repr(request)
    assert service.open311_requests({**QUERY, "ids": []}) == [request]
    assert service.open311_requests({**QUERY, "status": ["closed"]}) == []
    assert service.open311_requests({**QUERY, "categories": ["drainage"]}) == []
    assert service.store.cases["C-public"]["source"] == "public"
    assert "public_requested_at" not in service.store.cases["C-field"]


def test_the_open311_query_is_checked_by_the_cases_service_too():
    with pytest.raises(ValidationFailed):
        cases().open311_requests({"start": QUERY["start"], "end": (NOW + timedelta(days=100)).isoformat()})
    with pytest.raises(ValidationFailed):
        cases().open311_requests({**QUERY, "status": ["pending"]})


# -- directory: the apps' keys ------------------------------------------------------------------


class _Keys:
    """The directory store's key verbs over a dict; one request a window per key beyond its limit is refused."""

    def __init__(self):
        self.keys: dict[str, dict] = {}

    def add_api_key(self, document):
        self.keys[document["_id"]] = dict(document)

    def api_keys(self):
        return list(self.keys.values())

    def api_key_by_hash(self, digest):
        return next((k for k in self.keys.values() if k["hash"] == digest), None)

    def revoke_api_key(self, key_id, now):
        self.keys[key_id]["revoked_at"] = self.keys[key_id]["revoked_at"] or now
        return self.keys[key_id]

    def take_request_slot(self, key, window):
        kept = self.keys[key["_id"]]
        if kept["window"] != window:
            kept.update(window=window, used=0)
        kept["used"] += 1
        return kept["used"] <= kept["rate_limit_per_minute"]


def directory(identity):
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    signer = type("Signer", (), {"key": Ed25519PrivateKey.generate()})()
    service = worker_factory(
        DirectoryService, store=_Keys(), clock=FixedClock(), caller=FakeCaller(identity), signer=signer
    )
    return service, signer.key.public_key()


def test_a_key_is_shown_once_listed_without_it_and_exchanged_for_a_one_request_token():
    service, public_key = directory(Identity("admin", frozenset({"admin"})))
    made = service.create_api_key({"app": "随手拍", "rate_limit_per_minute": 2})
    assert made["api_key"].startswith(made["prefix"]) and made["created_by"] == "admin"
    (listed,) = service.list_api_keys()
    assert "api_key" not in listed and "hash" not in listed and made["api_key"] not in repr(service.store.keys)

    session = service.open311_session(made["api_key"])
    identity = verify_token(public_key, session["token"], now=FixedClock().now())
    assert (identity.user_id, identity.roles, identity.name) == (f"app:{made['key_id']}", {PUBLIC_APP}, "随手拍")
    assert not verify_token(public_key, session["token"], now=FixedClock().now()).grids
    with pytest.raises(Unauthenticated):  # it lasts one request, not a session
        verify_token(public_key, session["token"], now=FixedClock().now() + timedelta(minutes=3))

    service.open311_session(made["api_key"])
    with pytest.raises(TooManyRequests):
        service.open311_session(made["api_key"])
    service.revoke_api_key(made["key_id"])
    with pytest.raises(Forbidden, match="revoked"):
        service.open311_session(made["api_key"])
    with pytest.raises(Forbidden, match="required"):
        service.open311_session("")


def test_only_administrators_manage_keys():
    service, _ = directory(OPERATOR)
    for call in (
        lambda: service.create_api_key({"app": "x"}),
        service.list_api_keys,
        lambda: service.revoke_api_key("K1"),
    ):
        with pytest.raises(Forbidden):
            call()
