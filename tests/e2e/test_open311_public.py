"""The public's side of Open311 against the running platform: being told what became of a report, and 回访.

Reads go through `georeport` (PyPI), the client the project did not write; filing,
acting on cases and the rating page use raw HTTP (the library has no call for them).
"""

import re
import uuid
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from zoneinfo import ZoneInfo

import requests

from tests.e2e.conftest import DISTRICT, OFFICER_GRID
from tests.e2e.lifecycle import Loop
from tests.support.infra import wait_for


def contact():
    """A reporter of one's own: a fresh address and phone per test, so each test reads only its own mail."""
    tag = uuid.uuid4().hex[:10]
    return {
        "email": f"resident-{tag}@example.cn",
        "phone": f"+86 139 {int(tag[:8], 16) % 10**8:08d}",
        "first_name": "Xiaoming",
        "last_name": f"Wang{tag}",
    }


def file_request(root, api_key, spot, **fields) -> str:
    form = {
        "api_key": api_key,
        "jurisdiction_id": DISTRICT,
        "service_code": "sanitation",
        "lat": str(spot["lat"]),
        "long": str(spot["lon"]),
        "description": f"垃圾堆积 {uuid.uuid4()}",
        **fields,
    }
    answer = requests.post(f"{root}/requests.json", data=form, timeout=30)
    assert answer.status_code == 201, answer.text
    return answer.json()[0]["service_request_id"]


def mail_to(smtp, address: str, count: int) -> list[EmailMessage]:
    return wait_for(
        lambda: len(m := smtp.to(address)) >= count and m, timeout=30, message=f"{count} e-mail(s) to {address}"
    )


def mail_saying(smtp, address: str, words: str, count: int = 1) -> list[EmailMessage]:
    """The e-mails to ``address`` whose subject holds ``words`` (notices are sent apart, in any order)."""
    return wait_for(
        lambda: len(m := [x for x in smtp.to(address) if words in x["Subject"]]) >= count and m,
        timeout=30,
        message=f"{count} e-mail(s) to {address} saying {words}",
    )


def text_of(message) -> str:
    return message.get_body(("plain",)).get_content()


def opened(platform, case_id):
    operator = platform.as_user("operator1")
    wait_for(lambda: operator.get(f"/api/v1/cases/{case_id}").status_code == 200, timeout=15, message="case opened")
    return operator


def closed_case(platform, root, api_key, spot, person, **fields) -> tuple[str, Loop]:
    case_id = file_request(root, api_key, spot, **person, **fields)
    operator = opened(platform, case_id)
    loop = Loop(platform, spot, "sanitation")
    loop.act(operator, case_id, "register")
    loop.act(operator, case_id, "dispatch", {"department": "sanitation"})
    loop.act(loop.handler, case_id, "accept")
    photo = loop.upload(loop.handler, case_id)
    loop.act(loop.handler, case_id, "resolve", {"note": "已清运 内部工单 W-9", "attachments": [photo]})
    loop.act(loop.officer, case_id, "verify", {"passed": True, "note": "干净了"})
    loop.act(operator, case_id, "close", {"note": "垃圾已清运 the rubbish is gone"})
    return case_id, loop


def rating_link(platform, message) -> str:
    found = re.search(re.escape(platform.url) + r"/rate/[A-Za-z0-9._~%-]+\?lang=[A-Za-z-]+", text_of(message))
    assert found, text_of(message)
    return found.group(0)


def test_the_reporter_is_told_of_registering_and_closing_in_their_language(platform, root, api_key, spot, smtp, store):
    person = contact()
    case_id = file_request(root, api_key, spot, locale="en", **person)
    operator = opened(platform, case_id)
    Loop(platform, spot, "sanitation").act(operator, case_id, "register")
    (registered,) = mail_to(smtp, person["email"], 1)
    assert registered["Subject"] == f"Your report has been registered ({case_id})"
    assert case_id in text_of(registered) and "/cases/" not in text_of(registered)  # no link into the staff's app

    # sent with no address kept: notifications asked reporting for it, for this send only
    deliveries = wait_for(
        lambda: (
            [
                d
                for d in store("notifications")["deliveries"].find({"case_id": case_id})
                if d["recipient"]["kind"] == "public" and d["state"] == "delivered" and d["channel"] == "sms"
            ]
            and list(store("notifications")["deliveries"].find({"case_id": case_id}))
        ),
        timeout=30,
        message="the SMS sent",
    )
    public = [d for d in deliveries if d["recipient"]["kind"] == "public"]
    assert {d["channel"] for d in public} == {"email", "sms"}
    assert all(d["target"] is None and all(a["target"] is None for a in d["attempts"]) for d in public)
    everything = repr(list(store("notifications")["deliveries"].find({"case_id": case_id})))
    everything += repr(list(store("notifications")["inbox"].find({"case_id": case_id})))
    everything += operator.get(f"/api/v1/cases/{case_id}/deliveries").text
    assert not [v for v in person.values() if v in everything]


