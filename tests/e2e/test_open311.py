"""Open311 GeoReport v2 against the running platform, read with a client library the project did not write.

`georeport` (PyPI) makes every GET; it has no call for POST, so filing a request and
the error cases (whose bodies the library does not read) use raw HTTP.
"""

import uuid
from datetime import UTC, datetime, timedelta

import pytest
import requests
import xmltodict
from georeport import GeoReport

from tests.e2e.conftest import DISTRICT, OFFICER_GRID
from tests.e2e.lifecycle import Loop
from tests.support.infra import wait_for

CONTACT = {
    "email": "resident.wang@example.cn",
    "phone": "+86 139 1234 5678",
    "first_name": "Xiaoming",
    "last_name": "Wang",
}


@pytest.fixture(scope="module")
def xml_client(root):
    return GeoReport(root, jurisdiction=DISTRICT, output_format="xml")


def file_request(root, api_key, spot, *, fmt="json", **fields):
    form = {
        "api_key": api_key,
        "jurisdiction_id": DISTRICT,
        "service_code": "sanitation",
        "lat": str(spot["lat"]),
        "long": str(spot["lon"]),
        "description": "垃圾堆积 rubbish piled up",
        **fields,
    }
    return requests.post(f"{root}/requests.{fmt}", data=form, timeout=30)


def as_list(value):
    return value if isinstance(value, list) else [value]


def errors_of(answer) -> list[dict]:
    if answer.headers["Content-Type"].startswith("text/xml"):
        return as_list(xmltodict.parse(answer.content)["errors"]["error"])
    return answer.json()


# -- the catalogue ---------------------------------------------------------------------------


def test_services_are_the_public_categories_in_json_and_xml(client, xml_client):
    services = {s["service_code"]: s for s in client.get_service_list()}
    assert {"sanitation", "street_light", "drainage", "road_damage"} <= set(services)
    assert not {"dispute", "public_security", "elderly_alone", "safety_hazard"} & set(services)
    light = services["street_light"]
    assert light["metadata"] is True and services["sanitation"]["metadata"] is False
    assert (light["service_name"], light["type"], light["group"]) == ("路灯损坏", "realtime", "市政设施")
    assert "路灯" in light["keywords"].split(",")

    in_xml = {s["service_code"]: s for s in xml_client.get_service_list()}
    assert set(in_xml) == set(services)
    assert (in_xml["street_light"]["metadata"], in_xml["sanitation"]["metadata"]) == ("true", "false")


def test_a_service_definition_gives_the_typed_attributes(client, xml_client):
    definition = client.get_service_definition("street_light")
    assert definition["service_code"] == "street_light"
    fault = next(a for a in definition["attributes"] if a["code"] == "fault")
    assert (fault["datatype"], fault["required"], fault["variable"]) == ("singlevaluelist", True, True)
    assert {"key": "flickering", "name": "闪烁"} in fault["values"]
    assert [a["code"] for a in definition["attributes"]] == ["pole_number", "fault"]  # in their order

    in_xml = xml_client.get_service_definition("street_light")
    attributes = as_list(in_xml["attributes"]["attribute"])
    fault = next(a for a in attributes if a["code"] == "fault")
    assert fault["datatype"] == "singlevaluelist" and fault["required"] == "true"
    assert {"key": "flickering", "name": "闪烁"} in [dict(v) for v in as_list(fault["values"]["value"])]


def test_discovery_names_the_endpoint_and_its_formats(root):
    answer = requests.get(f"{root}/discovery.xml", timeout=15)
    assert answer.status_code == 200 and answer.headers["Content-Type"] == "text/xml; charset=utf-8"
    assert answer.content.startswith(b'<?xml version="1.0" encoding="utf-8"?>')
    endpoint = xmltodict.parse(answer.content)["discovery"]["endpoints"]["endpoint"]
    assert endpoint["url"] == root and "text/xml; charset=utf-8" in endpoint["formats"]["format"]
    assert requests.get(f"{root}/discovery.json", timeout=15).json()["endpoints"][0]["url"] == root


# -- filing and following a request ------------------------------------------------------------


