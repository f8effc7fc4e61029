"""`make run` serves the HTTP gateway (contract §7) on GATEWAY_PORT beside the four services: its
health, metrics, OpenAPI document and docs page, and a campaign driven over HTTP only, from the
committee's first call to the workbook download."""
import io

import requests
from openpyxl import load_workbook
from openapi_spec_validator import validate

from tests.e2e.conftest import GATEWAY
from tests.helpers import wait_until
from tests.service.gateway.support import TARGET, campaign_input, code, unit_input


class Http:
    def __init__(self, system, role="committee", **who):
        self.system = system
        self.headers = {"Authorization": f"Bearer {system.token(role, **who)}"}

    def ok(self, path, body):
        """POST, expecting 200: the result."""
        response = requests.post(self.system.url(GATEWAY, f"/api/v1/{path}"), json=body, headers=self.headers,
                                 timeout=30)
        assert response.status_code == 200, response.text
        return response.json()

    def get(self, path, **params):
        return requests.get(self.system.url(GATEWAY, f"/api/v1/{path}"), params=params, headers=self.headers,
                            timeout=30)

    def result(self, path, **params):
        """The GET's result, or None while it is not 200 (e.g. a report not yet projected)."""
        response = self.get(path, **params)
        return response.json() if response.status_code == 200 else None


def test_the_gateway_answers_health_metrics_its_document_and_its_docs_page(system):
    assert requests.get(system.url(GATEWAY), timeout=5).json() == {"status": "ok", "service": "gateway", "amqp": "ok"}
    assert "leifeng_gateway_requests_total" in requests.get(system.url(GATEWAY, "/metrics"), timeout=5).text
    validate(requests.get(system.url(GATEWAY, "/api/v1/openapi.json"), timeout=5).json())
    page = requests.get(system.url(GATEWAY, "/api/v1/docs"), timeout=5)
    assert page.status_code == 200 and "SwaggerUIBundle" in page.text
    assert requests.get(system.url(GATEWAY, "/api/v1/docs/swagger-ui-bundle.js"), timeout=5).status_code == 200


def test_a_campaign_over_http_only_up_to_the_report_workbook(system):
    committee = Http(system)
    unit_code = code()
    committee.ok("pairing/register_unit", {"unit": unit_input(unit_code)})
    campaign = committee.ok("pairing/create_campaign", {"campaign": campaign_input([unit_code])})
    unit = Http(system, "unit", unit=unit_code)
    pairing = unit.ok("pairing/report_pairing", {"campaign_id": campaign["id"], "unit_code": unit_code,
                                                 "target": TARGET})
    committee.ok("pairing/review_pairing", {"pairing_id": pairing["id"], "decision": "approve"})
    report = wait_until(lambda: (committee.result("summary/campaign_report", campaign_id=campaign["id"]) or {})
                        .get("units", {}).get("approved"), timeout=20, message="the approval in the report")
    assert report == 1
    download = committee.get("summary/export_report", campaign_id=campaign["id"])
    assert download.status_code == 200 and "attachment" in download.headers["Content-Disposition"]
    assert load_workbook(io.BytesIO(download.content)).sheetnames == ["总览", "结对情况", "各单位", "各司局"]
    refused = unit.get("summary/export_report", campaign_id=campaign["id"])
    assert (refused.status_code, refused.headers["Content-Type"]) == (403, "application/problem+json")