def test_a_rejected_reporter_is_told_why_in_the_districts_language(platform, root, api_key, spot, smtp):
    person = contact()
    case_id = file_request(root, api_key, spot, email=person["email"])
    operator = opened(platform, case_id)
    Loop(platform, spot, "sanitation").act(operator, case_id, "reject", {"reason": "该处已于昨日清理"})
    (rejected,) = mail_to(smtp, person["email"], 1)
    assert rejected["Subject"] == f"您反映的问题不予立案（{case_id}）"
    assert "原因：该处已于昨日清理" in text_of(rejected)


def test_the_reporter_rates_once_and_an_unsatisfied_rating_reopens_and_reaches_supervision(
    platform, root, api_key, spot, smtp, client
):
    person = contact()
    case_id, loop = closed_case(platform, root, api_key, spot, person)
    (closing,) = mail_saying(smtp, person["email"], "已办结")
    assert closing["Subject"] == f"您反映的问题已办结（{case_id}）"
    assert "垃圾已清运 the rubbish is gone" in text_of(closing) and "W-9" not in text_of(closing)
    link = rating_link(platform, closing)

    page = requests.get(link, timeout=15)
    assert page.status_code == 200 and page.headers["Content-Type"].startswith("text/html")
    assert "不满意" in page.text and case_id in page.text and "<script" not in page.text
    assert "frame-ancestors 'none'" in page.headers["Content-Security-Policy"]
    token = link.split("/rate/")[1].split("?")[0]
    state = requests.get(f"{platform.url}/api/v1/public/ratings/{token}", timeout=15)
    assert state.status_code == 200 and state.json()["state"] == "open", state.text
    nothing = requests.post(link, data={"comment": "没选"}, timeout=15)
    assert nothing.status_code == 400 and "请选择一项评价" in nothing.text

    done = requests.post(link, data={"rating": "unsatisfied", "comment": "角落里还有垃圾"}, timeout=15)
    assert done.status_code == 200 and "感谢您的评价（不满意）" in done.text
    again = requests.post(f"{platform.url}/api/v1/public/ratings/{token}", json={"rating": "satisfied"}, timeout=15)
    assert again.status_code == 409 and again.json()["reason"] == "rating.used"
    assert (
        requests.post(
            f"{platform.url}/api/v1/public/ratings/{token}x", json={"rating": "satisfied"}, timeout=15
        ).status_code
        == 404
    )

    # on the timeline, reopened for the department (RATING_UNSATISFIED_REOPENS), and before supervision
    operator = platform.as_user("operator1")
    case = wait_for(
        lambda: (c := operator.get(f"/api/v1/cases/{case_id}").json())["status"] == "dispatched" and c,
        timeout=20,
        message="reopened by the rating",
    )
    rate = next(e for e in case["history"] if e["action"] == "rate")
    assert (rate["rating"], rate["note"]) == ("unsatisfied", "角落里还有垃圾")
    assert case["public_rating"]["rating"] == "unsatisfied" and case["history"][-1]["action"] == "reopen"
    supervisor = platform.as_user("supervisor")
    told = wait_for(
        lambda: [
            n
            for n in supervisor.get("/api/v1/notifications").json()["items"]
            if n["case_id"] == case_id and n["kind"] == "case.rated"
        ],
        timeout=20,
        message="supervision told",
    )
    assert "不满意" in told[0]["title"]["zh-CN"]
    seen = client.get_service_request(case_id)
    assert seen["status"] == "open" and "角落里还有垃圾" not in repr(seen)

    # closed again: a new round, the rating shown to everyone by its level only
    loop.act(loop.handler, case_id, "accept")
    photo = loop.upload(loop.handler, case_id)
    loop.act(loop.handler, case_id, "resolve", {"note": "角落也清了", "attachments": [photo]})
    loop.act(loop.officer, case_id, "verify", {"passed": True, "note": "都干净了"})
    loop.act(operator, case_id, "close", {"note": "已全部清理"})
    assert (
        client.get_service_request(case_id)["status_notes"] == "已全部清理"
    )  # the first round's rating is not this one's
    (second,) = [m for m in mail_saying(smtp, person["email"], "已办结", 2) if rating_link(platform, m) != link]
    assert requests.get(link, timeout=15).status_code == 404  # the first round's link is gone with its round
    assert requests.post(rating_link(platform, second), data={"rating": "satisfied"}, timeout=15).status_code == 200
    wait_for(
        lambda: client.get_service_request(case_id)["status_notes"] == "已全部清理 市民评价：满意。",
        timeout=20,
        message="the second round's rating in the notes",
    )