def test_a_request_with_attributes_goes_round_the_loop_with_only_public_notes(
    platform, root, api_key, spot, client, xml_client
):
    answer = file_request(
        root,
        api_key,
        spot,
        service_code="street_light",
        description="路灯夜间不亮",
        **{"attribute[fault]": "off_at_night", "attribute[pole_number]": "XC-0042"},
        device_id=f"phone-{uuid.uuid4()}",
        **CONTACT,
    )
    assert answer.status_code == 201, answer.text
    (created,) = answer.json()
    request_id = created["service_request_id"]
    assert set(created) == {"service_request_id", "service_notice", "account_id"}

    operator = platform.as_user("operator1")
    case = wait_for(
        lambda: (r := operator.get(f"/api/v1/cases/{request_id}")).status_code == 200 and r.json(),
        timeout=15,
        message="case opened",
    )
    assert case["attributes"] == {"fault": "off_at_night", "pole_number": "XC-0042"}
    assert case["source"] == "public" and case["grid"] == OFFICER_GRID

    # street lights are dispatched by a rule without an operator, but not the public's reports: they are screened
    case = wait_for(
        lambda: (c := operator.get(f"/api/v1/cases/{request_id}").json()).get("suggestion") and c,
        timeout=15,
        message="the rule's suggestion",
    )
    assert case["status"] == "reported" and case["suggestion"]["department"] == "municipal"
    assert case["department"] is None

    seen = client.get_service_request(request_id)
    assert (seen["status"], seen["service_code"], seen["status_notes"]) == ("open", "street_light", None)
    assert (seen["lat"], seen["long"]) == (pytest.approx(spot["lat"]), pytest.approx(spot["lon"]))
    assert seen["requested_datetime"] and seen["agency_responsible"] is None

    loop = Loop(platform, spot, "municipal")
    loop.act(operator, request_id, "register")
    loop.act(operator, request_id, "comment", {"text": "内部：承包商电话 13800000000"})
    loop.act(operator, request_id, "dispatch", {"department": "municipal"})
    loop.act(operator, request_id, "comment", {"text": "已派市政处理 sent to the municipal works", "public": True})
    dispatched = client.get_service_request(request_id)
    assert dispatched["status"] == "open" and dispatched["agency_responsible"] == "市政设施管理所"
    assert dispatched["status_notes"] == "已派市政处理 sent to the municipal works"
    deadline = operator.get(f"/api/v1/cases/{request_id}").json()["deadline"]
    assert datetime.fromisoformat(dispatched["expected_datetime"]) == datetime.fromisoformat(deadline)

    loop.act(loop.handler, request_id, "accept")
    photo = loop.upload(loop.handler, request_id)
    loop.act(loop.handler, request_id, "resolve", {"note": "换了灯泡 内部工单 W-17", "attachments": [photo]})
    loop.act(loop.officer, request_id, "verify", {"passed": True, "note": "亮了"})
    loop.act(operator, request_id, "close", {"note": "路灯已修复 the light is fixed"})

    closed = client.get_service_request(request_id)
    assert closed["status"] == "closed" and closed["status_notes"] == "路灯已修复 the light is fixed"
    assert datetime.fromisoformat(closed["updated_datetime"]) >= datetime.fromisoformat(closed["requested_datetime"])
    in_xml = xml_client.get_service_request(request_id)
    assert (in_xml["status"], in_xml["status_notes"], in_xml["service_request_id"]) == (
        "closed",
        "路灯已修复 the light is fixed",
        request_id,
    )

    everything = "".join(
        requests.get(f"{root}/requests/{request_id}.{fmt}", timeout=15).text for fmt in ("json", "xml")
    )
    for internal in ("13800000000", "W-17", "亮了"):
        assert internal not in everything


def test_a_rejected_request_shows_the_reason(platform, root, api_key, spot, client):
    answer = file_request(root, api_key, spot, description=f"不是问题 {uuid.uuid4()}")
    request_id = answer.json()[0]["service_request_id"]
    operator = platform.as_user("operator1")
    wait_for(lambda: operator.get(f"/api/v1/cases/{request_id}").status_code == 200, timeout=15, message="case")
    Loop(platform, spot, "sanitation").act(
        operator, request_id, "reject", {"reason": "该处已于昨日清理 cleaned yesterday"}
    )
    seen = client.get_service_request(request_id)
    assert (seen["status"], seen["status_notes"]) == ("closed", "该处已于昨日清理 cleaned yesterday")


