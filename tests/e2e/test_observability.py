"""Issue 15 on the system as `make run` starts it, with LOG_FORMAT=json: one HTTP request that
completes an activity with a business problem, followed through the gateway, activity, summary and
notification (its webhook delivery included) by its X-Request-Id: the same correlation id in every
event and every JSON log line it caused, and `python -m services.ops trace` prints the whole chain.
And the dashboard's every query names a metric the running services export."""
import json
import os
import re
import subprocess
import sys
import uuid
from datetime import timedelta

import pytest
import requests

from services.common import clock
from tests.e2e.conftest import E2E_REDIS_URL, GATEWAY, ROOT, SERVICES, flushed_system
from tests.helpers import EventListener, wait_until
from tests.service.notification.receiver import Receiver
from tests.unit.test_monitoring import dashboard_queries, metric_names

PROCESS_LINE = re.compile(r"^\S+ (pairing|activity|summary|notification|gateway)\.1\s+\| (.*)$")


@pytest.fixture(scope="module")
def system(rabbit_manager, tmp_path_factory):
    with flushed_system(rabbit_manager, tmp_path_factory.mktemp("e2e"), E2E_REDIS_URL, LOG_FORMAT="json") as running:
        yield running


@pytest.fixture
def receiver():
    with Receiver.running() as server:
        yield server


def planned_activity(system, code):
    committee = system.rpc()
    committee.pairing.register_unit({
        "code": code, "name": f"{code}司", "party_org": f"{code}司机关党支部", "contact_name": "联系人乙",
        "contact_phone": "010-63334444", "contact_email": f"{code.lower()}@example.org"})
    deadline = (clock.now() + timedelta(days=30)).date()
    campaign = committee.pairing.create_campaign({
        "name": f"学雷锋结对帮扶 {code}", "year": deadline.year, "report_deadline": deadline.isoformat(),
        "unit_codes": [code]})
    own = system.rpc("unit", unit=code)
    pairing = own.pairing.report_pairing(campaign["id"], code, {
        "name": "某困难家庭", "category": "group_in_difficulty", "kind": "household", "district": "丰台区",
        "address": "丰台区某街道1号", "contact_name": "李大爷", "contact_phone": "13800001111",
        "needs": ["visit_condolence"], "notes": ""})
    committee.pairing.review_pairing(pairing["id"], "approve", "同意")
    start = clock.now() - timedelta(hours=3)
    return own.activity.plan_activity({
        "pairing_id": pairing["id"], "title": "走访慰问", "service_types": ["visit_condolence"],
        "scheduled_start": clock.iso(start), "scheduled_end": clock.iso(start + timedelta(hours=2)),
        "location": "丰台区", "planned_volunteers": 1}), start


def completion(start):
    return {"started_at": clock.iso(start), "ended_at": clock.iso(start + timedelta(hours=2)),
            "volunteers": [{"name": "王志愿", "party_member": True, "youth": True, "hours": 2}],
            "services_delivered": ["visit_condolence"], "beneficiaries": 1, "description": "上门走访慰问",
            "problems": [{"description": "独居老人助餐点不足", "category": "elderly_care",
                          "business_related": True, "resolved_on_site": False}],
            "opinions": []}


def json_lines(system):
    """(process, parsed line) of every line the five processes wrote; each must be one JSON object."""
    lines = []
    for raw in system.processes.log().splitlines():
        match = PROCESS_LINE.match(raw)
        if match:
            parsed = json.loads(match.group(2))  # fails the test on any line that is not JSON
            assert isinstance(parsed, dict), raw
            lines.append((match.group(1), parsed))
    return lines


