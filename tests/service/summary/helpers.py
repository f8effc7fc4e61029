"""What the summary service tests share besides fixtures (conftest.py): events as pairing and
activity publish them, the callers of the permission table, reads of what the service made."""
import json
import uuid
from datetime import timedelta

from services.common import clock
from services.summary.seed import read_seed
from tests.helpers import publish_event, wait_until

SEEDED = len(read_seed())
WHO = {
    "committee": {"role": "committee"},
    "ops": {"role": "ops"},
    "own department": {"role": "department", "department": "elderly-care"},
    "other department": {"role": "department", "department": "child-welfare"},
    "own unit": {"role": "unit", "unit": "U001"},
    "other unit": {"role": "unit", "unit": "U002"},
    "no token": {"token": False},
}
NOBODY = {who: "Forbidden" for who in WHO} | {"no token": "Unauthenticated"}


def allowed(*callers):
    return NOBODY | {who: "ok" for who in callers}


def published(redis_client):
    """Wait until the service has published every event it staged (a listener bound later sees none)."""
    wait_until(lambda: redis_client.zcard("summary:outbox:staged") == 0, message="summary outbox emptied")


def wait_for_seed(redis_client):
    wait_until(lambda: redis_client.hlen("summary:seeded") == SEEDED, timeout=30, message="seed departments loaded")
    published(redis_client)


def campaign(campaign_id, **terms):
    """A campaign as `campaign_created` carries it; terms left out take the contract's defaults."""
    stamp = clock.iso(clock.now())
    return {"id": campaign_id, "name": "2026年学雷锋结对帮扶", "year": 2026, "report_deadline": "2026-03-09",
            "region": "北京市", "participants": ["U001", "U002"], "created_at": stamp, "updated_at": stamp,
            "revision": 1, **terms}


def projected_seq(redis_client, campaign_id):
    raw = redis_client.get(f"summary:campaign:{campaign_id}")
    return raw and json.loads(raw)["seq"]


def announce_campaign(service_config, redis_client, event_type, data, seq):
    """Publish a campaign event as pairing would and wait until the service has projected it."""
    publish_event(service_config["AMQP_URI"], "pairing", event_type, data["id"], data, seq=seq)
    wait_until(lambda: projected_seq(redis_client, data["id"]) == seq, message=f"campaign projection at seq {seq}")


def activity(problems=(), unit_code="U001", campaign_id="c1", completed_at=None, activity_id=None):
    """An activity as `activity_completed` carries it."""
    completed = completed_at or clock.now() - timedelta(minutes=5)
    stamp = clock.iso(completed)
    return {
        "id": activity_id or f"a-{uuid.uuid4().hex[:10]}", "campaign_id": campaign_id, "unit_code": unit_code,
        "pairing_id": "p1", "title": "上门维修", "status": "completed", "completed_at": stamp,
        "created_at": stamp, "updated_at": stamp, "revision": 3,
        "report": {"started_at": clock.iso(completed - timedelta(hours=2)), "ended_at": stamp,
                   "volunteers": [{"name": "李明", "party_member": True, "youth": False, "hours": 2}],
                   "services_delivered": ["home_repair"], "beneficiaries": 1, "description": "修好水管",
                   "problems": [dict(p) for p in problems], "opinions": ["希望多来"]},
    }


def problem(category="elderly_care", business_related=True, resolved_on_site=False, description=None):
    return {"description": description or f"{category} 的问题", "category": category,
            "business_related": business_related, "resolved_on_site": resolved_on_site}


def issues_of(rpc, source_id):
    """The issues forwarded from one activity or summary: those routed to a department first (ids
    are random, and the issues of one source are made at the same moment)."""
    found = [i for i in rpc().summary.list_issues(limit=200)["items"] if i["source"]["id"] == source_id]
    return sorted(found, key=lambda issue: (issue["department"] is None, issue["description"]))


def summary_of(rpc, activity_id):
    [summary] = [s for s in rpc().summary.list_summaries(limit=200)["items"] if s["activity_id"] == activity_id]
    return summary


def routed_issue(rpc, complete, unit_code="U001", category="elderly_care"):
    """A fresh issue from `unit_code`, forwarded to the department of `category`."""
    envelope = complete([problem(category)], unit_code=unit_code)
    [issue] = issues_of(rpc, envelope["subject"])
    return issue

