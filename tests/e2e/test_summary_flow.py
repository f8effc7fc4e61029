"""From a completed activity to answered issues, on the system as `make run` starts it: completing
an activity with three problems gives, with no further call, one summary request, one issue at the
department that handles its category and one in the committee's triage; the department acknowledges
and answers, the unit rates, an unsatisfied rating sends the issue back (重办)."""
import uuid
from datetime import timedelta

from services.common import clock
from services.common.events import validate_event
from tests.helpers import EventListener, wait_until

TARGET = {"name": "阳光敬老院", "category": "public_welfare_org", "kind": "organization", "district": "海淀区",
          "address": "海淀区学院路20号", "contact_name": "院长甲", "contact_phone": "13812345678",
          "needs": ["visit_condolence", "health_care"], "notes": ""}
PROBLEMS = [
    {"description": "院内路灯损坏,已现场修好", "category": "other", "business_related": False,
     "resolved_on_site": True},
    {"description": "护理员不足,失能老人照护困难", "category": "elderly_care", "business_related": True,
     "resolved_on_site": False},
    {"description": "周边道路无障碍设施缺失", "category": "other", "business_related": True,
     "resolved_on_site": False},
]
TERMS = {"summary_due_days": 5, "issue_ack_days": 1, "issue_answer_days": 10}


def unit(code):
    return {"code": code, "name": f"{code}司", "party_org": f"{code}司机关党支部", "contact_name": "联系人丙",
            "contact_phone": "010-63335555", "contact_email": f"{code.lower()}@example.org"}


def completed_activity(system, code):
    """A campaign with its own terms, an approved pairing and a completed activity with PROBLEMS."""
    committee = system.rpc().pairing
    committee.register_unit(unit(code))
    deadline = clock.now().date() + timedelta(days=10)
    campaign = committee.create_campaign({"name": f"学雷锋结对帮扶 {code}", "year": deadline.year,
                                          "report_deadline": deadline.isoformat(), "unit_codes": [code], **TERMS})
    mine = system.rpc("unit", unit=code)
    pairing = mine.pairing.report_pairing(campaign["id"], code, TARGET)
    committee.review_pairing(pairing["id"], "approve", "同意")
    start = clock.now() - timedelta(hours=4)
    activity = mine.activity.plan_activity({
        "pairing_id": pairing["id"], "title": "走访慰问敬老院老人", "service_types": ["visit_condolence", "health_care"],
        "scheduled_start": clock.iso(start), "scheduled_end": clock.iso(start + timedelta(hours=3)),
        "location": TARGET["address"], "planned_volunteers": 3})
    # The summary service learns the campaign's terms from pairing's events.
    wait_until(lambda: system.redis.exists(f"summary:campaign:{campaign['id']}"), timeout=20,
               message="campaign terms projected")
    return campaign, mine.activity.complete_activity(activity["id"], {
        "started_at": clock.iso(start), "ended_at": clock.iso(start + timedelta(hours=3)),
        "volunteers": [{"name": "赵敏", "party_member": True, "youth": True, "hours": 3}],
        "services_delivered": ["visit_condolence", "health_care"], "beneficiaries": 12,
        "description": "为老人量血压、陪老人聊天", "problems": PROBLEMS, "opinions": ["希望增加护理员"]})


def test_a_completed_activity_is_summarised_and_its_issues_are_handled(system):
    code = f"sum-{uuid.uuid4().hex[:6]}"
    bus = EventListener(system.config["AMQP_URI"], "summary")
    try:
        run_flow(system, code, bus)
    finally:
        bus.close()


