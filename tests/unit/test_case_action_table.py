"""The case actions are one table (``shared/api/case_actions.py``): the cases service, the gateway's routes and
OpenAPI text and the web app's labels and forms follow it. docs/domain.md §4 is checked against it in
test_docs_are_true.py."""

import re
from pathlib import Path

import pytest

from gateway.openapi import build_spec
from gateway.service import GatewayService
from services.cases.domain.actions import ACTIONS as DOMAIN_ACTIONS
from services.cases.domain.rules import WHO
from shared.api.case_actions import ACTIONS, PARTIES

ROOT = Path(__file__).resolve().parents[2]
# how a party's words name each of its roles
ROLE_WORDS = {
    "operator": "operators",
    "supervisor": "supervisors",
    "handler": "handlers",
    "department_head": "head",
    "grid_officer": "officers",
    "grid_leader": "leader",
}
# the web app's form fields (web/src/pages/case.js FORMS) -> the body's fields
FORM_FIELDS = {
    "note": "note",
    "reason": "reason",
    "text": "text",
    "target": "target_case_id",
    "department": "department",
    "hours": "hours",
    "passed": "passed",
    "photos": "attachments",
}


def test_the_cases_service_runs_every_action_of_the_table_and_no_other():
    assert list(DOMAIN_ACTIONS) == list(ACTIONS)
    for name, spec in ACTIONS.items():
        assert type(DOMAIN_ACTIONS[name].schema) is spec.body, name
        assert WHO[name] == {p.name for p in spec.parties}, name


@pytest.mark.parametrize("party", PARTIES, ids=lambda p: p.name)
def test_a_partys_words_name_every_role_in_it(party):
    for role in party.roles:
        assert re.search(rf"\b{ROLE_WORDS[role]}\b", party.who), (party.name, role)


def test_the_api_documents_each_action_as_the_table_says():
    doc = build_spec(GatewayService, "test")
    for name, spec in ACTIONS.items():
        operation = doc["paths"][f"/api/v1/cases/{{case_id}}/{name}"]["post"]
        assert operation["description"].startswith(f"Who: {spec.who}."), name
        assert spec.does in operation["summary"], name
        body = operation["requestBody"]["content"]["application/json"]["schema"]
        properties = body.get("properties") or doc["components"]["schemas"][body["$ref"].split("/")[-1]]["properties"]
        assert set(properties) == set(spec.body().fields), name


def _web_forms() -> dict[str, list[str]]:
    source = (ROOT / "web" / "src" / "pages" / "case.js").read_text()
    block = re.search(r"const FORMS = \{(.*?)\};", source, re.S).group(1)
    return {name: re.findall(r"'([^']+)'", fields) for name, fields in re.findall(r"(\w+): \[([^\]]*)\]", block)}


def test_the_web_app_has_a_form_for_every_action_asking_what_its_body_needs():
    forms = _web_forms()
    assert set(forms) == set(ACTIONS)
    for name, spec in ACTIONS.items():
        fields = spec.body().fields
        asked = {FORM_FIELDS[f.rstrip("!")]: f for f in forms[name]}
        assert set(asked) <= set(fields), name
        required = {f for f, field in fields.items() if field.required}
        assert required <= set(asked), name
        # a field the body requires is one the form will not send empty (reason, text, target, department always)
        assert all(
            asked[f].endswith("!") or f in {"reason", "text", "target_case_id", "department", "hours", "passed"}
            for f in required
        ), name


def test_the_web_app_names_every_action_in_both_languages():
    source = (ROOT / "web" / "src" / "i18n.js").read_text()
    for name in ACTIONS:
        assert len(re.findall(rf"'action\.{name}': '[^']+'", source)) == 2, name  # zh-CN, then en
