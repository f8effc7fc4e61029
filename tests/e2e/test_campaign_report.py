"""The campaign report through the four processes: a campaign driven by RPC as the committee, the
units and the departments would drive it, then `summary.campaign_report` and the Excel export."""
import uuid
import zipfile
from datetime import timedelta

import openpyxl
import yaml

from services.common import clock
from services.summary.report import export
from tests.helpers import wait_until

TARGET = {"name": "朝阳区八里庄街道敬老院", "category": "public_welfare_org", "kind": "organization",
          "district": "朝阳区", "address": "朝阳区八里庄北里1号", "contact_name": "王院长",
          "contact_phone": "13800001111", "needs": ["visit_condolence"], "notes": ""}


def unit(code, name):
    return {"code": code, "name": name, "party_org": f"{name}党支部", "contact_name": "张老师",
            "contact_phone": "13912345678", "contact_email": f"{code.lower()}@ministry.example"}


def completion(start):
    return {"started_at": clock.iso(start), "ended_at": clock.iso(start + timedelta(hours=2)),
            "volunteers": [{"name": "王志愿", "party_member": True, "youth": False, "hours": 2},
                           {"name": "李青年", "party_member": False, "youth": True, "hours": 1}],
            "services_delivered": ["visit_condolence"], "beneficiaries": 2, "description": "上门走访慰问",
            "problems": [{"description": "助餐点不足", "category": "elderly_care", "business_related": True,
                          "resolved_on_site": False},
                         {"description": "老人感到孤单", "category": "other", "business_related": False,
                          "resolved_on_site": False}],
            "opinions": ["希望志愿者常来看看"]}


def one(items):
    return items[0] if len(items) == 1 else None


def test_a_campaign_run_is_rolled_up_in_the_report_and_its_export(system, tmp_path):
    tag = uuid.uuid4().hex[:6]
    first, second = f"RA{tag}", f"RB{tag}"
    committee = system.rpc()
    own = system.rpc("unit", unit=first)
    elderly = system.rpc("department", department="elderly-care")
    committee.pairing.register_unit(unit(first, "民政部办公厅"))
    committee.pairing.register_unit(unit(second, "民政部规划财务司"))
    deadline = (clock.now() + timedelta(days=30)).date()
    campaign = committee.pairing.create_campaign({
        "name": f"学雷锋结对帮扶志愿服务活动{tag}", "year": deadline.year,
        "report_deadline": deadline.isoformat(), "unit_codes": [first, second]})
    pairing = own.pairing.report_pairing(campaign["id"], first, TARGET)
    committee.pairing.review_pairing(pairing["id"], "approve", "同意")
    system.rpc("unit", unit=second).pairing.report_pairing(campaign["id"], second, TARGET)

    yesterday = clock.now() - timedelta(days=1)
    planned = {"pairing_id": pairing["id"], "title": "走访慰问", "service_types": ["visit_condolence"],
               "scheduled_start": clock.iso(yesterday), "scheduled_end": clock.iso(yesterday + timedelta(hours=2)),
               "location": "敬老院", "planned_volunteers": 2}
    done = own.activity.plan_activity(planned)
    own.activity.complete_activity(done["id"], completion(yesterday))
    own.activity.cancel_activity(own.activity.plan_activity(planned)["id"], "天气原因")

    summary = wait_until(lambda: one(committee.summary.list_summaries(campaign_id=campaign["id"])["items"]),
                         timeout=20, message="the summary request")
    own.summary.submit_summary(summary["id"], {
        "experience": "经验", "shortcomings": "不足", "improvements": "改进",
        "business_issues": [{"description": "助学金发放慢", "category": "child_welfare",
                             "countermeasure": "简化审批"}]})
    issue = wait_until(lambda: one(committee.summary.list_issues(campaign_id=campaign["id"],
                                                                 department="elderly-care")["items"]),
                       timeout=20, message="the issue forwarded to 养老服务司")
    elderly.summary.acknowledge_issue(issue["id"])
    elderly.summary.answer_issue(issue["id"], {"measures": "协调街道助餐点", "resolved": True})
    own.summary.rate_issue(issue["id"], {"satisfied": True, "comment": "满意"})
    welfare = wait_until(lambda: one(committee.summary.list_issues(campaign_id=campaign["id"],
                                                                   department="child-welfare")["items"]),
                         timeout=20, message="the summary's issue forwarded to 儿童福利司")
    committee.summary.transfer_issue(welfare["id"], "social-assistance", "属社会救助事项")

    def settled():
        report = committee.summary.campaign_report(campaign["id"])
        return report if report["issues"]["closed"] == 1 and report["by_unit"][0]["issues_forwarded"] == 2 \
            and any(row["department"] == "social-assistance" and row["issues"] == 1
                    for row in report["by_department"]) else None

    report = wait_until(settled, timeout=30, message="the report to count every event")
    assert report["name"] == campaign["name"]
    assert {k: v for k, v in report["units"].items() if k != "by_status"} == {
        "total": 2, "reported": 2, "reported_on_time": 2, "approved": 1}
    assert report["units"]["by_status"] == [
        {"unit_code": first, "status": "approved", "late": False, "reminders": 0},
        {"unit_code": second, "status": "reported", "late": False, "reminders": 0}]
    assert clock.parse(report["as_of"]) <= clock.now() and report["compared_with"] is None
    assert report["activities"] == {"planned": 0, "completed": 1, "cancelled": 1}
    assert report["volunteers"] == {"participations": 2, "party_members": 1, "youth": 1, "hours": 3}
    assert report["services"]["visit_condolence"] == 1 and sum(report["services"].values()) == 1
    assert (report["beneficiaries"], report["opinions"]) == (2, 1)
    assert report["problems"] == {"found": 2, "resolved_on_site": 0, "business_related": 1, "unresolved": 1}
    assert report["summaries"] == {"requested": 1, "submitted": 1, "submitted_on_time": 1, "overdue": 0}
    assert report["issues"] == {
        "forwarded": 2, "triage": 0, "acknowledged_on_time": 1, "answered": 1, "resolved": 1, "reopened": 0,
        "closed": 1, "rated": 1, "satisfied": 1, "response_rate": 0.5, "resolution_rate": 0.5,
        "satisfaction_rate": 1.0}
    assert report["by_unit"] == [
        {"unit_code": first, "name": "民政部办公厅", "activities_completed": 1, "volunteer_hours": 3,
         "problems_found": 2, "issues_forwarded": 2, "summaries_submitted": 1, "summaries_on_time": 1},
        {"unit_code": second, "name": "民政部规划财务司", "activities_completed": 0, "volunteer_hours": 0,
         "problems_found": 0, "issues_forwarded": 0, "summaries_submitted": 0, "summaries_on_time": 0}]
    rows = {row["department"]: row for row in report["by_department"]}
    assert len(rows) == 7 and rows["elderly-care"]["name"] == "养老服务司"
    assert rows["elderly-care"] == {**rows["elderly-care"], "issues": 1, "acknowledged_on_time": 1, "answered": 1,
                                    "resolved": 1, "rated": 1, "satisfied": 1, "overdue": 0,
                                    "response_rate": 1.0, "resolution_rate": 1.0, "satisfaction_rate": 1.0}
    assert (rows["social-assistance"]["issues"], rows["child-welfare"]["issues"]) == (1, 0)

    config = tmp_path / "config.yml"
    config.write_text(yaml.safe_dump(system.config))
    output = tmp_path / "report.xlsx"
    assert export.main([campaign["id"], str(output), "--config", str(config), "--token", system.token()]) == 0
    book = openpyxl.load_workbook(output)
    assert [row[:2] for row in book["各单位"].iter_rows(min_row=2, values_only=True)] == [
        (first, "民政部办公厅"), (second, "民政部规划财务司")]
    assert [row[:3] for row in book["结对情况"].iter_rows(min_row=2, values_only=True)] == [
        (first, "民政部办公厅", "已批准"), (second, "民政部规划财务司", "已报送待审核")]
    with zipfile.ZipFile(output) as package:
        assert "xl/charts/chart1.xml" in package.namelist()