def run_flow(system, code, bus):
    campaign, activity = completed_activity(system, code)
    unit_side = system.rpc("unit", unit=code).summary
    care = system.rpc("department", department="elderly-care").summary

    # No further call: the summary request and the two issues appear by themselves.
    [summary] = wait_until(lambda: unit_side.list_summaries(campaign_id=campaign["id"])["items"], timeout=20,
                           message="summary requested")
    assert (summary["activity_id"], summary["unit_code"], summary["status"]) == (activity["id"], code, "requested")
    assert clock.parse(summary["due_at"]) == clock.parse(activity["completed_at"]) + timedelta(days=5)
    issues = wait_until(lambda: len(unit_side.list_issues(campaign_id=campaign["id"])["items"]) == 2
                        and unit_side.list_issues(campaign_id=campaign["id"])["items"], timeout=20,
                        message="two issues forwarded")
    [routed] = [i for i in issues if i["department"] == "elderly-care"]
    [triage] = [i for i in issues if i["department"] is None]
    assert (routed["status"], routed["category"], routed["source"]) == (
        "forwarded", "elderly_care", {"kind": "activity", "id": activity["id"]})
    assert clock.parse(routed["ack_due_at"]) == clock.parse(routed["forwarded_at"]) + timedelta(days=1)
    assert clock.parse(routed["answer_due_at"]) == clock.parse(routed["forwarded_at"]) + timedelta(days=10)
    assert (triage["status"], triage["category"], triage["ack_due_at"]) == ("triage", "other", None)
    assert [i["id"] for i in care.list_issues(campaign_id=campaign["id"])["items"]] == [routed["id"]]

    # The department acknowledges and answers; the unit is not satisfied: 重办.
    assert care.acknowledge_issue(routed["id"])["status"] == "acknowledged"
    assert care.answer_issue(routed["id"], {"measures": "协调增派两名护理员", "resolved": False})["status"] == "answered"
    reopened = unit_side.rate_issue(routed["id"], {"satisfied": False, "comment": "护理员仍未到岗"})
    assert (reopened["status"], reopened["department"], reopened["reopen_count"]) == ("forwarded", "elderly-care", 1)
    assert clock.parse(reopened["ack_due_at"]) == clock.parse(reopened["forwarded_at"]) + timedelta(days=1)

    # Answered again (answering also acknowledges), and this time the unit is satisfied.
    answered = care.answer_issue(routed["id"], {"measures": "护理员已到岗", "resolved": True})
    assert answered["acknowledged_at"] == answered["answered_at"]
    closed = unit_side.rate_issue(routed["id"], {"satisfied": True, "comment": "满意"})
    assert (closed["status"], closed["reopen_count"], closed["answer_count"]) == ("closed", 1, 2)
    assert [h["action"] for h in closed["history"]] == [
        "forwarded", "acknowledged", "answered", "reopened", "answered", "closed"]

    # The committee routes the triage issue; the unit submits its summary.
    moved = system.rpc().summary.transfer_issue(triage["id"], "community-governance", "属社区治理")
    assert (moved["status"], moved["department"]) == ("forwarded", "community-governance")
    submitted = unit_side.submit_summary(summary["id"], {
        "experience": "提前了解老人需求", "shortcomings": "医护志愿者少", "improvements": "联系社区医院共建",
        "business_issues": [{"description": "敬老院医护力量薄弱", "category": "elderly_care",
                             "countermeasure": "推动医养结合"}]})
    assert (submitted["status"], submitted["late"], len(submitted["issue_ids"])) == ("submitted", False, 1)
    assert care.get_issue(submitted["issue_ids"][0])["source"] == {"kind": "summary", "id": summary["id"]}

    # A department's system bound to summary.events saw every step, each a valid event.
    expected = {"summary_requested": 1, "summary_submitted": 1, "issue_forwarded": 3, "issue_acknowledged": 1,
                "issue_answered": 2, "issue_reopened": 1, "issue_closed": 1, "issue_transferred": 1}

    def seen():
        mine = [e for e in bus.events() if e["data"].get("campaign_id") == campaign["id"]]
        counted = {t: len([e for e in mine if e["event_type"] == t]) for t in expected}
        return counted == expected and mine

    for event in wait_until(seen, timeout=20, message="every summary event"):
        validate_event(event)
