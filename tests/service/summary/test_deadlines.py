"""check_deadlines on real RabbitMQ and Redis: each overdue notice once, only what has fallen due."""
import json
from datetime import timedelta

import eventlet
import pytest
from nameko.testing.services import entrypoint_waiter

from services.common import clock
from services.common.events import validate_event
from services.summary.service import SummaryService
from tests.helpers import outcome, remote_error, wait_until
from tests.service.summary.helpers import (WHO, allowed, issues_of, problem, published, routed_issue, summary_of,
                                          wait_for_seed)

OWN_DEPT = {"role": "department", "department": "elderly-care"}
NOTHING = {"summary_overdue": 0, "issue_overdue": {"ack": 0, "answer": 0}}


def later(days):
    return clock.iso(clock.now() + timedelta(days=days))


def counts(summaries=0, ack=0, answer=0):
    return {"summary_overdue": summaries, "issue_overdue": {"ack": ack, "answer": answer}}


@pytest.mark.usefixtures("summary_service")
def test_who_may_check_deadlines(rpc):
    assert {who: outcome(lambda: rpc(**WHO[who]).summary.check_deadlines()) for who in WHO} == allowed(
        "committee", "ops")


@pytest.mark.usefixtures("summary_service")
def test_nothing_is_overdue_before_its_due_time(rpc, complete):
    complete([problem("elderly_care")])
    assert rpc().summary.check_deadlines(now=later(1)) == NOTHING
    assert rpc().summary.check_deadlines() == NOTHING


@pytest.mark.usefixtures("summary_service")
def test_each_overdue_notice_is_sent_once(rpc, complete, listen, redis_client):
    envelope = complete([problem("elderly_care"), problem("other")])
    summary = summary_of(rpc, envelope["subject"])
    routed, triage = issues_of(rpc, envelope["subject"])
    listener = listen("summary")

    assert rpc().summary.check_deadlines(now=later(3)) == counts(ack=1)
    [ack] = listener.wait_for("issue_overdue")
    assert (ack["subject"], ack["data"]["kind"], ack["data"]["department"]) == (routed["id"], "ack", "elderly-care")
    validate_event(ack)

    assert rpc("ops").summary.check_deadlines(now=later(16)) == counts(summaries=1, answer=1)
    [overdue_summary] = listener.wait_for("summary_overdue")
    assert overdue_summary["data"] == rpc().summary.get_summary(summary["id"])
    assert overdue_summary["data"]["overdue"] is True and overdue_summary["data"]["status"] == "requested"
    answer = listener.wait_for("issue_overdue", count=2)[-1]
    assert answer["data"]["kind"] == "answer"
    issue = rpc().summary.get_issue(routed["id"])
    assert [(n["kind"], n["assignment"]) for n in issue["overdue_notices"]] == [("ack", 1), ("answer", 1)]
    assert [h["action"] for h in issue["history"]] == ["forwarded", "overdue", "overdue"]
    assert rpc().summary.get_issue(triage["id"])["overdue_notices"] == []

    assert rpc().summary.check_deadlines(now=later(40)) == NOTHING
    assert len(listener.events("issue_overdue")) == 2 and len(listener.events("summary_overdue")) == 1
    for kind in ("summary", "ack", "answer"):
        assert redis_client.zcard(f"summary:due:{kind}") == 0


@pytest.mark.usefixtures("summary_service")
def test_only_what_is_still_awaited_can_fall_due(rpc, complete, redis_client):
    acknowledged = routed_issue(rpc, complete)
    rpc(**OWN_DEPT).summary.acknowledge_issue(acknowledged["id"])
    answered = routed_issue(rpc, complete)
    rpc(**OWN_DEPT).summary.answer_issue(answered["id"], {"measures": "已办", "resolved": True})
    submitted = summary_of(rpc, complete()["subject"])
    rpc().summary.submit_summary(submitted["id"], {"experience": "经", "shortcomings": "不", "improvements": "改"})
    # The due sets hold only what may still fall due: two of the three summary requests (one was
    # submitted), no acknowledgement, one answer (the other issue was answered).
    assert redis_client.zrange("summary:due:ack", 0, -1) == []
    assert redis_client.zrange("summary:due:answer", 0, -1) == [acknowledged["id"]]
    assert redis_client.zcard("summary:due:summary") == 2
    assert rpc().summary.check_deadlines(now=later(30)) == counts(summaries=2, answer=1)