def test_multi_value_attributes_and_a_json_body(platform, root, api_key, spot, client):
    admin = platform.as_user("admin")
    category = admin.get("/api/v1/directory/categories/sanitation").json()
    category["attributes"] = [
        {
            "code": "kinds",
            "description": "What kind of rubbish",
            "datatype": "multivaluelist",
            "required": True,
            "order": 1,
            "values": [
                {"key": "household", "name": "Household"},
                {"key": "building", "name": "Building waste"},
                {"key": "bulky", "name": "Bulky items"},
            ],
        },
        {"code": "bags", "description": "How many bags", "datatype": "number", "order": 2},
    ]
    assert admin.put("/api/v1/directory/categories/sanitation", category).status_code == 200
    try:
        wait_for(
            lambda: (
                client.get_service_list()
                and next(s for s in client.get_service_list() if s["service_code"] == "sanitation")["metadata"]
            ),
            timeout=15,
            message="the definition changed",
        )
        form = [("attribute[kinds][]", "household"), ("attribute[kinds][]", "bulky"), ("attribute[bags]", "3")]
        answer = wait_for(
            lambda: (
                (
                    a := requests.post(
                        f"{root}/requests.json",
                        timeout=30,
                        data=[
                            ("api_key", api_key),
                            ("service_code", "sanitation"),
                            ("lat", spot["lat"]),
                            ("long", spot["lon"]),
                            ("description", f"大件垃圾 {uuid.uuid4()}"),
                            *form,
                        ],
                    )
                ).status_code
                == 201
                and a
            ),
            timeout=15,
            message="reporting has the new definition",
        )
        request_id = answer.json()[0]["service_request_id"]
        case = wait_for(
            lambda: (
                (r := platform.as_user("operator1").get(f"/api/v1/cases/{request_id}")).status_code == 200 and r.json()
            ),
            timeout=15,
            message="case opened",
        )
        assert case["attributes"] == {"kinds": ["household", "bulky"], "bags": 3}

        as_json = requests.post(
            f"{root}/requests.json",
            timeout=30,
            json={
                "api_key": api_key,
                "service_code": "sanitation",
                "lat": spot["lat"],
                "long": spot["lon"],
                "description": f"建筑垃圾 {uuid.uuid4()}",
                "attribute": {"kinds": ["building"], "bags": 1},
            },
        )
        assert as_json.status_code == 201, as_json.text

        missing = requests.post(
            f"{root}/requests.json",
            timeout=30,
            data={"api_key": api_key, "service_code": "sanitation", "lat": spot["lat"], "long": spot["lon"]},
        )
        assert missing.status_code == 400
        assert any(e["description"].startswith("attribute[kinds]") for e in missing.json())
    finally:
        category["attributes"] = []
        admin.put("/api/v1/directory/categories/sanitation", category)


def test_a_retried_post_from_the_same_device_makes_one_case(root, api_key, spot):
    device, text = f"phone-{uuid.uuid4()}", f"垃圾 {uuid.uuid4()}"
    first = file_request(root, api_key, spot, device_id=device, description=text)
    again = file_request(root, api_key, spot, device_id=device, description=text)
    other = file_request(root, api_key, spot, device_id=device, description=text + " 又一堆")
    assert first.status_code == again.status_code == other.status_code == 201, (first.text, again.text, other.text)
    assert first.json()[0]["service_request_id"] == again.json()[0]["service_request_id"]
    assert other.json()[0]["service_request_id"] != first.json()[0]["service_request_id"]


def test_filters_by_id_service_status_and_dates(platform, root, api_key, spot, client, xml_client):
    mine = [
        file_request(
            root,
            api_key,
            spot,
            service_code=code,
            description=f"{code} {uuid.uuid4()}",
            **({"attribute[severity]": "slow"} if code == "drainage" else {}),
        ).json()[0]["service_request_id"]
        for code in ("sanitation", "drainage")
    ]
    operator = platform.as_user("operator1")
    for request_id in mine:
        wait_for(
            lambda i=request_id: operator.get(f"/api/v1/cases/{i}").status_code == 200,
            timeout=15,
            message="case opened",
        )
    both = client.get_service_requests(service_request_id=",".join(mine))
    assert [r["service_request_id"] for r in both] == mine
    drains = client.get_service_requests(service_code="drainage", status="open")
    assert mine[1] in [r["service_request_id"] for r in drains]
    assert {r["service_code"] for r in drains} == {"drainage"} and {r["status"] for r in drains} == {"open"}
    assert mine[1] not in [r["service_request_id"] for r in client.get_service_requests(status="closed")]
    now = datetime.now(UTC)
    past = client.get_service_requests(
        start_date=(now - timedelta(days=30)).isoformat(), end_date=(now - timedelta(days=20)).isoformat()
    )
    assert not {r["service_request_id"] for r in past} & set(mine)
    recent = as_list(xml_client.get_service_requests(start_date=(now - timedelta(hours=1)).isoformat()))
    assert set(mine) <= {r["service_request_id"] for r in recent}
    page = requests.get(f"{platform.url}/open311/v2/requests.json", params={"page_size": 1, "page": 2}, timeout=15)
    assert page.status_code == 200 and len(page.json()) == 1