def test_a_rating_link_expires_on_the_platforms_clock(platform, root, api_key, spot, smtp):
    person = contact()
    case_id, _ = closed_case(platform, root, api_key, spot, {"email": person["email"]}, locale="en")
    (closing,) = mail_saying(smtp, person["email"], "is closed")
    link = rating_link(platform, closing)
    assert "The link is valid for 7 days" in text_of(closing) and link.endswith("?lang=en")
    platform.set_time(datetime.now(UTC) + timedelta(days=8))
    try:
        late = requests.post(link, data={"rating": "satisfied"}, timeout=15)
        assert late.status_code == 409 and "This rating link has expired." in late.text
    finally:
        platform.set_time(datetime.now(UTC))


def _quarter(day: str) -> tuple[int, int]:
    return int(day[:4]), (int(day[5:7]) - 1) // 3


def test_the_three_rates_of_the_publics_cases(platform, root, api_key, spot, smtp):
    """响应率, 解决率 and 满意率 over the public's property-management cases, which only this test files: one
    closed and rated 满意, one closed and rated 不满意 (reopened), one rejected — all answered at once."""
    supervisor = platform.as_user("supervisor")
    loop = Loop(platform, spot, "property")
    operator = loop.operator
    case_ids, links = [], []
    for rating in ("satisfied", "unsatisfied", None):
        person = contact()
        case_id = file_request(
            root,
            api_key,
            spot,
            service_code="property_management",
            description=f"电梯停运 {uuid.uuid4()}",
            email=person["email"],
        )
        opened(platform, case_id)
        if rating is None:
            loop.act(operator, case_id, "reject", {"reason": "属业主自行维修范围"})
            continue
        for action, who, body in (
            ("register", operator, {}),
            ("dispatch", operator, {"department": "property"}),
            ("accept", loop.handler, {}),
        ):
            loop.act(who, case_id, action, body)
        loop.act(
            loop.handler, case_id, "resolve", {"note": "已修复", "attachments": [loop.upload(loop.handler, case_id)]}
        )
        loop.act(loop.officer, case_id, "verify", {"passed": True, "note": "好了"})
        loop.act(operator, case_id, "close", {"note": "电梯已恢复"})
        case_ids.append(case_id)
        links.append((rating, person["email"]))
    for rating, email in links:
        (closing,) = mail_saying(smtp, email, "已办结")
        assert requests.post(rating_link(platform, closing), data={"rating": rating}, timeout=15).status_code == 200

    deadlines = {operator.get(f"/api/v1/cases/{c}").json()["deadline"][:10] for c in case_ids}
    by_quarter = {_quarter(d): d for d in sorted(deadlines)}  # one day in each quarter a deadline falls in

    def row(date: str) -> dict:
        table = supervisor.get(f"/api/v1/stats/category?period=quarter&date={date}&key=property_management").json()
        return table["rows"][0]

    local_today = datetime.now(ZoneInfo("Asia/Shanghai")).date().isoformat()
    today = wait_for(lambda: (r := row(local_today)).get("rated") == 2 and r, timeout=30, message="the ratings counted")
    assert (today["public_reported"], today["public_answered_in_time"], today["response_rate"]) == (3, 3, 1.0)
    assert (today["rated"], today["satisfied"], today["satisfaction_rate"]) == (2, 1, 0.5)
    due = {k: sum(row(d)[k] for d in by_quarter.values()) for k in ("public_due", "public_resolved")}
    assert (due["public_due"], due["public_resolved"]) == (2, 1)  # the 不满意 one was reopened: not resolved
    by_department = supervisor.get("/api/v1/stats/department?period=quarter&key=property").json()["rows"][0]
    assert by_department["satisfaction_rate"] == 0.5 and by_department["response_rate"] == 1.0
    csv = supervisor.get("/api/v1/stats/category?period=quarter&key=property_management&format=csv&lang=zh-CN").text
    assert "响应率" in csv and "解决率" in csv and "满意率" in csv


