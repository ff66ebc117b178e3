import re
from pathlib import Path

import pytest
from marshmallow import Schema
from openapi_spec_validator import validate

from gateway.errors import error_body
from gateway.http import ApiEndpoint
from gateway.openapi import build_spec
from gateway.service import GatewayService
from shared.errors import Conflict, NotFound, ValidationFailed


@pytest.fixture(scope="module")
def doc():
    return build_spec(GatewayService, "test")


def operations(doc):
    for path, methods in doc["paths"].items():
        for method, operation in methods.items():
            yield path, method, operation


def answer_schema(operation, status, media="application/json"):
    return operation["responses"][str(status)]["content"][media]["schema"]


def test_the_document_is_valid_openapi_3(doc):
    validate(doc)
    assert doc["openapi"].startswith("3.")


def test_the_document_lists_every_endpoint(doc):
    paths = doc["paths"]
    assert {"/api/v1/reports", "/api/v1/cases/{case_id}", "/api/v1/notifications", "/healthz", "/readyz"} <= set(paths)
    assert "post" in paths["/api/v1/reports"]
    endpoints = {
        name
        for name in dir(GatewayService)
        if any(isinstance(e, ApiEndpoint) for e in getattr(getattr(GatewayService, name), "nameko_entrypoints", ()))
    }
    assert {op["operationId"] for _, _, op in operations(doc)} == endpoints


def test_request_and_response_schemas_come_from_marshmallow(doc):
    post = doc["paths"]["/api/v1/reports"]["post"]
    assert post["requestBody"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/ReportSubmission"
    }
    submission = doc["components"]["schemas"]["ReportSubmission"]
    assert set(submission["required"]) == {"category", "description", "location"}
    assert set(post["responses"]) >= {"202", "400", "401", "403", "409", "422"}


@pytest.mark.parametrize(
    ("path", "item"),
    [
        ("/api/v1/directory/categories", "Category"),
        ("/api/v1/directory/departments", "Department"),
        ("/api/v1/directory/routing-rules", "RoutingRule"),
        ("/api/v1/escalation-policies", "EscalationPolicy"),
        ("/api/v1/directory/users", "User"),
        ("/api/v1/cases/{case_id}/timeline", "HistoryEntry"),
    ],
)
def test_lists_are_documented_as_arrays(doc, path, item):
    assert answer_schema(doc["paths"][path]["get"], 200) == {
        "type": "array",
        "items": {"$ref": f"#/components/schemas/{item}"},
    }


def test_a_saved_directory_item_shows_its_revision(doc):
    for name in ("Category", "Department", "RoutingRule", "User"):
        assert doc["components"]["schemas"][name]["properties"]["revision"]["readOnly"] is True


def test_the_error_schema_is_the_body_errors_have(doc):
    error = doc["components"]["schemas"]["Error"]
    assert set(error["required"]) == {"error", "message"}
    assert error["additionalProperties"] is True
    _, invalid = error_body(ValidationFailed.from_messages({"name": ["Missing."]}), "X1")
    _, conflict = error_body(Conflict("Changed meanwhile.", {"version": 3}), "X2")
    for body in (invalid, conflict):
        assert set(body) <= set(error["properties"])
    assert error["properties"]["details"]["type"] == "object"
    assert error["properties"]["fields"]["type"] == "object"


def test_every_operation_documents_its_error_answers(doc):
    for path, method, operation in operations(doc):
        statuses = set(operation["responses"])
        if operation.get("security"):
            assert {"401", "403"} <= statuses, (method, path)
        if "{" in path:
            assert "404" in statuses, (method, path)
        if "requestBody" in operation or any(p["in"] == "query" for p in operation.get("parameters", ())):
            assert "400" in statuses, (method, path)
        for status in operation["responses"]:
            if status.startswith("4") and not path.startswith(("/open311/", "/rate/")):
                assert answer_schema(operation, status) == {"$ref": "#/components/schemas/Error"}, (method, path)


def test_the_rating_page_answers_everything_as_a_page(doc):
    """A person opens /rate/{token} from a message: its refusals are pages in their language, not JSON."""
    for method, operation in doc["paths"]["/rate/{token}"].items():
        assert {"200", "400", "404", "409"} <= set(operation["responses"]), method
        for status in ("200", "400", "404", "409"):
            assert set(operation["responses"][status]["content"]) == {"text/html"}, (method, status)


def test_open311_answers_are_documented_in_both_formats_with_the_specifications_errors(doc):
    open311 = [(path, method, op) for path, method, op in operations(doc) if path.startswith("/open311/")]
    assert open311
    for path, method, operation in open311:
        for status, answer in operation["responses"].items():
            assert set(answer["content"]) == {"application/json", "text/xml"}, (method, path, status)
            if status.startswith("4"):
                errors = answer["content"]["application/json"]["schema"]
                assert errors["type"] == "array" and errors["items"]["required"] == ["code", "description"]


