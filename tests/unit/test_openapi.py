from gateway.openapi import build_spec
from gateway.service import GatewayService


def spec():
    return build_spec(GatewayService, "test")


def test_the_document_lists_every_endpoint():
    paths = spec()["paths"]
    assert {"/api/v1/reports", "/api/v1/cases/{case_id}", "/api/v1/notifications", "/healthz", "/readyz"} <= set(paths)
    assert "post" in paths["/api/v1/reports"]


def test_request_and_response_schemas_come_from_marshmallow():
    doc = spec()
    post = doc["paths"]["/api/v1/reports"]["post"]
    assert post["requestBody"]["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/ReportSubmission"}
    submission = doc["components"]["schemas"]["ReportSubmission"]
    assert set(submission["required"]) == {"category", "description", "location"}
    assert set(post["responses"]) >= {"202", "400", "422"}


def test_path_parameters_are_declared():
    get = spec()["paths"]["/api/v1/cases/{case_id}"]["get"]
    assert get["parameters"][0]["name"] == "case_id"
