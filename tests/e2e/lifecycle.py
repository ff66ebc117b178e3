"""Bringing a case to a given stage of the closed loop over HTTP, as the people who would."""

import io

from tests.e2e.conftest import OFFICER
from tests.support.files import image_bytes
from tests.support.infra import wait_for

# the stages in order, and who moves the case into each one
STEPS = ["reported", "registered", "dispatched", "accepted", "resolved", "verified", "closed"]


class Loop:
    def __init__(self, platform, location: dict, department: str):
        self.platform = platform
        self.location = location
        self.department = department
        self.officer = platform.as_user(OFFICER)
        self.operator = platform.as_user("operator1")
        self.handler = platform.as_user(f"handler-{department}-1")
        self.supervisor = platform.as_user("supervisor")

    def report(self, description="邻里纠纷 a dispute between neighbours") -> str:
        """A case the routing rules do not dispatch on their own (disputes wait for an operator)."""
        answer = self.officer.post(
            "/api/v1/reports",
            {
                "category": "dispute",
                "description": description,
                "location": self.location,
                "attributes": {"dispute_kind": "neighbour"},
            },
        )
        assert answer.status_code == 202, answer.text
        case_id = answer.json()["case_id"]
        wait_for(
            lambda: self.operator.get(f"/api/v1/cases/{case_id}").status_code == 200, timeout=15, message="case opened"
        )
        return case_id

    def act(self, client, case_id: str, action: str, body: dict | None = None) -> dict:
        answer = client.post(f"/api/v1/cases/{case_id}/{action}", body or {})
        assert answer.status_code == 200, f"{action}: {answer.text}"
        return answer.json()

    def upload(self, client, case_id: str, kind="PNG") -> str:
        answer = client.session.post(
            f"{client.url}/api/v1/cases/{case_id}/attachments",
            timeout=30,
            files={"file": (f"photo.{kind.lower()}", io.BytesIO(image_bytes(kind)))},
        )
        assert answer.status_code == 201, answer.text
        return answer.json()["attachment_id"]

    def case_at(self, stage: str, **extra) -> str:
        """A fresh case brought to ``stage`` (``suspended``, ``extension_pending`` on top when asked)."""
        case_id = self.report()
        for step in STEPS[1 : STEPS.index(stage) + 1]:
            self._enter(case_id, step)
        if extra.get("suspended"):
            self.act(self.operator, case_id, "suspend", {"reason": "waiting for the owner"})
        if extra.get("extension_pending"):
            self.act(self.handler, case_id, "request_extension", {"reason": "needs a crane", "hours": 24})
        return case_id

    def _enter(self, case_id: str, step: str) -> None:
        if step == "registered":
            self.act(self.operator, case_id, "register")
        elif step == "dispatched":
            self.act(self.operator, case_id, "dispatch", {"department": self.department})
        elif step == "accepted":
            self.act(self.handler, case_id, "accept")
        elif step == "resolved":
            photo = self.upload(self.handler, case_id)
            self.act(self.handler, case_id, "resolve", {"note": "mediated", "attachments": [photo]})
        elif step == "verified":
            self.act(self.officer, case_id, "verify", {"passed": True, "note": "quiet now"})
        elif step == "closed":
            self.act(self.operator, case_id, "close")
