"""The served OpenAPI document and docs page (contract §7), and a property-based run of schemathesis
against the document: over every operation, generated requests never get a 500 and never an answer
the document does not describe (status, content type, headers, body shape)."""
import json
import re

import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.config import SchemathesisConfig
from openapi_spec_validator import validate
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance, response_headers_conformance, response_schema_conformance, status_code_conformance)

from services.gateway import catalogue, openapi
from tests.service.gateway.test_gateway_http import problem

DOCUMENT = openapi.document()
# Fuzzing only, a few positive and negative examples per operation: the coverage phase would send
# every boundary case of every field (thousands of requests), too many for this tier.
schema = schemathesis.openapi.from_dict(DOCUMENT, config=SchemathesisConfig.from_dict({
    "phases": {"coverage": {"enabled": False}, "stateful": {"enabled": False}},
    "generation": {"max-examples": 8, "mode": "all", "deterministic": True, "database": "none"}}))
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_headers_conformance,
          response_schema_conformance]


def test_the_served_document_is_the_generated_valid_openapi_3_1(stack):
    response = stack.http.get(stack.url("/api/v1/openapi.json"), timeout=10)
    assert response.headers["Content-Type"] == "application/json"
    served = response.json()
    validate(served)
    assert served == json.loads(json.dumps(DOCUMENT))
    assert {f"/api/v1/{service}/{method}" for service, method in catalogue.OPERATIONS} < set(served["paths"])


def test_the_docs_page_is_swagger_ui_from_the_gateways_own_assets(stack):
    page = stack.http.get(stack.url("/api/v1/docs"), timeout=10)
    assert page.headers["Content-Type"] == "text/html; charset=utf-8"
    assert 'url: "/api/v1/openapi.json"' in page.text and "http" not in page.text.split("<body>")[1].replace(
        "charset", "")
    # Absolute, so that the page works as /api/v1/docs/ too (relative links would go under docs/docs/).
    assert set(re.findall(r'(?:href|src)="([^"]*)"', page.text)) == {
        f"/api/v1/docs/{name}" for name in ("swagger-ui.css", "index.css", "favicon-32x32.png",
                                            "swagger-ui-bundle.js", "swagger-ui-standalone-preset.js")}
    # Else Swagger UI's validator badge loads validator.swagger.io when opened by a host name.
    assert re.search(r"SwaggerUIBundle\(\{[^}]*\bvalidatorUrl: null\b[^}]*\}\)", page.text)
    for asset in ("docs/swagger-ui-bundle.js", "docs/swagger-ui-standalone-preset.js", "docs/swagger-ui.css"):
        assert asset in page.text
        served = stack.http.get(stack.url(f"/api/v1/{asset}"), timeout=10)
        assert served.status_code == 200 and len(served.content) > 10_000
    assert "javascript" in stack.http.get(stack.url("/api/v1/docs/swagger-ui-bundle.js"), timeout=10).headers[
        "Content-Type"]
    problem(stack.http.get(stack.url("/api/v1/docs/../service.py"), timeout=10), 404)


@schema.parametrize()
@settings(deadline=None, suppress_health_check=list(HealthCheck))
def test_generated_requests_get_no_500_and_only_documented_answers(case, stack):
    case.call_and_validate(base_url=stack.base, session=stack.http, headers=stack.headers(), checks=CHECKS,
                           timeout=30)
