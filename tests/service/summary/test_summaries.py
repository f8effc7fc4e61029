"""Summaries over RPC on real RabbitMQ and Redis: who may see and submit them, submission, lists."""
import json
from datetime import timedelta

import pytest

from services.common import clock
from services.common.events import validate_event
from services.common.ids import new_id
from tests.helpers import outcome, remote_error
from tests.service.summary.helpers import WHO, allowed, issues_of, summary_of

pytestmark = pytest.mark.usefixtures("summary_service")

LISTED, OTHER = new_id("campaign"), new_id("campaign")
NO_SUMMARY = new_id("summary")

CONTENT = {"experience": "提前对接需求,效果好", "shortcomings": "志愿者时间难协调", "improvements": "固定每月活动日",
           "business_issues": [
               {"description": "社区养老床位不足", "category": "elderly_care", "countermeasure": "建议增加床位"},
               {"description": "其他困难", "category": "other", "countermeasure": "请党委研究"}]}


def requested(complete, rpc, unit_code="U001", **kw):
    return summary_of(rpc, complete(unit_code=unit_code, **kw)["subject"])


def test_who_may_read_and_submit_summaries(complete, rpc):
    summary = requested(complete, rpc)
    read = allowed("committee", "ops", "own unit")
    assert {who: outcome(lambda: rpc(**WHO[who]).summary.get_summary(summary["id"])) for who in WHO} == read
    assert {who: outcome(lambda: rpc(**WHO[who]).summary.list_summaries(unit_code="U001")) for who in WHO} == read

    def submit(who):
        fresh = requested(complete, rpc)
        return outcome(lambda: rpc(**WHO[who]).summary.submit_summary(fresh["id"], CONTENT))

    assert {who: submit(who) for who in WHO} == allowed("committee", "own unit")


def test_a_unit_lists_only_its_own_summaries(complete, rpc):
    mine, theirs = requested(complete, rpc, "U001"), requested(complete, rpc, "U002")
    assert [s["id"] for s in rpc("unit", unit="U001").summary.list_summaries()["items"]] == [mine["id"]]
    assert {s["id"] for s in rpc("ops").summary.list_summaries()["items"]} == {mine["id"], theirs["id"]}


def test_summaries_are_listed_newest_first_by_page_and_filtered(complete, rpc):
    ids = [requested(complete, rpc, campaign_id=LISTED)["id"] for _ in range(3)]
    other = requested(complete, rpc, campaign_id=OTHER)
    first = rpc().summary.list_summaries(campaign_id=LISTED, limit=2)
    assert [s["id"] for s in first["items"]] == ids[::-1][:2]
    second = rpc().summary.list_summaries(campaign_id=LISTED, limit=2, cursor=first["next_cursor"])
    assert ([s["id"] for s in second["items"]], second["next_cursor"]) == ([ids[0]], None)
    rpc("unit", unit="U001").summary.submit_summary(ids[1], CONTENT)
    assert [s["id"] for s in rpc().summary.list_summaries(status="submitted")["items"]] == [ids[1]]
    assert [s["id"] for s in rpc().summary.list_summaries(campaign_id=OTHER, status="requested")["items"]] == [
        other["id"]]
    assert rpc().summary.list_summaries(unit_code="U009")["items"] == []


def test_submitting_a_summary_in_time_forwards_its_business_issues(complete, rpc, listen):
    listener = listen("summary")
    summary = requested(complete, rpc)
    submitted = rpc("unit", unit="U001").summary.submit_summary(summary["id"], CONTENT)
    assert (submitted["status"], submitted["late"], submitted["content"], submitted["revision"]) == (
        "submitted", False, CONTENT, 2)
    assert clock.parse(submitted["submitted_at"]) <= clock.now()
    routed, triage = issues_of(rpc, summary["id"])
    assert submitted["issue_ids"] == [routed["id"], triage["id"]]
    assert (routed["department"], routed["status"], routed["countermeasure"]) == ("elderly-care", "forwarded", "建议增加床位")
    assert (triage["department"], triage["status"]) == (None, "triage")
    assert routed["source"] == triage["source"] == {"kind": "summary", "id": summary["id"]}
    assert routed["history"][0]["by"] == "unit:U001"
    [event] = listener.wait_for("summary_submitted")
    assert (event["subject"], event["seq"], event["data"]) == (summary["id"], 2, submitted)
    validate_event(event)
    forwarded = listener.wait_for("issue_forwarded", count=2, where=lambda e: e["data"]["source"]["kind"] == "summary")
    assert {e["subject"] for e in forwarded} == {routed["id"], triage["id"]}
    assert rpc().summary.get_summary(summary["id"]) == submitted


def test_a_summary_submitted_after_its_due_time_is_late(complete, rpc):
    summary = requested(complete, rpc, completed_at=clock.now() - timedelta(days=8))
    submitted = rpc().summary.submit_summary(summary["id"], {**CONTENT, "business_issues": []})
    assert submitted["late"] is True
    assert issues_of(rpc, summary["id"]) == []


def test_a_summary_is_submitted_once(complete, rpc, listen):
    summary = requested(complete, rpc)
    rpc().summary.submit_summary(summary["id"], CONTENT)
    listener = listen("summary")
    assert remote_error(lambda: rpc().summary.submit_summary(summary["id"], CONTENT)).exc_type == "Conflict"
    assert len(issues_of(rpc, summary["id"])) == 2
    assert listener.events() == []


@pytest.mark.parametrize("content, fields", [
    ({**CONTENT, "experience": " "}, {"summary.experience"}),
    ({k: v for k, v in CONTENT.items() if k != "improvements"}, {"summary.improvements"}),
    ({**CONTENT, "business_issues": [{"description": "缺少对策", "category": "elderly_care"}]},
     {"summary.business_issues.0.countermeasure"}),
    ({**CONTENT, "business_issues": [{**CONTENT["business_issues"][0], "category": "pets"}]},
     {"summary.business_issues.0.category"}),
    ("经验", {"summary"}),
])
def test_a_bad_summary_names_the_field_and_nothing_is_stored_or_published(complete, rpc, listen, content, fields):
    summary = requested(complete, rpc)
    listener = listen("summary")
    error = remote_error(lambda: rpc().summary.submit_summary(summary["id"], content))
    assert (error.exc_type, set(json.loads(error.value))) == ("ValidationError", fields)
    assert rpc().summary.get_summary(summary["id"]) == summary
    assert listener.events() == []


def test_checks_run_in_the_contracts_order(complete, rpc):
    summary = requested(complete, rpc)
    assert remote_error(lambda: rpc("department", department="elderly-care").summary.submit_summary(
        "nope", None)).exc_type == "Forbidden"
    assert remote_error(lambda: rpc("unit", unit="U002").summary.submit_summary(
        summary["id"], None)).exc_type == "ValidationError"
    assert remote_error(lambda: rpc("unit", unit="U002").summary.submit_summary(
        NO_SUMMARY, CONTENT)).exc_type == "NotFound"
    assert remote_error(lambda: rpc("unit", unit="U002").summary.submit_summary(
        summary["id"], CONTENT)).exc_type == "Forbidden"
    assert remote_error(lambda: rpc().summary.get_summary(NO_SUMMARY)).exc_type == "NotFound"