def test_an_operation_documents_the_errors_it_declares_with_their_status_from_the_error_table(doc):
    action = doc["paths"]["/api/v1/cases/{case_id}/dispatch"]["post"]
    assert {"409", "422"} <= set(action["responses"])
    policy = doc["paths"]["/api/v1/escalation-policies/{policy_id}"]["put"]
    assert "422" in policy["responses"]


def test_error_answers_follow_the_decorator_so_new_routes_need_no_more_work():
    class Extra:
        @ApiEndpoint.decorator(
            "DELETE",
            "/api/v1/things/<thing_id>",
            summary="Remove a thing",
            responses={204: ("Removed.", None)},
            raises={Conflict: "In use."},
        )
        def remove_thing(self, request, thing_id):
            raise NotFound("no")

    operation = build_spec(Extra, "test")["paths"]["/api/v1/things/{thing_id}"]["delete"]
    assert set(operation["responses"]) == {"204", "401", "403", "404", "409"}


def test_csv_answers_are_documented(doc):
    for path in ("/api/v1/stats/{dimension}", "/api/v1/stats/hotspots"):
        content = doc["paths"][path]["get"]["responses"]["200"]["content"]
        assert set(content) == {"application/json", "text/csv"}


def test_path_parameters_are_declared(doc):
    get = doc["paths"]["/api/v1/cases/{case_id}"]["get"]
    assert get["parameters"][0]["name"] == "case_id"


def test_answer_schemas_are_marshmallow_schemas_the_services_serialise_with():
    """The directory answers through the schemas the document names: a stored field outside them never leaks."""
    from services.directory.service import ITEM_SCHEMAS

    stored = {"code": "roads", "name_zh": "道路", "name_en": "Roads", "active": True, "internal_note": "x"}
    dumped = ITEM_SCHEMAS["departments"].dump({**stored, "revision": 4})
    assert dumped == {"code": "roads", "name_zh": "道路", "name_en": "Roads", "active": True, "revision": 4}
    assert isinstance(ITEM_SCHEMAS["departments"], Schema)


@pytest.mark.parametrize(
    ("path", "key"),
    [
        ("/api/v1/directory/departments/{key}", "code"),
        ("/api/v1/directory/categories/{key}", "code"),
        ("/api/v1/directory/routing-rules/{key}", "rule_id"),
        ("/api/v1/directory/users/{user_id}", "user_id"),
        ("/api/v1/escalation-policies/{policy_id}", "policy_id"),
    ],
)
def test_a_put_body_need_not_repeat_the_key_its_path_gives(doc, path, key):
    ref = doc["paths"][path]["put"]["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    body = doc["components"]["schemas"][ref.rsplit("/", 1)[1]]
    assert key in body["properties"]
    assert key not in body.get("required", ())
    assert body["required"]  # the other required fields stay required


def _paged(doc):
    """Every operation whose answer is one page of a list (an ``items`` array beside ``next``)."""
    schemas = doc["components"]["schemas"]
    for path, method, operation in operations(doc):
        ok = operation["responses"].get("200", {}).get("content", {}).get("application/json", {}).get("schema", {})
        ref = ok.get("$ref", "").rsplit("/", 1)[-1]
        if "next" in schemas.get(ref, {}).get("properties", {}):
            yield path, method, operation, schemas[ref]


def test_every_paged_list_speaks_the_one_contract_and_the_docs_name_it(doc):
    paged = list(_paged(doc))
    assert {path for path, _, _, _ in paged} == {
        "/api/v1/cases",
        "/api/v1/cases/queue",
        "/api/v1/cases/worklist",
        "/api/v1/notifications",
        "/api/v1/cases/{case_id}/deliveries",
        "/api/v1/notifications/deliveries",
        "/api/v1/admin/deliveries/dead",
    }
    for path, _, operation, page in paged:
        query = {p["name"]: p for p in operation["parameters"] if p["in"] == "query"}
        assert query["limit"]["schema"]["maximum"] == 200 and query["cursor"]["schema"]["type"] == "string", path
        assert set(page["properties"]) == {"items", "next"} and set(page["required"]) == {"items", "next"}, path
        assert page["properties"]["next"]["nullable"] is True and page["properties"]["items"]["type"] == "array"
    section = (Path(__file__).resolve().parents[2] / "docs" / "architecture.md").read_text().split("## Paging")[1]
    section = section.split("\n## ")[0]
    for path, _, _, _ in paged:
        named = re.sub(r"\{\w+\}", "{id}", path)
        assert f"`{named.removeprefix('/api/v1')}`" in section or f"`GET {named}`" in section, path


def test_no_list_keeps_another_paging_vocabulary(doc):
    for path, _, operation in operations(doc):
        names = {p["name"] for p in operation.get("parameters", []) if p["in"] == "query"}
        if not path.startswith("/open311/"):  # the GeoReport spec's own page and page_size
            assert not names & {"before", "after", "page", "page_size", "offset", "skip"}, path
    for name, schema in doc["components"]["schemas"].items():
        assert not set(schema.get("properties", {})) & {"next_cursor", "next_before", "cursor"} or name.endswith(
            "Query"
        ), name
