"""Contract §3 v2 on real RabbitMQ and Redis: every state change of summary can be retried with its
`request_id` (the repeat returns the first call's result, never `Conflict`); the same `request_id`
with other arguments is `Conflict`; a deactivated unit may read but not write."""
import pytest

from services.common import clock
from tests.helpers import publish_event, remote_error, wait_until
from tests.service.summary.helpers import published, routed_issue, summary_of

pytestmark = pytest.mark.usefixtures("summary_service")

OWN_DEPT = {"role": "department", "department": "elderly-care"}
OWN_UNIT = {"role": "unit", "unit": "U001"}
CONTENT = {"experience": "经验", "shortcomings": "不足", "improvements": "改进",
           "business_issues": [{"description": "床位不足", "category": "elderly_care", "countermeasure": "增床"}]}
ANSWER = {"measures": "已协调", "resolved": True}


def answered(rpc, complete):
    issue = routed_issue(rpc, complete)
    return rpc(**OWN_DEPT).summary.answer_issue(issue["id"], ANSWER)


# (who calls, the call with a request_id, the same request_id with other arguments)
STEPS = {
    "submit_summary": (
        OWN_UNIT, lambda rpc, complete: summary_of(rpc, complete()["subject"])["id"],
        lambda svc, record_id, rid: svc.submit_summary(record_id, CONTENT, request_id=rid),
        lambda svc, record_id, rid: svc.submit_summary(record_id, {**CONTENT, "experience": "另"}, request_id=rid)),
    "acknowledge_issue": (
        OWN_DEPT, lambda rpc, complete: routed_issue(rpc, complete)["id"],
        lambda svc, record_id, rid: svc.acknowledge_issue(record_id, request_id=rid),
        lambda svc, record_id, rid: svc.acknowledge_issue(routed_issue_id(svc), request_id=rid)),
    "answer_issue": (
        OWN_DEPT, lambda rpc, complete: routed_issue(rpc, complete)["id"],
        lambda svc, record_id, rid: svc.answer_issue(record_id, ANSWER, request_id=rid),
        lambda svc, record_id, rid: svc.answer_issue(record_id, {**ANSWER, "resolved": False}, request_id=rid)),
    "transfer_issue": (
        OWN_DEPT, lambda rpc, complete: routed_issue(rpc, complete)["id"],
        lambda svc, record_id, rid: svc.transfer_issue(record_id, "social-affairs", "属社会事务", request_id=rid),
        lambda svc, record_id, rid: svc.transfer_issue(record_id, None, "退回", request_id=rid)),
    "rate_issue": (
        OWN_UNIT, lambda rpc, complete: answered(rpc, complete)["id"],
        lambda svc, record_id, rid: svc.rate_issue(record_id, {"satisfied": False, "comment": "未解决"}, request_id=rid),
        lambda svc, record_id, rid: svc.rate_issue(record_id, {"satisfied": True}, request_id=rid)),
}


def routed_issue_id(svc):
    """Any other issue id the caller may act on (the arguments differ from the first call's)."""
    return next(i["id"] for i in svc.list_issues(status="forwarded")["items"])


@pytest.mark.parametrize("method", STEPS)
def test_a_retry_after_a_lost_reply_returns_the_first_result_once(rpc, complete, listen, redis_client, method):
    who, make, call, _ = STEPS[method]
    record_id = make(rpc, complete)
    published(redis_client)
    listener = listen("summary")
    first = call(rpc(**who).summary, record_id, "retry-1")
    again = call(rpc(**who).summary, record_id, "retry-1")
    assert again == first
    published(redis_client)
    changed = [e for e in listener.events() if e["subject"] == record_id]
    assert len(changed) == 1 and changed[0]["seq"] == first["revision"]


@pytest.mark.parametrize("method", STEPS)
def test_a_request_id_reused_with_other_arguments_is_a_conflict(rpc, complete, redis_client, method):
    who, make, call, other = STEPS[method]
    record_id = make(rpc, complete)
    routed_issue(rpc, complete)  # another issue for acknowledge_issue's other arguments
    first = call(rpc(**who).summary, record_id, "retry-2")
    assert remote_error(lambda: other(rpc(**who).summary, record_id, "retry-2")).exc_type == "Conflict"
    getter = rpc().summary.get_summary if method == "submit_summary" else rpc().summary.get_issue
    assert getter(record_id) == first


def test_a_request_id_is_the_callers_own(rpc, complete):
    """The committee's request_id does not answer a department's call, nor block it."""
    issue = routed_issue(rpc, complete)
    rpc().summary.acknowledge_issue(issue["id"], request_id="same")
    error = remote_error(lambda: rpc(**OWN_DEPT).summary.acknowledge_issue(issue["id"], request_id="same"))
    assert error.exc_type == "Conflict"  # already acknowledged: the department's own first call is refused
    other = routed_issue(rpc, complete)
    assert rpc(**OWN_DEPT).summary.acknowledge_issue(other["id"], request_id="same")["status"] == "acknowledged"


def test_without_a_request_id_a_repeat_is_refused_as_before(rpc, complete):
    issue = routed_issue(rpc, complete)
    rpc(**OWN_DEPT).summary.acknowledge_issue(issue["id"])
    assert remote_error(lambda: rpc(**OWN_DEPT).summary.acknowledge_issue(issue["id"])).exc_type == "Conflict"


def test_a_deactivated_unit_may_read_but_no_longer_write(rpc, complete, service_config, redis_client):
    summary = summary_of(rpc, complete()["subject"])
    stamp = clock.iso(clock.now())
    publish_event(service_config["AMQP_URI"], "pairing", "unit_deactivated", "U001",
                  {"code": "U001", "name": "办公厅", "active": False, "created_at": stamp, "updated_at": stamp},
                  seq=2)
    wait_until(lambda: redis_client.sismember("summary:units:deactivated", "U001"), message="deactivation seen")
    unit = rpc(**OWN_UNIT).summary
    assert unit.get_summary(summary["id"]) == summary
    assert remote_error(lambda: unit.submit_summary(summary["id"], CONTENT)).exc_type == "Forbidden"
    assert remote_error(lambda: unit.rate_issue("i0000000000000000", "satisfied")).exc_type == "Forbidden"
    assert rpc().summary.get_summary(summary["id"])["status"] == "requested"
    assert rpc().summary.submit_summary(summary["id"], CONTENT)["status"] == "submitted"