def test_contact_details_go_a_set_time_after_the_case_ended(platform, root, api_key, spot, store):
    """CONTACT_RETENTION_DAYS (180) after a rejection the contact is gone; an open case's stays."""
    ended, still_open = contact(), contact()
    ended_id = file_request(root, api_key, spot, device_id=f"phone-{uuid.uuid4()}", **ended)
    open_id = file_request(root, api_key, spot, **still_open)
    operator = opened(platform, ended_id)
    opened(platform, open_id)
    Loop(platform, spot, "sanitation").act(operator, ended_id, "reject", {"reason": "重复"})
    reports = store("reporting")["reports"]
    wait_for(
        lambda: reports.find_one({"case_id": ended_id}).get("contact_expires_at"),
        timeout=20,
        message="the retention set when the case ended",
    )

    def kept(case_id):
        answer = platform.as_user("operator1").get(f"/api/v1/cases/{case_id}/reporter-contact")
        assert answer.status_code == 200, answer.text
        return answer.json()["reporters"][0].get("email")

    assert kept(ended_id) == ended["email"]
    platform.set_time(datetime.now(UTC) + timedelta(days=179))
    try:
        assert kept(ended_id) == ended["email"]  # not yet
        platform.set_time(datetime.now(UTC) + timedelta(days=181))
        wait_for(lambda: kept(ended_id) is None, timeout=20, message="the contact let go of")
        report = reports.find_one({"case_id": ended_id})
        assert "contact" not in report and report["contact_removed_at"]
        assert not [v for v in ended.values() if v in repr(report)]
        assert kept(open_id) == still_open["email"]  # its case has not ended
    finally:
        platform.set_time(datetime.now(UTC))


def test_an_address_naming_a_grid_is_placed_without_coordinates(platform, root, api_key, client):
    grid = platform.as_user("operator1").get(f"/api/v1/directory/grids/{OFFICER_GRID}").json()
    address = f"{grid['name']} 3号楼东侧"
    answer = requests.post(
        f"{root}/requests.json",
        timeout=30,
        data={
            "api_key": api_key,
            "service_code": "sanitation",
            "address_string": address,
            "description": f"垃圾堆积 {uuid.uuid4()}",
        },
    )
    assert answer.status_code == 201, answer.text
    case_id = answer.json()[0]["service_request_id"]
    operator = opened(platform, case_id)
    case = operator.get(f"/api/v1/cases/{case_id}").json()
    assert (case["grid"], case["address"]) == (OFFICER_GRID, address)
    seen = client.get_service_request(case_id)
    assert seen["address"] == address and seen["lat"] and seen["long"]  # a point inside the grid

    for text, words in (
        (grid["name"].replace("网格", "").rstrip("第0123456789"), "but no grid in it"),
        ("Main Street 1", "names no grid, community or street"),
    ):
        refused = requests.post(
            f"{root}/requests.json",
            timeout=30,
            data={"api_key": api_key, "service_code": "sanitation", "address_string": text},
        )
        assert refused.status_code == 400, refused.text
        (error,) = refused.json()
        assert error["code"] == 400 and words in error["description"] and "address_string" in error["description"]
    nothing = requests.post(f"{root}/requests.xml", timeout=30, data={"api_key": api_key, "service_code": "sanitation"})
    assert nothing.status_code == 400 and b"A location is required" in nothing.content
