"""A whole campaign through the four processes, driven by RPC as the committee, the units and a
department would: every notification lands in the right inboxes exactly once, also when every
event of the run is delivered a second time; and each webhook gets exactly its recipient's events."""
import json
import uuid
from collections import Counter
from datetime import timedelta

import pytest
import requests

from services.common import clock
from services.notification import domain_webhooks
from tests.helpers import EventListener, publish_envelope, wait_until
from tests.service.notification.events import contract_recipients
from tests.service.notification.receiver import Receiver

SOURCES = ("pairing", "activity", "summary")


def unit(code, name):
    return {"code": code, "name": name, "party_org": f"{name}党支部", "contact_name": "张老师",
            "contact_phone": "13912345678", "contact_email": f"{code.lower()}@ministry.example"}


TARGET = {"name": "朝阳区某困难家庭", "category": "group_in_difficulty", "kind": "household", "district": "朝阳区",
          "address": "朝阳区某街道1号", "contact_name": "李大爷", "contact_phone": "13800001111",
          "needs": ["visit_condolence"], "notes": ""}


def report(start, end):
    problem = {"business_related": True, "resolved_on_site": False}
    return {"started_at": clock.iso(start), "ended_at": clock.iso(end),
            "volunteers": [{"name": "王志愿", "party_member": True, "youth": True, "hours": 2}],
            "services_delivered": ["visit_condolence"], "beneficiaries": 2, "description": "上门走访慰问",
            "problems": [{**problem, "description": "独居老人助餐点不足", "category": "elderly_care"},
                         {**problem, "description": "楼道照明长期损坏", "category": "other"}],
            "opinions": ["希望志愿者常来看看"]}


def inboxes_of(system, recipients):
    proxy = system.rpc()
    return {recipient: proxy.notification.list_inbox(recipient, limit=200)["items"] for recipient in recipients}


def duplicates_skipped(system):
    metrics = requests.get(system.url("notification", "/metrics"), timeout=5).text
    return sum(float(line.rsplit(" ", 1)[1]) for line in metrics.splitlines()
               if line.startswith("leifeng_events_duplicate_total{") and 'service="notification"' in line)


@pytest.fixture
def listeners(system):
    """Bound before the run starts, so they see every event of it."""
    bound = {source: EventListener(system.config["AMQP_URI"], source) for source in SOURCES}
    yield bound
    for listener in bound.values():
        listener.close()


def issues_of(proxy, unit_code, count):
    def all_there():
        items = proxy.summary.list_issues(unit_code=unit_code)["items"]
        return items if len(items) == count else None
    return wait_until(all_there, timeout=20, message=f"{count} issues of {unit_code}")