# -- personal data -----------------------------------------------------------------------------


def test_the_reporters_contact_details_are_in_no_answer(platform, root, api_key, spot, store):
    device = f"phone-{uuid.uuid4()}"
    answer = file_request(root, api_key, spot, device_id=device, account_id="acct-778899", **CONTACT)
    request_id = answer.json()[0]["service_request_id"]
    operator = platform.as_user("operator1")
    wait_for(lambda: operator.get(f"/api/v1/cases/{request_id}").status_code == 200, timeout=15, message="case")
    answers = [answer.text]
    for fmt in ("json", "xml"):
        answers.append(requests.get(f"{root}/requests/{request_id}.{fmt}", timeout=15).text)
        answers.append(requests.get(f"{root}/requests.{fmt}", timeout=15).text)
        answers.append(
            requests.get(f"{root}/requests.{fmt}", params={"service_request_id": request_id}, timeout=15).text
        )
    answers.append(operator.get(f"/api/v1/cases/{request_id}").text)
    answers.append(operator.get("/api/v1/cases/queue").text)
    personal = [*CONTACT.values(), device]
    for text in answers:
        assert not [p for p in personal if p in text]
    # the operators of the case see them; nobody else
    contact = wait_for(
        lambda: (r := operator.get(f"/api/v1/cases/{request_id}/reporter-contact")).status_code == 200 and r.json(),
        timeout=15,
        message="reporting knows the case",
    )
    (reporter,) = contact["reporters"]
    assert {k: reporter[k] for k in (*CONTACT, "device_id", "account_id")} == {
        **CONTACT,
        "device_id": device,
        "account_id": "acct-778899",
    }
    for other in ("supervisor", "handler-sanitation-1", "officer-610102001001001", "admin"):
        assert platform.as_user(other).get(f"/api/v1/cases/{request_id}/reporter-contact").status_code == 403
    # kept where the report is (reporting's database), and not in the case
    report = store("reporting")["reports"].find_one({"case_id": request_id})
    assert report["contact"] == {**CONTACT, "account_id": "acct-778899", "device_id": device}
    case = store("cases")["cases"].find_one({"_id": request_id})
    assert not [p for p in personal if p in repr(case)]


# -- keys --------------------------------------------------------------------------------------


def test_keys_are_shown_once_revocable_and_rate_limited(platform, root, spot):
    admin = platform.as_user("admin")
    made = admin.post("/api/v1/admin/open311/keys", {"app": "街道随手拍", "rate_limit_per_minute": 2})
    assert made.status_code == 201, made.text
    key = made.json()
    assert key["api_key"].startswith(key["prefix"])
    listed = admin.get("/api/v1/admin/open311/keys").json()["items"]
    assert key["key_id"] in [k["key_id"] for k in listed]
    assert not [k for k in listed if "api_key" in k or "hash" in k]
    assert platform.as_user("operator1").get("/api/v1/admin/open311/keys").status_code == 403

    statuses = [file_request(root, key["api_key"], spot, description=f"{n} {uuid.uuid4()}") for n in range(3)]
    if statuses[2].status_code == 201:  # the minute turned between them: a fresh minute, once more
        statuses = [file_request(root, key["api_key"], spot, description=f"{n} {uuid.uuid4()}") for n in range(3)]
    assert [a.status_code for a in statuses] == [201, 201, 429]
    assert errors_of(statuses[2]) == [{"code": 429, "description": "This api_key may make 2 requests a minute."}]

    assert admin.request("DELETE", f"/api/v1/admin/open311/keys/{key['key_id']}").json()["revoked_at"]
    revoked = file_request(root, key["api_key"], spot, fmt="xml")
    assert revoked.status_code == 403
    assert errors_of(revoked) == [{"code": "403", "description": "Unknown or revoked api_key."}]


