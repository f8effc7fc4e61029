"""An activity from an approved pairing to its completion report, on the system as `make run`
starts it: the unit plans right after review_pairing returns, and a department's system, bound to
`activity.events` with a plain AMQP consumer, hears of the completed activity."""
import json
import uuid
from datetime import timedelta

from services.common import clock
from services.common.events import validate_event
from tests.helpers import EventListener

TARGET = {"name": "李奶奶家", "category": "group_in_difficulty", "kind": "household", "district": "丰台区",
          "address": "丰台区方庄芳城园一区3号楼", "contact_name": "李秀英", "contact_phone": "13712345678",
          "needs": ["home_repair", "emotional_companionship"], "notes": ""}
# What no event may carry: the target's name as the unit reported it and as people call her, its
# address and contact data, and the unit's own contact person. The service cannot know these from
# events, so it never scrubs free text: units must keep them out of it (docs/activity.md), and so
# do this test's titles, descriptions, problems and opinions (checked below, or the check is void).
PERSONAL = (TARGET["name"], "李奶奶", TARGET["address"], "方庄芳城园", TARGET["contact_name"],
            TARGET["contact_phone"], "010-63334444", "联系人乙")


def free_texts(activity, report):
    """What the unit writes in its own words, which goes on the bus as written."""
    return [activity["title"], report["description"], *[p["description"] for p in report["problems"]],
            *report["opinions"]]


def unit(code):
    return {"code": code, "name": f"{code}司", "party_org": f"{code}司机关党支部", "contact_name": "联系人乙",
            "contact_phone": "010-63334444", "contact_email": f"{code.lower()}@example.org"}


def test_a_unit_plans_and_completes_an_activity_and_a_department_hears_of_it(system):
    department = EventListener(system.config["AMQP_URI"], "activity", "activity_completed")
    try:
        run_activity(system, department)
    finally:
        department.close()


def run_activity(system, department):
    code = f"act-{uuid.uuid4().hex[:6]}"
    committee = system.rpc().pairing
    committee.register_unit(unit(code))
    deadline = clock.now().date() + timedelta(days=10)
    campaign = committee.create_campaign({"name": f"学雷锋结对帮扶 {code}", "year": deadline.year,
                                          "report_deadline": deadline.isoformat(), "unit_codes": [code]})
    mine = system.rpc("unit", unit=code)
    pairing = mine.pairing.report_pairing(campaign["id"], code, TARGET)
    assert committee.review_pairing(pairing["id"], "approve", "同意")["status"] == "approved"

    # At once, without waiting for pairing_approved to reach the activity service.
    start = clock.now() - timedelta(hours=3)
    activity = mine.activity.plan_activity({
        "pairing_id": pairing["id"], "title": "上门维修并陪伴老人",
        "service_types": ["home_repair", "emotional_companionship"],
        "scheduled_start": clock.iso(start), "scheduled_end": clock.iso(start + timedelta(hours=2)),
        "location": TARGET["address"], "planned_volunteers": 2}, request_id=f"plan-{code}")
    assert (activity["campaign_id"], activity["unit_code"], activity["status"]) == (campaign["id"], code, "planned")

    report = {
        "started_at": clock.iso(start), "ended_at": clock.iso(start + timedelta(hours=2)),
        "volunteers": [{"name": "周强", "party_member": True, "youth": True, "hours": 2},
                       {"name": "吴敏", "party_member": False, "youth": False, "hours": 1.5}],
        "services_delivered": ["home_repair", "emotional_companionship"], "beneficiaries": 2,
        "description": "修好了漏水的水龙头,陪老人聊天一小时",
        "problems": [{"description": "老人腿脚不便,希望有助餐服务", "category": "elderly_care",
                      "business_related": True, "resolved_on_site": False},
                     {"description": "楼道灯坏了", "category": "other", "business_related": False,
                      "resolved_on_site": True}],
        "opinions": ["希望常来看看"],
    }
    written = free_texts(activity, report)
    assert not [value for value in PERSONAL for text in written if value in text]
    done = mine.activity.complete_activity(activity["id"], report)
    assert (done["status"], done["revision"]) == ("completed", 2) and done["completed_at"]

    [event] = department.wait_for("activity_completed", timeout=20, where=lambda e: e["subject"] == activity["id"])
    assert validate_event(event) == event
    assert (event["source"], event["seq"], event["version"]) == ("activity", 2, 1)
    data = event["data"]
    assert (data["unit_code"], data["campaign_id"], data["pairing_id"]) == (code, campaign["id"], pairing["id"])
    assert data["report"]["volunteers"] == report["volunteers"]
    assert [p["business_related"] for p in data["report"]["problems"]] == [True, False]
    assert data["location"] == "丰台区"
    # The free texts did arrive, verbatim; the target's name, address and contacts did not.
    assert [data["title"], data["report"]["description"]] == [activity["title"], report["description"]]
    text = json.dumps(event, ensure_ascii=False)
    assert not [value for value in PERSONAL if value in text]

    assert mine.activity.get_activity(activity["id"]) == done
    listed = system.rpc("ops").activity.list_activities(campaign_id=campaign["id"])["items"]
    assert [(a["id"], a["location"]) for a in listed] == [(activity["id"], "丰台区")]