def test_a_campaign_run_notifies_each_inbox_exactly_once_even_when_every_event_comes_twice(system, listeners):
    tag = uuid.uuid4().hex[:6]
    reporting, missing = f"NA{tag}", f"NB{tag}"
    committee = system.rpc()
    department = system.rpc("department", department="elderly-care")
    own = system.rpc("unit", unit=reporting)

    # Pairing: one unit reports and is approved; the other is reminded, then flagged.
    committee.pairing.register_unit(unit(reporting, "民政部办公厅"))
    committee.pairing.register_unit(unit(missing, "民政部规划财务司"))
    deadline = (clock.now() + timedelta(days=30)).date()
    campaign = committee.pairing.create_campaign({
        "name": f"学雷锋结对帮扶志愿服务活动{tag}", "year": deadline.year, "report_deadline": deadline.isoformat(),
        "unit_codes": [reporting, missing]})
    pairing = own.pairing.report_pairing(campaign["id"], reporting, TARGET)
    committee.pairing.review_pairing(pairing["id"], "approve", "同意")
    deadline_day = clock.start_of_day(deadline)
    committee.pairing.check_deadlines(now=clock.iso(deadline_day - timedelta(hours=12)))
    committee.pairing.check_deadlines(now=clock.iso(deadline_day + timedelta(days=2)))

    # An activity with two business problems: one for 养老服务司, one for the committee's triage.
    yesterday = clock.now() - timedelta(days=1)
    activity = own.activity.plan_activity({
        "pairing_id": pairing["id"], "title": "走访慰问困难家庭", "service_types": ["visit_condolence"],
        "scheduled_start": clock.iso(yesterday), "scheduled_end": clock.iso(yesterday + timedelta(hours=2)),
        "location": "朝阳区", "planned_volunteers": 3})
    own.activity.complete_activity(activity["id"], report(yesterday, yesterday + timedelta(hours=2)))
    issues = issues_of(committee, reporting, 2)
    [forwarded] = [issue for issue in issues if issue["department"] == "elderly-care"]
    [triage] = [issue for issue in issues if issue["department"] is None]

    # Answer, an unsatisfied rating (重办), the triage issue assigned, then everything overdue.
    department.summary.answer_issue(forwarded["id"], {"measures": "协调街道新增助餐点", "resolved": False})
    own.summary.rate_issue(forwarded["id"], {"satisfied": False, "comment": "助餐点仍然太远"})
    committee.summary.transfer_issue(triage["id"], "elderly-care", "属养老服务范畴")
    committee.summary.check_deadlines(now=clock.iso(clock.now() + timedelta(days=60)))

    story = {
        f"unit:{reporting}": Counter(["pairing_approved", "summary_requested", "issue_answered", "summary_overdue"]),
        f"unit:{missing}": Counter(["pairing_deadline_approaching", "pairing_overdue"]),
        "committee": Counter(["pairing_reported", "pairing_overdue", "issue_forwarded", "issue_answered",
                              "summary_overdue"] + ["issue_overdue"] * 4),
        "department:elderly-care": Counter(["issue_forwarded", "issue_reopened", "issue_transferred"]
                                           + ["issue_overdue"] * 4),
    }

    def settled():
        inboxes = inboxes_of(system, story)
        types = {recipient: Counter(n["event_type"] for n in items) for recipient, items in inboxes.items()}
        return inboxes if types == story else None

    inboxes = wait_until(settled, timeout=30, message="every inbox as the story goes")

    # Exactly the events of the run, each in exactly the inboxes contract §4 names.
    events = [event for listener in listeners.values() for event in listener.events()]
    expected = {recipient: sorted(event["event_id"] for event in events
                                  if recipient in contract_recipients(event["event_type"], event["data"]))
                for recipient in story}
    assert {recipient: sorted(n["event_id"] for n in items) for recipient, items in inboxes.items()} == expected

    # The texts name the campaign and the activity and say what to do by when.
    [request] = [n for n in inboxes[f"unit:{reporting}"] if n["event_type"] == "summary_requested"]
    assert request["title"].startswith("【活动总结】请于 ") and request["title"].endswith(" 前提交活动总结")
    assert f"「{campaign['name']}」" in request["body"] and "「走访慰问困难家庭」" in request["body"]
    [triaged] = [n for n in inboxes["committee"] if n["event_type"] == "issue_forwarded"]
    assert "请分派" in triaged["title"] and "楼道照明长期损坏" in triaged["body"]

    # A unit reads its own inbox and marks a notification read.
    approval = next(n for n in inboxes[f"unit:{reporting}"] if n["event_type"] == "pairing_approved")
    assert own.notification.mark_read(approval["id"])["read_at"] is not None
    unread = own.notification.list_inbox(f"unit:{reporting}", unread_only=True)["items"]
    assert approval["id"] not in {n["id"] for n in unread} and len(unread) == 3

    # Every event of the run delivered again: nothing new in any inbox.
    consumed = [event for event in events if event["event_type"] in set().union(*story.values())
                or event["event_type"] in ("campaign_created", "unit_registered", "activity_planned")]
    skipped_before = duplicates_skipped(system)
    for event in events:
        publish_envelope(system.config["AMQP_URI"], event)
    wait_until(lambda: duplicates_skipped(system) >= skipped_before + len(consumed), timeout=30,
               message="the second deliveries skipped")
    again = inboxes_of(system, story)
    assert {r: sorted(n["id"] for n in items) for r, items in again.items()} == {
        r: sorted(n["id"] for n in items) for r, items in inboxes.items()}


