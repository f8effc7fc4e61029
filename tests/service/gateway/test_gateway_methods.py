"""Every contract method is reachable over HTTP (contract §7): one campaign driven end to end through
the gateway only, by the committee, a unit, a department and ops, each call answered 200 with the
service's result; then the workbook download and who may have it."""
import io

import pytest
from openpyxl import load_workbook

from services.common.ids import new_id
from services.gateway import catalogue
from tests.helpers import wait_until
from tests.service.gateway.support import (
    TARGET, activity_input, approved_pairing, campaign_input, code, committee_unit_and_campaign, report_input,
    unit_input)


def first(stack, path, params, **kw):
    """The first item of a list that the services fill in from events, once it is there."""
    return wait_until(lambda: (stack.read(path, params, **kw)["items"] or [None])[0], message=path)


@pytest.fixture(scope="module")
def campaign(stack):
    unit_code, campaign = committee_unit_and_campaign(stack)
    return {"unit": unit_code, "id": campaign["id"]}


def test_pairing_methods(stack, campaign):
    unit_code, campaign_id = campaign["unit"], campaign["id"]
    assert stack.read("pairing/get_campaign", {"campaign_id": campaign_id}, role="department",
                      department="elderly-care")["id"] == campaign_id
    assert stack.read("pairing/list_campaigns", {"limit": 5}, role="unit", unit=unit_code)["items"]
    changed = stack.ok("pairing/update_campaign", {"campaign_id": campaign_id, "changes": {"remind_days": 5}})
    assert changed["remind_days"] == 5
    carried = stack.ok("pairing/carry_over_campaign", {"campaign_id": campaign_id,
                                                       "campaign": campaign_input([unit_code], days_ahead=400)})
    assert carried["carried_over_from"] == campaign_id
    assert stack.read("pairing/get_unit", {"code": unit_code}, role="unit", unit=unit_code)["code"] == unit_code
    assert stack.read("pairing/list_units", {"active": "true"}, role="ops")["items"]
    first_report = stack.ok("pairing/report_pairing", {
        "campaign_id": campaign_id, "unit_code": unit_code,
        "target": TARGET},
        role="unit", unit=unit_code)
    assert stack.ok("pairing/withdraw_pairing", {"pairing_id": first_report["id"]}, role="unit",
                    unit=unit_code)["status"] == "withdrawn"
    approved = approved_pairing(stack, unit_code, campaign_id)
    campaign["pairing"] = approved["id"]
    assert stack.read("pairing/get_pairing", {"pairing_id": approved["id"]}, role="ops")["status"] == "approved"
    assert stack.read("pairing/list_pairings", {"campaign_id": campaign_id, "status": "approved"})["items"]
    assert stack.read("pairing/reporting_progress", {"campaign_id": campaign_id})["approved"] == 1
    assert isinstance(stack.ok("pairing/check_deadlines", {}), dict)
    other = code()
    stack.ok("pairing/register_unit", {"unit": unit_input(other)})
    assert stack.ok("pairing/deactivate_unit", {"code": other})["active"] is False


def test_activity_methods(stack, campaign):
    unit_code, as_unit = campaign["unit"], {"role": "unit", "unit": campaign["unit"]}
    planned = stack.ok("activity/plan_activity", {"activity": activity_input(campaign["pairing"])}, **as_unit)
    assert stack.ok("activity/update_activity", {"activity_id": planned["id"], "changes": {"title": "走访慰问老人"}},
                    **as_unit)["title"] == "走访慰问老人"
    assert stack.ok("activity/complete_activity", {"activity_id": planned["id"], "report": report_input()},
                    **as_unit)["status"] == "completed"
    spare = stack.ok("activity/plan_activity", {"activity": activity_input(campaign["pairing"])}, **as_unit)
    assert stack.ok("activity/cancel_activity", {"activity_id": spare["id"], "reason": "下雨"},
                    **as_unit)["status"] == "cancelled"
    assert stack.read("activity/get_activity", {"activity_id": planned["id"]}, role="ops")["id"] == planned["id"]
    assert len(stack.read("activity/list_activities", {"unit_code": unit_code}, **as_unit)["items"]) == 2


