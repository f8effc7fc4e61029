"""activity_completed on real RabbitMQ and Redis: one summary request and the right issues, once."""
import json
from datetime import timedelta

import pytest
from nameko.testing.services import entrypoint_waiter
from prometheus_client import REGISTRY

from services.common import clock
from services.common.events import make_event, validate_event
from services.common.ids import new_id
from services.common.redis_ha import AcknowledgedPipeline
from tests.helpers import (all_freed, publish_envelope, publish_event, queue_depth, take_message, wait_until,
                           workers_watched)
from tests.service.summary.helpers import (activity, announce_campaign, campaign, issues_of, problem, published,
                                          summary_of)

pytestmark = pytest.mark.usefixtures("summary_service")

REPORTED = new_id("campaign")

THREE_PROBLEMS = [problem("elderly_care", business_related=False, resolved_on_site=True),
                  problem("elderly_care", business_related=True, resolved_on_site=False),
                  problem("other", business_related=True)]


def completions(metric):
    """A consumer metric of summary's activity_completed queues (process-wide: compare before and after)."""
    return REGISTRY.get_sample_value(metric, {"service": "summary", "event_type": "activity_completed"}) or 0


def test_a_completed_activity_gives_one_summary_request_and_an_issue_per_business_problem(
        complete, rpc, listen):
    listener = listen("summary")
    completed_at = clock.now() - timedelta(hours=3)
    envelope = complete(THREE_PROBLEMS, completed_at=completed_at)
    summary = summary_of(rpc, envelope["subject"])
    assert {k: summary[k] for k in ("activity_id", "campaign_id", "unit_code", "status", "submitted_at", "late",
                                    "overdue", "content")} == {
        "activity_id": envelope["subject"], "campaign_id": "c1", "unit_code": "U001", "status": "requested",
        "submitted_at": None, "late": False, "overdue": False, "content": None}
    # A campaign announced without its own terms has the contract's defaults: 7 days for the summary.
    assert clock.parse(summary["due_at"]) == completed_at + timedelta(days=7)

    routed, triage = issues_of(rpc, envelope["subject"])
    assert (routed["department"], routed["status"], routed["category"]) == ("elderly-care", "forwarded", "elderly_care")
    assert routed["source"] == {"kind": "activity", "id": envelope["subject"]}
    forwarded_at = clock.parse(routed["forwarded_at"])
    assert clock.parse(routed["ack_due_at"]) == forwarded_at + timedelta(days=2)
    assert clock.parse(routed["answer_due_at"]) == forwarded_at + timedelta(days=15)
    assert (triage["department"], triage["status"], triage["ack_due_at"], triage["answer_due_at"]) == (
        None, "triage", None, None)
    for issue in (routed, triage):
        assert (issue["unit_code"], issue["campaign_id"], issue["reopen_count"], issue["answer"], issue["rating"]) == (
            "U001", "c1", 0, None, None)
        assert [h["action"] for h in issue["history"]] == ["forwarded"]

    [requested] = listener.wait_for("summary_requested")
    assert (requested["subject"], requested["seq"], requested["data"]) == (summary["id"], 1, summary)
    forwarded = listener.wait_for("issue_forwarded", count=2)
    assert sorted((e["data"]["department"] or "", e["subject"]) for e in forwarded) == [
        ("", triage["id"]), ("elderly-care", routed["id"])]
    assert {e["subject"]: e["data"] for e in forwarded} == {routed["id"]: routed, triage["id"]: triage}
    for event in [requested, *forwarded]:
        validate_event(event)


def test_a_report_without_business_problems_gives_only_the_summary_request(complete, rpc):
    envelope = complete([problem(business_related=False, resolved_on_site=True)])
    assert summary_of(rpc, envelope["subject"])["status"] == "requested"
    assert issues_of(rpc, envelope["subject"]) == []


def test_the_same_event_delivered_again_changes_nothing(complete, rpc, listen, service_config, redis_client):
    listener = listen("summary")
    envelope = complete(THREE_PROBLEMS)
    skipped = completions("leifeng_events_duplicate_total")
    publish_envelope(service_config["AMQP_URI"], envelope)
    publish_envelope(service_config["AMQP_URI"], envelope)
    # A queue's events are handled concurrently, so wait until both repeats were skipped (summary has
    # one activity_completed queue: the request counts the completion in the report too).
    wait_until(lambda: completions("leifeng_events_duplicate_total") >= skipped + 2, message="repeats skipped")
    published(redis_client)
    summaries = [s for s in rpc().summary.list_summaries(limit=200)["items"] if s["activity_id"] == envelope["subject"]]
    assert len(summaries) == 1
    assert len(issues_of(rpc, envelope["subject"])) == 2
    assert len(listener.events("summary_requested")) == 1
    assert len(listener.events("issue_forwarded")) == 2