def test_next_years_campaign_carried_over_is_compared_with_this_one(system):
    """Issue 17: pairing's carry_over_campaign starts next year's campaign; its report carries this
    year's figures in `compared_with`."""
    tag = uuid.uuid4().hex[:6]
    code = f"RC{tag}"
    committee = system.rpc()
    committee.pairing.register_unit(unit(code, "民政部机关服务局"))
    deadline = (clock.now() + timedelta(days=30)).date()
    first = committee.pairing.create_campaign({"name": f"本年度{tag}", "year": deadline.year,
                                               "report_deadline": deadline.isoformat(), "unit_codes": [code]})
    pairing = system.rpc("unit", unit=code).pairing.report_pairing(first["id"], code, TARGET)
    committee.pairing.review_pairing(pairing["id"], "approve", "同意")
    wait_until(lambda: committee.summary.campaign_report(first["id"])["units"]["approved"] == 1, timeout=20,
               message="this year's approval counted")
    following = deadline + timedelta(days=365)
    carried = committee.pairing.carry_over_campaign(first["id"], {
        "name": f"下一年度{tag}", "year": following.year, "report_deadline": following.isoformat(),
        "unit_codes": [code]})

    def compared():
        report = committee.summary.campaign_report(carried["id"])
        # Before summary has counted campaign_created, the report is the empty one (no units yet).
        statuses = [row["status"] for row in report["units"]["by_status"]]
        return report if statuses == ["reported"] else None

    report = wait_until(compared, timeout=30, message="next year's report")
    assert report["compared_with"]["campaign_id"] == first["id"]
    assert report["compared_with"]["units"] == {
        "total": 1, "reported": 1, "reported_on_time": 1, "approved": 1,
        "by_status": [{"unit_code": code, "status": "approved", "late": False, "reminders": 0}]}
    assert set(report["compared_with"]) == {"campaign_id", "units", "activities", "volunteers", "beneficiaries",
                                            "problems", "issues"}
    assert report["units"]["by_status"] == [{"unit_code": code, "status": "reported", "late": False, "reminders": 0}]