def test_summary_methods(stack, campaign):
    unit_code, campaign_id = campaign["unit"], campaign["id"]
    as_unit, as_department = {"role": "unit", "unit": unit_code}, {"role": "department", "department": "elderly-care"}
    department = code("d-").lower()
    assert stack.ok("summary/register_department", {"department": {
        "code": department, "name": "测试司", "categories": [], "contact_email": "d@example.org"}})["code"] == department
    assert stack.ok("summary/update_department", {"code": department, "changes": {"name": "测试二司"}})["name"] == "测试二司"
    assert stack.read("summary/list_departments", {"limit": 200}, **as_unit)["items"]
    request = first(stack, "summary/list_summaries", {"campaign_id": campaign_id}, **as_unit)
    assert stack.read("summary/get_summary", {"summary_id": request["id"]}, **as_unit)["status"] == "requested"
    assert stack.ok("summary/submit_summary", {"summary_id": request["id"], "summary": {
        "experience": "经验", "shortcomings": "不足", "improvements": "改进"}}, **as_unit)["status"] == "submitted"
    issue = first(stack, "summary/list_issues", {"campaign_id": campaign_id}, **as_department)
    assert stack.read("summary/get_issue", {"issue_id": issue["id"]}, **as_department)["id"] == issue["id"]
    assert stack.ok("summary/acknowledge_issue", {"issue_id": issue["id"]}, **as_department)["status"] == "acknowledged"
    stack.ok("summary/answer_issue", {"issue_id": issue["id"], "answer": {"measures": "已维修", "resolved": True}},
             **as_department)
    assert stack.ok("summary/rate_issue", {"issue_id": issue["id"], "rating": {"satisfied": False}},
                    **as_unit)["status"] == "forwarded"
    moved = stack.ok("summary/transfer_issue", {"issue_id": issue["id"], "department": department, "reason": "职能"},
                     **as_department)
    assert moved["department"] == department
    report = wait_until(lambda: stack.read("summary/campaign_report", {"campaign_id": campaign_id}, role="ops"),
                        message="the campaign report")
    assert report["campaign_id"] == campaign_id
    assert isinstance(stack.ok("summary/check_deadlines", {}), dict)
    spare = code("d-").lower()
    stack.ok("summary/register_department", {"department": {
        "code": spare, "name": "备用司", "categories": [], "contact_email": "e@example.org"}})
    assert stack.ok("summary/deactivate_department", {"code": spare})["code"] == spare


def test_notification_methods(stack, campaign):
    notice = first(stack, "notification/list_inbox", {"recipient": "committee", "unread_only": "true"})
    assert stack.ok("notification/mark_read", {"notification_id": notice["id"]})["read_at"]


def test_webhook_methods(stack):
    hook = stack.ok("notification/register_webhook", {"webhook": {
        "recipient": "committee", "url": "http://127.0.0.1:9/leifeng", "event_types": ["pairing_reported"],
        "secret": "a-secret-of-twenty-chars"}})
    assert "secret" not in hook
    assert hook["id"] in {item["id"] for item in stack.read("notification/list_webhooks", {"recipient": "committee"})[
        "items"]}
    unit_code, campaign = committee_unit_and_campaign(stack)
    stack.ok("pairing/report_pairing", {"campaign_id": campaign["id"], "unit_code": unit_code, "target": TARGET},
             role="unit", unit=unit_code)
    delivery = first(stack, "notification/list_deliveries", {"webhook_id": hook["id"]}, role="ops")
    assert stack.ok("notification/redeliver", {"delivery_id": delivery["id"]})["id"] == delivery["id"]
    stack.ok("notification/delete_webhook", {"webhook_id": hook["id"]})


def test_every_operation_of_the_catalogue_was_reached(stack):
    assert set(catalogue.OPERATIONS) - stack.reached == set()


def workbook_of(response):
    return load_workbook(io.BytesIO(response.content))


@pytest.mark.parametrize("role", ["committee", "ops"])
def test_the_committee_and_ops_download_the_report_workbook(stack, campaign, role):
    response = stack.get("summary/export_report", {"campaign_id": campaign["id"]}, role=role)
    assert response.status_code == 200, response.text
    assert response.headers["Content-Type"] == catalogue_xlsx()
    assert response.headers["Content-Disposition"] == f'attachment; filename="campaign-report-{campaign["id"]}.xlsx"'
    assert workbook_of(response).sheetnames == ["总览", "结对情况", "各单位", "各司局"]


def catalogue_xlsx():
    return "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.mark.parametrize("who", [{"role": "unit", "unit": "U0001"}, {"role": "department", "department": "elderly-care"}])
def test_units_and_departments_may_not_download_it(stack, campaign, who):
    response = stack.get("summary/export_report", {"campaign_id": campaign["id"]}, **who)
    assert (response.status_code, response.headers["Content-Type"]) == (403, "application/problem+json")


def test_the_download_of_an_unknown_campaign_is_not_found_and_needs_its_id(stack):
    assert stack.get("summary/export_report", {"campaign_id": new_id("campaign")}).status_code == 404
    missing = stack.get("summary/export_report")
    assert (missing.status_code, missing.json()["errors"]) == (422, {"campaign_id": ["缺少必填参数(Missing data for required field)."]})
    assert stack.post("summary/export_report").headers["Allow"] == "GET, HEAD"