def test_the_same_completion_announced_under_a_new_event_id_changes_nothing(complete, rpc, service_config,
                                                                           summary_service):
    envelope = complete(THREE_PROBLEMS)
    with entrypoint_waiter(summary_service, "on_activity_completed"):
        publish_event(service_config["AMQP_URI"], "activity", "activity_completed", envelope["subject"],
                      envelope["data"], seq=envelope["seq"])
    assert len([s for s in rpc().summary.list_summaries(limit=200)["items"]
                if s["activity_id"] == envelope["subject"]]) == 1
    assert len(issues_of(rpc, envelope["subject"])) == 2


def test_a_completion_is_counted_in_the_report_with_its_request_and_issues_once(complete, rpc, service_config,
                                                                                summary_service):
    envelope = complete(THREE_PROBLEMS, campaign_id=REPORTED)
    # Delivered again after a lost ack, then announced again under a new event_id.
    with entrypoint_waiter(summary_service, "on_activity_completed"):
        publish_envelope(service_config["AMQP_URI"], envelope)
    with entrypoint_waiter(summary_service, "on_activity_completed"):
        publish_event(service_config["AMQP_URI"], "activity", "activity_completed", envelope["subject"],
                      envelope["data"], seq=envelope["seq"])
    wait_until(lambda: rpc().summary.campaign_report(REPORTED)["units"]["total"] == 2,
               message="the campaign counted by its own handler")
    report = rpc().summary.campaign_report(REPORTED)
    assert (report["activities"]["completed"], report["problems"]["found"]) == (1, 3)
    assert (report["summaries"]["requested"], report["issues"]["forwarded"], report["issues"]["triage"]) == (1, 2, 1)
    assert [(row["unit_code"], row["activities_completed"], row["issues_forwarded"]) for row in report["by_unit"]] == [
        ("U001", 1, 2), ("U002", 0, 0)]
    # The newest counted event is one the request's transaction emitted.
    assert clock.parse(report["as_of"]) >= clock.parse(summary_of(rpc, envelope["subject"])["created_at"])


def test_the_campaigns_own_terms_set_the_due_dates(complete, rpc, service_config, redis_client):
    announce_campaign(service_config, redis_client, "campaign_created",
                      campaign("c-terms", summary_due_days=3, issue_ack_days=1, issue_answer_days=4), seq=1)
    completed_at = clock.now() - timedelta(hours=1)
    envelope = complete([problem("elderly_care")], campaign_id="c-terms", completed_at=completed_at)
    assert clock.parse(summary_of(rpc, envelope["subject"])["due_at"]) == completed_at + timedelta(days=3)
    [issue] = issues_of(rpc, envelope["subject"])
    forwarded_at = clock.parse(issue["forwarded_at"])
    assert clock.parse(issue["ack_due_at"]) == forwarded_at + timedelta(days=1)
    assert clock.parse(issue["answer_due_at"]) == forwarded_at + timedelta(days=4)


def test_a_campaign_update_changes_the_terms_and_a_stale_one_does_not(complete, rpc, service_config, redis_client,
                                                                       summary_service):
    announce_campaign(service_config, redis_client, "campaign_created", campaign("c-upd", summary_due_days=3), seq=1)
    announce_campaign(service_config, redis_client, "campaign_updated", campaign("c-upd", summary_due_days=10), seq=3)
    with entrypoint_waiter(summary_service, "on_campaign_event"):
        publish_event(service_config["AMQP_URI"], "pairing", "campaign_updated", "c-upd",
                      campaign("c-upd", summary_due_days=5), seq=2)
    completed_at = clock.now() - timedelta(hours=1)
    envelope = complete(campaign_id="c-upd", completed_at=completed_at)
    assert clock.parse(summary_of(rpc, envelope["subject"])["due_at"]) == completed_at + timedelta(days=10)


