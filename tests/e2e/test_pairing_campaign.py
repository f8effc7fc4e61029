"""A pairing campaign from creation to every unit approved, on the system as `make run` starts it:
one unit withdraws and reports again, one is missing (reminded once and flagged overdue once
however often the check runs) and then reports late; then the committee carries it over to next
year, where every unit's approved target is reported again for review."""
import json
import uuid
from datetime import timedelta

from services.common import clock
from tests.helpers import EventListener

TARGET = {"name": "和平里社区养老驿站", "category": "public_welfare_org", "kind": "organization",
          "district": "东城区", "address": "东城区和平里北街21号", "contact_name": "赵敏",
          "contact_phone": "13611112222", "needs": ["visit_condolence", "health_care"], "notes": ""}
HOUSEHOLD = {**TARGET, "name": "孙奶奶家", "kind": "household", "category": "group_in_difficulty",
             "address": "西城区德胜门外大街5号", "district": "西城区", "contact_name": "孙桂兰",
             "contact_phone": "010-62345678"}
PERSONAL = ("东城区和平里北街21号", "赵敏", "13611112222", "孙奶奶家", "西城区德胜门外大街5号", "孙桂兰",
            "010-62345678", "13900001111", "联系人甲")


def unit(code):
    return {"code": code, "name": f"{code}司", "party_org": f"{code}司机关党支部", "contact_name": "联系人甲",
            "contact_phone": "13900001111", "contact_email": f"{code.lower()}@example.org"}


def test_a_campaign_runs_from_creation_to_every_unit_approved(system):
    events = EventListener(system.config["AMQP_URI"], "pairing")
    try:
        # Today (+08:00) read once: a run crossing midnight must not shift the deadline against the
        # moments the checks are run at.
        run_campaign(system, events, clock.now().date())
    finally:
        events.close()


def run_campaign(system, events, today):
    def day(offset, clock_time="10:00:00"):
        return f"{today + timedelta(days=offset)}T{clock_time}+08:00"

    prefix = uuid.uuid4().hex[:6]
    codes = [f"{prefix}-{name}" for name in ("on-time", "withdraw", "missing", "home")]
    on_time, withdrawer, missing, household = codes
    committee = system.rpc().pairing
    for code in codes:
        committee.register_unit(unit(code))
    deadline = today + timedelta(days=10)
    campaign = committee.create_campaign({"name": f"学雷锋结对帮扶 {prefix}", "year": deadline.year,
                                          "report_deadline": deadline.isoformat(), "unit_codes": codes},
                                         request_id=f"e2e-{prefix}")
    campaign_id = campaign["id"]
    assert campaign["participants"] == sorted(codes)

    def as_unit(code):
        return system.rpc("unit", unit=code).pairing

    first = as_unit(on_time).report_pairing(campaign_id, on_time, TARGET)
    home = as_unit(household).report_pairing(campaign_id, household, HOUSEHOLD)
    taken_back = as_unit(withdrawer).report_pairing(campaign_id, withdrawer, TARGET)
    assert as_unit(withdrawer).withdraw_pairing(taken_back["id"])["status"] == "withdrawn"
    second = as_unit(withdrawer).report_pairing(campaign_id, withdrawer, TARGET)
    for pairing in (first, home):
        assert committee.review_pairing(pairing["id"], "approve", "同意")["status"] == "approved"

    for _ in range(3):
        committee.check_deadlines(now=day(7))
    for _ in range(3):
        committee.check_deadlines(now=day(11, "00:00:01"))
    progress = committee.reporting_progress(campaign_id)
    assert (progress["missing"], progress["pending_review"], progress["approved"]) == ([missing], 1, 2)

    committee.review_pairing(second["id"], "approve")
    yesterday = today - timedelta(days=1)
    committee.update_campaign(campaign_id, {"report_deadline": yesterday.isoformat(), "year": yesterday.year})
    late = as_unit(missing).report_pairing(campaign_id, missing, TARGET)
    assert late["late"] is True
    committee.review_pairing(late["id"], "approve")
    committee.check_deadlines(now=day(20))

    assert committee.reporting_progress(campaign_id) == {
        "campaign_id": campaign_id, "deadline": yesterday.isoformat(), "total_units": 4, "not_reported": 0,
        "pending_review": 0, "approved": 4, "rejected": 0, "late": [missing], "missing": []}
    assert [p["late"] for p in committee.list_pairings(campaign_id, status="approved")["items"]] == [
        True, False, False, False]

    ours = lambda event: event["data"].get("campaign_id", event["subject"]) == campaign_id  # noqa: E731
    events.wait_for("pairing_approved", 4, timeout=20, where=ours)
    # At-least-once delivery: an event may be heard twice, under one event_id.
    mine = [e for e in {e["event_id"]: e for e in events.events()}.values() if ours(e)]
    assert sorted(e["data"]["unit_code"] for e in mine if e["event_type"] == "pairing_approved") == sorted(codes)
    counted = {}
    for event in mine:
        counted[event["event_type"]] = counted.get(event["event_type"], 0) + 1
    assert counted == {"campaign_created": 1, "campaign_updated": 1, "pairing_reported": 5,
                       "pairing_withdrawn": 1, "pairing_approved": 4,
                       "pairing_deadline_approaching": 1, "pairing_overdue": 1}
    for notice in ("pairing_deadline_approaching", "pairing_overdue"):
        [sent] = [e for e in mine if e["event_type"] == notice]
        assert sent["data"] == {"campaign_id": campaign_id, "unit_code": missing, "deadline": deadline.isoformat(),
                                "on_time_until": f"{deadline + timedelta(days=1)}T00:00:00+08:00"}
    [reported_home] = [e for e in mine if e["event_type"] == "pairing_reported" and e["subject"] == home["id"]]
    assert "name" not in reported_home["data"]["target"]
    carry_over(committee, events, campaign_id, codes, deadline)
    bus_text = json.dumps(events.events(), ensure_ascii=False)
    for value in PERSONAL:
        assert value not in bus_text


def carry_over(committee, events, campaign_id, codes, deadline):
    next_deadline = deadline + timedelta(days=365)
    terms = {"name": "下一年度学雷锋结对帮扶", "year": next_deadline.year,
             "report_deadline": next_deadline.isoformat(), "unit_codes": codes}
    carried = committee.carry_over_campaign(campaign_id, terms, request_id=f"e2e-next-{campaign_id}")
    assert committee.carry_over_campaign(campaign_id, terms, request_id=f"e2e-next-{campaign_id}") == carried
    approved = {p["id"] for p in committee.list_pairings(campaign_id, status="approved")["items"]}
    reported = committee.list_pairings(carried["id"])["items"]
    assert {p["carried_over_from"] for p in reported} == approved
    assert {(p["status"], p["late"]) for p in reported} == {("reported", False)}
    assert committee.reporting_progress(carried["id"])["pending_review"] == len(codes)
    ours = lambda event: event["data"].get("campaign_id", event["subject"]) == carried["id"]  # noqa: E731
    [created] = events.wait_for("campaign_created", where=ours)
    assert created["data"]["carried_over_from"] == campaign_id
    events.wait_for("pairing_reported", len(codes), where=ours)