@pytest.fixture
def receiver():
    with Receiver.running() as server:
        yield server


def test_each_webhook_gets_exactly_its_recipients_events_signed(system, receiver):
    """Two departments, the committee's triage and a unit, each with a webhook: a department never
    receives another's issue, and every delivery is signed with its own webhook's secret."""
    tag = uuid.uuid4().hex[:6]
    code = f"NW{tag}"
    committee = system.rpc()
    own = system.rpc("unit", unit=code)
    recipients = {"committee": None, f"unit:{code}": None, "department:elderly-care": None,
                  "department:child-welfare": None}
    for recipient in recipients:
        secret = f"secret-of-{recipient}-{tag}"
        hook = committee.notification.register_webhook(
            {"recipient": recipient, "url": receiver.url(f"/{recipient}"), "secret": secret})
        recipients[recipient] = (hook["id"], secret)

    committee.pairing.register_unit(unit(code, "民政部办公厅"))
    deadline = (clock.now() + timedelta(days=30)).date()
    campaign = committee.pairing.create_campaign({
        "name": f"学雷锋结对帮扶志愿服务活动{tag}", "year": deadline.year, "report_deadline": deadline.isoformat(),
        "unit_codes": [code]})
    pairing = own.pairing.report_pairing(campaign["id"], code, TARGET)
    committee.pairing.review_pairing(pairing["id"], "approve", "同意")
    yesterday = clock.now() - timedelta(days=1)
    activity = own.activity.plan_activity({
        "pairing_id": pairing["id"], "title": "走访慰问困难家庭", "service_types": ["visit_condolence"],
        "scheduled_start": clock.iso(yesterday), "scheduled_end": clock.iso(yesterday + timedelta(hours=2)),
        "location": "朝阳区", "planned_volunteers": 3})
    completion = report(yesterday, yesterday + timedelta(hours=2))
    completion["problems"].append({**completion["problems"][0], "description": "儿童之家活动场地不足",
                                   "category": "child_welfare"})
    own.activity.complete_activity(activity["id"], completion)
    issues_of(committee, code, 3)

    story = {"committee": 2, f"unit:{code}": 2, "department:elderly-care": 1, "department:child-welfare": 1}

    def received():
        found = {r: [request for request in receiver.at(f"/{r}")
                     if json.loads(request["body"])["data"].get("campaign_id") == campaign["id"]] for r in story}
        return found if {r: len(requests_) for r, requests_ in found.items()} == story else None

    deliveries = wait_until(received, timeout=30, message="every webhook's deliveries")
    inboxes = inboxes_of(system, story)
    for recipient, requests_ in deliveries.items():
        hook_id, secret = recipients[recipient]
        bodies = [json.loads(request["body"]) for request in requests_]
        # The webhook was made for this test: its log holds exactly what it received, all delivered.
        def logged(hook_id=hook_id, count=len(bodies)):
            items = committee.notification.list_deliveries(hook_id)["items"]
            return items if [d["status"] for d in items] == ["delivered"] * count else None

        log = wait_until(logged, message="the delivery log")
        assert sorted(d["event_id"] for d in log) == sorted(body["event_id"] for body in bodies)
        assert {body["event_id"] for body in bodies} <= {n["event_id"] for n in inboxes[recipient]}
        for request, body in zip(requests_, bodies):
            assert request["headers"]["X-Leifeng-Signature-256"] == domain_webhooks.signature(request["body"], secret)
            assert recipient in contract_recipients(body["event_type"], body["data"])
    assert [json.loads(r["body"])["data"]["department"] for r in deliveries["department:child-welfare"]] == \
        ["child-welfare"]