def test_a_completion_that_arrives_before_its_campaign_is_retried_until_the_terms_are_known(
        service_config, redis_client, rpc):
    retried = completions("leifeng_event_retries_total")
    completed_at = clock.now() - timedelta(hours=1)
    data = activity([problem("elderly_care")], campaign_id="c-late", completed_at=completed_at)
    publish_event(service_config["AMQP_URI"], "activity", "activity_completed", data["id"], data, seq=data["revision"])
    wait_until(lambda: completions("leifeng_event_retries_total") > retried, message="completion retried")
    assert not redis_client.exists(f"summary:activity:{data['id']}")

    # pairing's campaign_created comes shortly after (another queue): a retry then finds the terms.
    announce_campaign(service_config, redis_client, "campaign_created",
                      campaign("c-late", summary_due_days=4, issue_ack_days=1, issue_answer_days=6), seq=1)
    wait_until(lambda: redis_client.exists(f"summary:activity:{data['id']}"), message="summary requested on a retry")
    assert clock.parse(summary_of(rpc, data["id"])["due_at"]) == completed_at + timedelta(days=4)
    [issue] = issues_of(rpc, data["id"])
    assert clock.parse(issue["ack_due_at"]) == clock.parse(issue["forwarded_at"]) + timedelta(days=1)
    assert queue_depth(service_config["AMQP_URI"], "summary.dead-letter") == 0


def test_a_completion_whose_campaign_never_arrives_is_dead_lettered_and_nothing_is_stored(
        service_config, redis_client, rpc):
    data = activity([problem("elderly_care")], campaign_id="c-never")
    publish_event(service_config["AMQP_URI"], "activity", "activity_completed", data["id"], data, seq=data["revision"])
    wait_until(lambda: queue_depth(service_config["AMQP_URI"], "summary.dead-letter") >= 1, timeout=30,
               message="completion dead-lettered")
    body, headers = take_message(service_config["AMQP_URI"], "summary.dead-letter")
    assert body["data"]["id"] == data["id"] and headers["x-error"].startswith("CampaignNotYetKnown: ")
    assert not redis_client.exists(f"summary:activity:{data['id']}")
    assert rpc().summary.list_summaries()["items"] == [] and rpc().summary.list_issues()["items"] == []


def test_an_unroutable_or_unknown_category_goes_to_triage(complete, rpc):
    envelope = complete([problem("other"), problem("no_such_category")])
    assert [(i["status"], i["department"]) for i in issues_of(rpc, envelope["subject"])] == [
        ("triage", None), ("triage", None)]


def test_an_activity_event_without_its_report_is_dead_lettered_and_nothing_is_stored(
        service_config, redis_client, rpc):
    data = activity([problem()])
    envelope = make_event("activity", "activity_completed", data["id"], data["revision"], data)
    del envelope["data"]["report"]["problems"][0]["business_related"]
    publish_envelope(service_config["AMQP_URI"], envelope)  # as a faulty producer would, past its own check
    wait_until(lambda: queue_depth(service_config["AMQP_URI"], "summary.dead-letter") >= 1, timeout=30,
               message="bad event dead-lettered")
    _, headers = take_message(service_config["AMQP_URI"], "summary.dead-letter")
    assert headers["x-error"].startswith("ValidationError")
    assert not redis_client.exists(f"summary:activity:{data['id']}")
    assert rpc().summary.list_issues()["items"] == []


def test_a_summary_request_and_its_issues_are_made_with_one_read_round_trip(complete, redis_client, monkeypatch):
    """What it reads is named by the event (the report's state of the activity included), and the
    new summary's and issues' report states are known to be absent: one WATCH and reads, then EXEC."""
    complete()  # the campaign announced, and the report's first state kept, outside the count
    sent, round_trip = [], AcknowledgedPipeline.round_trip
    monkeypatch.setattr(AcknowledgedPipeline, "round_trip",
                        lambda self, *commands: sent.append([name for name, *_ in commands]) or round_trip(self, *commands))
    envelope = complete(THREE_PROBLEMS)
    assert sent == [["WATCH", "EXISTS", "HGETALL", "MGET"]]
    # Counted all the same: a state for each activity, summary and issue (two per completion here).
    kinds = [key.split(":")[4] for key in redis_client.keys("summary:report:c1:state:*")]
    assert sorted(kinds) == ["activity"] * 2 + ["campaign"] + ["issue"] * 2 + ["summary"] * 2
    summary_id = redis_client.get(f"summary:activity:{envelope['subject']}")
    assert json.loads(redis_client.get(f"summary:report:c1:state:summary:{summary_id}"))["status"] == "requested"


def test_an_events_objects_are_freed_when_it_is_handled_not_left_to_the_garbage_collector(summary_service, complete):
    """No reference cycle per event (the handled mark's flag): see the activity service's test."""
    with workers_watched(summary_service) as workers:
        complete(THREE_PROBLEMS)
        wait_until(lambda: all_freed(workers, at_least=1), message="every worker freed")