def test_one_request_is_followed_through_every_service_and_traced(system, receiver):
    code = f"obs-{uuid.uuid4().hex[:6]}"
    hook = system.rpc().notification.register_webhook(
        {"recipient": "department:elderly-care", "url": receiver.url("/elderly"), "secret": f"secret-of-{code}"})
    activity, start = planned_activity(system, code)
    listeners = {source: EventListener(system.config["AMQP_URI"], source) for source in ("activity", "summary")}
    request_id = f"obs-{uuid.uuid4().hex}"
    try:
        response = requests.post(
            system.url(GATEWAY, "/api/v1/activity/complete_activity"),
            json={"activity_id": activity["id"], "report": completion(start)}, timeout=30,
            headers={"Authorization": f"Bearer {system.token('unit', unit=code)}", "X-Request-Id": request_id})
        assert response.status_code == 200 and response.headers["X-Request-Id"] == request_id, response.text
        [completed] = listeners["activity"].wait_for("activity_completed", timeout=20,
                                                     where=lambda e: e["subject"] == activity["id"])
        [forwarded] = listeners["summary"].wait_for(
            "issue_forwarded", timeout=20, where=lambda e: e["data"]["unit_code"] == code)
        [requested] = listeners["summary"].wait_for(
            "summary_requested", timeout=20, where=lambda e: e["data"].get("activity_id") == activity["id"])
    finally:
        for listener in listeners.values():
            listener.close()
    caused = [completed, forwarded, requested]
    assert [event["correlation_id"] for event in caused] == [request_id] * 3

    [delivery] = wait_until(lambda: receiver.at("/elderly") or None, timeout=30, message="the webhook delivery")
    assert json.loads(delivery["body"])["correlation_id"] == request_id
    wait_until(lambda: [d["status"] for d in system.rpc().notification.list_deliveries(hook["id"])["items"]]
               == ["delivered"], message="the delivery recorded")

    def logged():
        lines = json_lines(system)
        mine = [(process, line) for process, line in lines if line["correlation_id"] == request_id]
        done = any("webhook delivery" in line["message"] and "delivered" in line["message"] for _, line in mine)
        return (lines, mine) if done else None

    lines, mine = wait_until(logged, timeout=15, message="the delivery's log line")
    assert {process for process, _ in mine} == {GATEWAY, "activity", "summary", "notification"}
    assert all(line["service"] == process for process, line in mine)
    event_ids = {event["event_id"] for event in caused}
    about_them = [line for _, line in lines if line.get("event_id") in event_ids]
    assert about_them and {line["correlation_id"] for line in about_them} == {request_id}
    assert {line.get("rpc_method") for _, line in mine} >= {"complete_activity"}

    trace = subprocess.run(
        [sys.executable, "-m", "services.ops", "trace", request_id, "--log", str(system.log_path)],
        cwd=ROOT, capture_output=True, text=True, timeout=60,
        env={**os.environ, "REDIS_URL": E2E_REDIS_URL, "AMQP_URI": system.config["AMQP_URI"],
             "PYTHONWARNINGS": "ignore"})
    assert trace.returncode == 0, trace.stderr
    steps = trace.stdout.splitlines()[1:]
    times = [step.split()[0] for step in steps]
    assert times == sorted(times)
    expected = [("gateway", "http activity.complete_activity -> 200"),
                ("activity", "rpc complete_activity by"),
                ("activity", f"event activity_completed {completed['event_id']} published"),
                ("summary", "event activity_completed handled by summary.on_activity_completed: ok"),
                ("summary", f"event issue_forwarded {forwarded['event_id']} published"),
                ("notification", "event issue_forwarded handled by notification."),
                ("notification", "webhook delivery")]
    for service, text in expected:
        assert any(step.split()[1] == service and text in step for step in steps), (service, text, trace.stdout)


def exported_names(text):
    """Metric names a /metrics page exports: each family's, and a histogram's series."""
    names = set()
    for family, kind in re.findall(r"^# TYPE (\S+) (\S+)$", text, re.M):
        names.add(family)
        if kind == "histogram":
            names.update(f"{family}_{suffix}" for suffix in ("bucket", "count", "sum"))
        if kind == "counter":
            names.add(f"{family}_total")
    return names


def test_every_dashboard_query_names_a_metric_the_services_export(system):
    exported = set()
    for service in (*SERVICES, GATEWAY):
        text = requests.get(system.url(service, "/metrics"), timeout=10).text
        exported |= exported_names(text)
        if service != GATEWAY:  # each reads its own dead-letter queue as its own broker user
            assert f'leifeng_dead_letters{{service="{service}"}} 0.0' in text, service
    for expr in dashboard_queries():
        assert metric_names(expr) <= exported, expr