@pytest.mark.usefixtures("summary_service")
def test_a_new_assignment_can_fall_due_again(rpc, complete, listen):
    issue = routed_issue(rpc, complete)
    assert rpc().summary.check_deadlines(now=later(3)) == counts(summaries=0, ack=1)
    rpc(**OWN_DEPT).summary.transfer_issue(issue["id"], "social-affairs", "属社会事务")
    assert rpc().summary.check_deadlines(now=later(1)) == NOTHING
    assert rpc().summary.check_deadlines(now=later(3)) == counts(ack=1)
    moved = rpc().summary.get_issue(issue["id"])
    assert [(n["kind"], n["assignment"], n["department"]) for n in moved["overdue_notices"]] == [
        ("ack", 1, "elderly-care"), ("ack", 2, "social-affairs")]


@pytest.mark.usefixtures("summary_service")
@pytest.mark.parametrize("now", ["2026-03-20T10:00:00", "tomorrow", 5])
def test_a_bad_now_is_a_validation_error(rpc, now):
    error = remote_error(lambda: rpc().summary.check_deadlines(now=now))
    assert (error.exc_type, list(json.loads(error.value))) == ("ValidationError", ["now"])


def test_now_is_refused_unless_the_clock_override_is_allowed(start_service, rpc, redis_client):
    start_service(SummaryService, ALLOW_CLOCK_OVERRIDE=False)
    wait_for_seed(redis_client)
    assert remote_error(lambda: rpc().summary.check_deadlines(now=later(30))).exc_type == "Forbidden"
    assert rpc().summary.check_deadlines() == NOTHING


def test_the_timer_sends_overdue_notices_without_a_call(start_service, complete, listen, redis_client):
    listener = listen("summary", "summary_overdue")
    container = start_service(SummaryService, DEADLINE_CHECK_INTERVAL=0.2)
    wait_for_seed(redis_client)
    envelope = complete(completed_at=clock.now() - timedelta(days=8))
    [event] = listener.wait_for("summary_overdue", timeout=15)
    assert event["data"]["activity_id"] == envelope["subject"]
    # The next ticks find nothing more to send.
    for _ in range(3):
        with entrypoint_waiter(container, "deadline_timer", timeout=10):
            pass
    published(redis_client)
    assert len(listener.events("summary_overdue")) == 1


@pytest.mark.usefixtures("summary_service")
def test_concurrent_checks_send_each_notice_once(rpc, complete, listen, redis_client):
    for _ in range(4):
        routed_issue(rpc, complete)
    listener = listen("summary")
    proxies = [rpc("ops").summary for _ in range(3)]
    pool = eventlet.GreenPool()
    results = list(pool.imap(lambda proxy: proxy.check_deadlines(now=later(20)), proxies))
    assert sum(r["summary_overdue"] for r in results) == 4
    assert sum(r["issue_overdue"]["ack"] for r in results) == sum(r["issue_overdue"]["answer"] for r in results) == 4
    published(redis_client)
    assert len(listener.wait_for("issue_overdue", count=8)) == 8
    assert len(listener.events("summary_overdue")) == 4


def test_due_times_kept_in_milliseconds_by_an_earlier_version_are_rescaled_at_start(start_service, redis_client):
    due = clock.now() + timedelta(days=1)
    redis_client.zadd("summary:due:ack", {"I0000001": int(due.timestamp() * 1000)})
    redis_client.zadd("summary:due:answer", {"i0123456789abcdef": due.timestamp()})
    start_service(SummaryService)
    wait_for_seed(redis_client)
    wait_until(lambda: redis_client.zscore("summary:due:ack", "I0000001") < 10 ** 10, message="ack index rescaled")
    assert redis_client.zscore("summary:due:ack", "I0000001") == pytest.approx(due.timestamp(), abs=0.001)
    assert redis_client.zscore("summary:due:answer", "i0123456789abcdef") == pytest.approx(due.timestamp())