# -- the specification's errors -------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_every_error_is_the_specifications_list(platform, root, api_key, spot, fmt):
    far_away = {"lat": "39.9042", "long": "116.4074"}  # Beijing: outside every grid of the district
    cases = [
        (file_request(root, None, spot, fmt=fmt), 403, "An api_key is required."),
        (file_request(root, "cg311_not-a-key", spot, fmt=fmt), 403, "Unknown or revoked api_key."),
        (file_request(root, api_key, spot, fmt=fmt, service_code="dispute"), 400, "service"),
        (file_request(root, api_key, spot, fmt=fmt, **far_away), 400, "outside every grid"),
        (file_request(root, api_key, spot, fmt=fmt, lat="", long=""), 400, "A location is required"),
        (file_request(root, api_key, spot, fmt=fmt, service_code="street_light"), 400, "attribute[fault]"),
        (file_request(root, api_key, spot, fmt=fmt, jurisdiction_id="110105"), 404, "jurisdiction_id"),
        (requests.get(f"{root}/services/dispute.{fmt}", timeout=15), 404, "service_code"),
        (requests.get(f"{root}/requests/C00000000000000000000000000.{fmt}", timeout=15), 404, "service_request_id"),
        (requests.get(f"{root}/requests/nonsense.{fmt}", timeout=15), 404, "service_request_id"),
        (
            requests.get(
                f"{root}/requests.{fmt}",
                params={"start_date": "2026-01-01T00:00:00Z", "end_date": "2026-06-01T00:00:00Z"},
                timeout=15,
            ),
            400,
            "90",
        ),
        (requests.get(f"{root}/requests.{fmt}", params={"status": "pending"}, timeout=15), 400, "status"),
        (requests.get(f"{root}/requests.{fmt}", params={"start_date": "yesterday"}, timeout=15), 400, "start_date"),
        (requests.get(f"{root}/services.{fmt}", params={"jurisdiction_id": "110105"}, timeout=15), 404, "610102"),
        (requests.get(f"{root}/tokens/abc.{fmt}", timeout=15), 404, "token"),
        (requests.get(f"{root}/nothing.{fmt}", timeout=15), 404, "No Open311 call"),
    ]
    for answer, status, words in cases:
        assert answer.status_code == status, (answer.request.url, answer.text)
        wanted = "text/xml; charset=utf-8" if fmt == "xml" else "application/json; charset=utf-8"
        assert answer.headers["Content-Type"] == wanted, answer.request.url
        errors = errors_of(answer)
        assert errors and all(str(e["code"]) == str(status) for e in errors), answer.text
        assert any(words in e["description"] for e in errors), (words, answer.text)
    assert requests.get(f"{root}/services.csv", timeout=15).status_code == 404


def test_a_routing_rule_may_let_the_publics_reports_through(platform, root, api_key, spot):
    admin = platform.as_user("admin")
    rule_id = f"community:{OFFICER_GRID[:12]}:greening"
    rule = {
        "rule_id": rule_id,
        "category": "greening",
        "community": OFFICER_GRID[:12],
        "street": None,
        "department": "landscaping",
        "automatic": True,
        "dispatch_public_reports": True,
    }
    assert admin.put(f"/api/v1/directory/routing-rules/{rule_id}", rule).status_code == 200
    try:
        operator = platform.as_user("operator1")

        def routed(case_id):
            case = operator.get(f"/api/v1/cases/{case_id}").json()
            return case if case.get("department") or case.get("suggestion") else None

        def dispatched_by_the_rule():  # dispatch hears of the new rule by event: a report may come before it
            answer = file_request(root, api_key, spot, service_code="greening", description=f"树倒了 {uuid.uuid4()}")
            case_id = answer.json()[0]["service_request_id"]
            case = wait_for(lambda: routed(case_id), timeout=15, message="routed")
            return case if case.get("department") else None

        case = wait_for(dispatched_by_the_rule, timeout=60, interval=1, message="dispatch has the rule")
        assert case["status"] == "dispatched" and case["department"] == "landscaping"
        assert [h["actor"]["user_id"] for h in case["history"][1:]] == ["system", "system"]
    finally:
        admin.request("DELETE", f"/api/v1/directory/routing-rules/{rule_id}")
