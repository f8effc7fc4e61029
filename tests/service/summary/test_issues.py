"""Issues over RPC on real RabbitMQ and Redis: the permission table, every transition and its event."""
import json
from datetime import timedelta

import pytest

from services.common import clock
from services.common.events import validate_event
from services.common.ids import new_id
from tests.helpers import outcome, remote_error
from tests.service.summary.helpers import WHO, allowed, issues_of, problem, routed_issue

pytestmark = pytest.mark.usefixtures("summary_service")

ANSWER = {"measures": "已协调社区养老驿站助餐", "resolved": True}
OWN_DEPT = {"role": "department", "department": "elderly-care"}
OWN_UNIT = {"role": "unit", "unit": "U001"}
READ = allowed("committee", "ops", "own unit", "own department")
HANDLE = allowed("committee", "own department")


def answered(rpc, complete):
    issue = routed_issue(rpc, complete)
    return rpc(**OWN_DEPT).summary.answer_issue(issue["id"], ANSWER)


@pytest.fixture
def callers(rpc):
    """`callers(who)`: the summary service as one of the callers of the permission table."""
    return lambda who: rpc(**WHO[who]).summary


def test_who_may_read_an_issue(rpc, complete, callers):
    issue = routed_issue(rpc, complete)
    assert {who: outcome(lambda: callers(who).get_issue(issue["id"])) for who in WHO} == READ
    [triage] = issues_of(rpc, complete([problem("other")])["subject"])
    assert {who: outcome(lambda: callers(who).get_issue(triage["id"])) for who in WHO} == allowed(
        "committee", "ops", "own unit")


def test_who_may_list_issues_with_a_filter(rpc, complete, callers):
    routed_issue(rpc, complete)
    assert {who: outcome(lambda: callers(who).list_issues(unit_code="U001")) for who in WHO} == allowed(
        "committee", "ops", "own unit", "own department", "other department")
    assert {who: outcome(lambda: callers(who).list_issues(department="elderly-care")) for who in WHO} == allowed(
        "committee", "ops", "own unit", "own department", "other unit")


def test_lists_are_scoped_to_the_caller(rpc, complete):
    mine = routed_issue(rpc, complete, "U001", "elderly_care")
    theirs = routed_issue(rpc, complete, "U002", "child_welfare")
    triage = issues_of(rpc, complete([problem("other")], unit_code="U002")["subject"])[0]

    def ids(**who):
        return {i["id"] for i in rpc(**who).summary.list_issues()["items"]}

    assert ids(**OWN_UNIT) == {mine["id"]}
    assert ids(role="unit", unit="U002") == {theirs["id"], triage["id"]}
    assert ids(**OWN_DEPT) == {mine["id"]}
    assert ids(role="department", department="child-welfare") == {theirs["id"]}
    assert ids(role="ops") == ids(role="committee") == {mine["id"], theirs["id"], triage["id"]}
    assert [i["id"] for i in rpc().summary.list_issues(status="triage")["items"]] == [triage["id"]]
    assert [i["id"] for i in rpc().summary.list_issues(unit_code="U002", department="child-welfare")["items"]] == [
        theirs["id"]]


def test_issues_are_listed_newest_first_by_page(rpc, complete):
    ids = [routed_issue(rpc, complete, "U005")["id"] for _ in range(3)]
    first = rpc().summary.list_issues(unit_code="U005", limit=2)
    second = rpc().summary.list_issues(unit_code="U005", limit=2, cursor=first["next_cursor"])
    assert [i["id"] for i in first["items"] + second["items"]] == ids[::-1]
    assert second["next_cursor"] is None


@pytest.mark.parametrize("method, call, expected", [
    ("acknowledge_issue", lambda svc, issue: svc.acknowledge_issue(issue["id"]), HANDLE),
    ("answer_issue", lambda svc, issue: svc.answer_issue(issue["id"], ANSWER), HANDLE),
    ("transfer_issue", lambda svc, issue: svc.transfer_issue(issue["id"], "social-affairs", "属社会事务"), HANDLE),
])
def test_who_may_handle_an_issue(rpc, complete, callers, method, call, expected):
    assert {who: outcome(lambda: call(callers(who), routed_issue(rpc, complete))) for who in WHO} == expected


def test_who_may_rate_an_answer(rpc, complete, callers):
    rating = {"satisfied": True, "comment": "满意"}
    assert {who: outcome(lambda: callers(who).rate_issue(answered(rpc, complete)["id"], rating)) for who in WHO} == (
        allowed("committee", "own unit"))


def test_a_department_may_not_handle_an_issue_in_triage(rpc, complete):
    [triage] = issues_of(rpc, complete([problem("other")])["subject"])
    error = remote_error(lambda: rpc(**OWN_DEPT).summary.transfer_issue(triage["id"], "elderly-care", "认领"))
    assert error.exc_type == "Forbidden"


def test_acknowledge_answer_and_close(rpc, complete, listen):
    listener = listen("summary")
    issue = routed_issue(rpc, complete)
    acknowledged = rpc(**OWN_DEPT).summary.acknowledge_issue(issue["id"])
    assert (acknowledged["status"], acknowledged["acknowledged_on_time"], acknowledged["revision"]) == (
        "acknowledged", True, 2)
    assert acknowledged["history"][-1]["by"] == "department:elderly-care"
    done = rpc(**OWN_DEPT).summary.answer_issue(issue["id"], ANSWER)
    assert (done["status"], done["answer"], done["ever_answered"]) == ("answered", ANSWER, True)
    closed = rpc(**OWN_UNIT).summary.rate_issue(issue["id"], {"satisfied": True, "comment": "很满意"})
    assert (closed["status"], closed["rating"], closed["reopen_count"]) == (
        "closed", {"satisfied": True, "comment": "很满意"}, 0)
    assert [h["action"] for h in closed["history"]] == ["forwarded", "acknowledged", "answered", "closed"]
    assert rpc().summary.get_issue(issue["id"]) == closed
    for event_type, record in (("issue_acknowledged", acknowledged), ("issue_answered", done),
                               ("issue_closed", closed)):
        [event] = listener.wait_for(event_type)
        assert (event["subject"], event["seq"], event["data"]) == (issue["id"], record["revision"], record)
        validate_event(event)


def test_an_unsatisfied_rating_sends_the_issue_back_to_its_department(rpc, complete, listen):
    listener = listen("summary")
    issue = answered(rpc, complete)
    reopened = rpc(**OWN_UNIT).summary.rate_issue(issue["id"], {"satisfied": False, "comment": "仍未解决"})
    assert (reopened["status"], reopened["department"], reopened["reopen_count"], reopened["assignment"]) == (
        "forwarded", "elderly-care", 1, 2)
    assigned = clock.parse(reopened["forwarded_at"])
    assert assigned > clock.parse(issue["forwarded_at"])
    assert clock.parse(reopened["ack_due_at"]) == assigned + timedelta(days=2)
    assert clock.parse(reopened["answer_due_at"]) == assigned + timedelta(days=15)
    [event] = listener.wait_for("issue_reopened")
    assert event["data"] == reopened
    assert {i["id"] for i in rpc(**OWN_DEPT).summary.list_issues(status="forwarded")["items"]} >= {issue["id"]}


def test_transfer_to_another_department_and_back_to_triage(rpc, complete, listen):
    listener = listen("summary")
    issue = routed_issue(rpc, complete)
    moved = rpc(**OWN_DEPT).summary.transfer_issue(issue["id"], "social-affairs", "属残疾人事务")
    assert (moved["department"], moved["status"], moved["previous_department"]) == (
        "social-affairs", "forwarded", "elderly-care")
    assert clock.parse(moved["ack_due_at"]) == clock.parse(moved["forwarded_at"]) + timedelta(days=2)
    assert moved["history"][-1]["note"] == "属残疾人事务"
    assert remote_error(lambda: rpc(**OWN_DEPT).summary.get_issue(issue["id"])).exc_type == "Forbidden"
    new_owner = rpc(role="department", department="social-affairs").summary
    assert [i["id"] for i in new_owner.list_issues()["items"]] == [issue["id"]]
    assert rpc(**OWN_DEPT).summary.list_issues()["items"] == []
    back = new_owner.transfer_issue(issue["id"], None, "不属本司职责")
    assert (back["department"], back["status"], back["ack_due_at"]) == (None, "triage", None)
    again = rpc().summary.transfer_issue(issue["id"], "elderly-care", "党委分拣")
    assert (again["status"], again["assignment"]) == ("forwarded", 3)
    transferred = listener.wait_for("issue_transferred", count=3)
    assert [e["data"]["department"] for e in sorted(transferred, key=lambda e: e["seq"])] == [
        "social-affairs", None, "elderly-care"]
    assert [e["seq"] for e in listener.events("issue_forwarded")] in ([], [1])


@pytest.mark.parametrize("step, exc_type", [
    (lambda svc, issue: svc.rate_issue(issue["id"], {"satisfied": True}), "Conflict"),
    (lambda svc, issue: svc.transfer_issue(issue["id"], "elderly-care", "同一司局"), "Conflict"),
    (lambda svc, issue: svc.transfer_issue(issue["id"], "no-such-office", "转"), "NotFound"),
    (lambda svc, issue: svc.acknowledge_issue(new_id("issue")), "NotFound"),
    (lambda svc, issue: svc.answer_issue(issue["id"], {"measures": "", "resolved": True}), "ValidationError"),
])
def test_a_refused_step_changes_nothing(rpc, complete, listen, step, exc_type):
    issue = routed_issue(rpc, complete)
    listener = listen("summary")
    assert remote_error(lambda: step(rpc().summary, issue)).exc_type == exc_type
    assert rpc().summary.get_issue(issue["id"]) == issue
    assert listener.events() == []


def test_a_step_out_of_order_is_a_conflict(rpc, complete):
    issue = routed_issue(rpc, complete)
    rpc(**OWN_DEPT).summary.acknowledge_issue(issue["id"])
    assert remote_error(lambda: rpc(**OWN_DEPT).summary.acknowledge_issue(issue["id"])).exc_type == "Conflict"
    rpc(**OWN_DEPT).summary.answer_issue(issue["id"], ANSWER)
    for step in (lambda svc: svc.answer_issue(issue["id"], ANSWER),
                 lambda svc: svc.transfer_issue(issue["id"], None, "退回")):
        assert remote_error(lambda: step(rpc().summary)).exc_type == "Conflict"


def test_bad_arguments_name_their_fields(rpc, complete):
    issue = routed_issue(rpc, complete)
    error = remote_error(lambda: rpc(**OWN_UNIT).summary.rate_issue(issue["id"], {"satisfied": "no", "comment": 5}))
    assert (error.exc_type, set(json.loads(error.value))) == ("ValidationError", {"rating.satisfied", "rating.comment"})
    error = remote_error(lambda: rpc().summary.list_issues(status="open", department="Bad"))
    assert set(json.loads(error.value)) == {"status", "department"}
