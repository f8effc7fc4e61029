"""The issue lifecycle: every transition allowed and refused, due dates, history and the report's facts."""
from datetime import datetime, timedelta

import pytest

from services.common import clock, events
from services.common.errors import Conflict
from services.summary import issues
from services.summary.records import Issue

T0 = datetime(2026, 3, 20, 10, 0, tzinfo=clock.CAMPAIGN_TZ)
TERMS = {"summary_due_days": 7, "issue_ack_days": 2, "issue_answer_days": 15}
ORIGIN = {"campaign_id": "c1", "unit_code": "U001", "source": {"kind": "activity", "id": "a1"},
          "description": "老人无人照料", "category": "elderly_care", "countermeasure": None}
DEPT = "elderly-care"
COMMITTEE, DEPARTMENT, UNIT = "committee", f"department:{DEPT}", "unit:U001"
REPLY = {"measures": "安排社工上门", "resolved": True}
SATISFIED, UNSATISFIED = {"satisfied": True, "comment": "满意"}, {"satisfied": False, "comment": "未落实"}


def hours(n):
    return T0 + timedelta(hours=n)


def opened(department=DEPT):
    return issues.open_issue("I1", ORIGIN, department, TERMS, T0)[0]


def in_status(status):
    """An issue brought to `status` through the allowed transitions."""
    if status == "triage":
        return opened(None)
    issue = opened()
    if status == "forwarded":
        return issue
    if status == "acknowledged":
        return issues.acknowledge(issue, DEPARTMENT, hours(1))[0]
    issue = issues.answer(issue, REPLY, DEPARTMENT, hours(2))[0]
    if status == "answered":
        return issue
    return issues.rate(issue, SATISFIED, TERMS, UNIT, hours(3))[0]


def test_an_issue_forwarded_to_a_department_has_due_dates_from_its_assignment():
    issue, event_type = issues.open_issue("I1", ORIGIN, DEPT, TERMS, T0)
    assert event_type == "issue_forwarded"
    assert (issue["status"], issue["department"], issue["assignment"], issue["reopen_count"]) == (
        "forwarded", DEPT, 1, 0)
    assert issue["forwarded_at"] == clock.iso(T0)
    assert issue["ack_due_at"] == clock.iso(T0 + timedelta(days=2)) == issue["first_ack_due_at"]
    assert issue["answer_due_at"] == clock.iso(T0 + timedelta(days=15))
    assert (issue["answer"], issue["rating"]) == (None, None)
    assert issue["history"] == [{"at": clock.iso(T0), "by": "system", "action": "forwarded", "note": "",
                                 "department": DEPT}]
    assert issue["revision"] == 1
    events.Issue().load(issue)


@pytest.mark.parametrize("status", ["triage", "forwarded", "acknowledged", "answered", "closed"])
def test_every_field_of_an_issue_is_named_in_its_record_type(status):
    assert set(in_status(status)) == set(Issue.__annotations__)
    assert len(Issue.__annotations__) == 32


def test_an_issue_without_department_waits_in_triage_without_due_dates():
    issue = opened(None)
    assert (issue["status"], issue["department"], issue["ack_due_at"], issue["answer_due_at"]) == (
        "triage", None, None, None)
    assert issue["assignment"] == 0 and issue["first_ack_due_at"] is None
    assert issues.pending_deadlines(issue) == {}
    events.Issue().load(issue)


def test_the_campaign_terms_set_the_due_dates():
    issue = issues.open_issue("I1", ORIGIN, DEPT, {**TERMS, "issue_ack_days": 1, "issue_answer_days": 5}, T0)[0]
    assert issue["ack_due_at"] == clock.iso(T0 + timedelta(days=1))
    assert issue["answer_due_at"] == clock.iso(T0 + timedelta(days=5))


# acknowledge

def test_acknowledging_a_forwarded_issue():
    issue, event_type = issues.acknowledge(opened(), DEPARTMENT, hours(1))
    assert (event_type, issue["status"], issue["acknowledged_at"], issue["acknowledged_on_time"]) == (
        "issue_acknowledged", "acknowledged", clock.iso(hours(1)), True)
    assert issue["history"][-1] == {"at": clock.iso(hours(1)), "by": DEPARTMENT, "action": "acknowledged",
                                    "note": "", "department": DEPT}
    assert issue["revision"] == 2


@pytest.mark.parametrize("status", ["triage", "acknowledged", "answered", "closed"])
def test_acknowledging_is_refused_unless_forwarded(status):
    with pytest.raises(Conflict):
        issues.acknowledge(in_status(status), DEPARTMENT, hours(5))


@pytest.mark.parametrize("after, on_time", [(timedelta(days=2), True), (timedelta(days=2, seconds=1), False)])
def test_acknowledged_on_time_means_by_the_first_ack_due_time(after, on_time):
    assert issues.acknowledge(opened(), DEPARTMENT, T0 + after)[0]["acknowledged_on_time"] is on_time


# answer

@pytest.mark.parametrize("status", ["forwarded", "acknowledged"])
def test_answering_a_forwarded_or_acknowledged_issue(status):
    issue, event_type = issues.answer(in_status(status), REPLY, DEPARTMENT, hours(2))
    assert (event_type, issue["status"], issue["answer"], issue["answered_at"]) == (
        "issue_answered", "answered", REPLY, clock.iso(hours(2)))
    assert (issue["ever_answered"], issue["answer_count"], issue["acknowledged_on_time"]) == (True, 1, True)
    assert issue["history"][-1]["action"] == "answered" and issue["history"][-1]["note"] == REPLY["measures"]


def test_answering_also_acknowledges():
    issue = issues.answer(opened(), REPLY, DEPARTMENT, hours(2))[0]
    assert issue["acknowledged_at"] == issue["first_acknowledged_at"] == clock.iso(hours(2))


def test_answering_keeps_the_time_of_an_earlier_acknowledgement():
    issue = issues.answer(in_status("acknowledged"), REPLY, DEPARTMENT, hours(3 * 24))[0]
    assert issue["first_acknowledged_at"] == issue["acknowledged_at"] == clock.iso(hours(1))
    assert issue["acknowledged_on_time"] is True


@pytest.mark.parametrize("status", ["triage", "answered", "closed"])
def test_answering_is_refused_from(status):
    with pytest.raises(Conflict):
        issues.answer(in_status(status), REPLY, DEPARTMENT, hours(5))


# transfer

@pytest.mark.parametrize("status", ["triage", "forwarded", "acknowledged"])
def test_transferring_to_another_department_forwards_it_with_new_due_dates(status):
    before = in_status(status)
    issue, event_type = issues.transfer(before, "social-affairs", "属社会事务", TERMS, COMMITTEE, hours(10))
    assert (event_type, issue["status"], issue["department"], issue["previous_department"]) == (
        "issue_transferred", "forwarded", "social-affairs", before["department"])
    assert issue["forwarded_at"] == clock.iso(hours(10))
    assert issue["ack_due_at"] == clock.iso(hours(10) + timedelta(days=2))
    assert issue["answer_due_at"] == clock.iso(hours(10) + timedelta(days=15))
    assert issue["acknowledged_at"] is None
    assert issue["assignment"] == before["assignment"] + 1
    assert issue["history"][-1] == {"at": clock.iso(hours(10)), "by": COMMITTEE, "action": "transferred",
                                    "note": "属社会事务", "department": "social-affairs"}


def test_the_first_ack_due_time_is_the_first_assignments():
    forwarded = issues.transfer(opened(None), DEPT, "分拣", TERMS, COMMITTEE, hours(10))[0]
    assert forwarded["first_ack_due_at"] == clock.iso(hours(10) + timedelta(days=2))
    again = issues.transfer(forwarded, "social-affairs", "转", TERMS, DEPARTMENT, hours(20))[0]
    assert again["first_ack_due_at"] == forwarded["first_ack_due_at"]


@pytest.mark.parametrize("status", ["forwarded", "acknowledged"])
def test_transferring_to_none_sends_it_back_to_triage(status):
    issue = issues.transfer(in_status(status), None, "不属本司", TERMS, DEPARTMENT, hours(10))[0]
    assert (issue["status"], issue["department"], issue["ack_due_at"], issue["answer_due_at"]) == (
        "triage", None, None, None)
    assert issue["previous_department"] == DEPT and issue["assignment"] == 1
    assert issues.pending_deadlines(issue) == {}


@pytest.mark.parametrize("status", ["answered", "closed"])
def test_transferring_is_refused_from(status):
    with pytest.raises(Conflict):
        issues.transfer(in_status(status), "social-affairs", "转", TERMS, COMMITTEE, hours(10))


@pytest.mark.parametrize("status, department", [("forwarded", DEPT), ("triage", None)])
def test_transferring_to_where_it_already_is_is_refused(status, department):
    with pytest.raises(Conflict):
        issues.transfer(in_status(status), department, "转", TERMS, COMMITTEE, hours(10))


# rate

def test_a_satisfied_rating_closes_the_issue():
    issue, event_type = issues.rate(in_status("answered"), SATISFIED, TERMS, UNIT, hours(3))
    assert (event_type, issue["status"], issue["closed_at"], issue["rating"], issue["rating_count"]) == (
        "issue_closed", "closed", clock.iso(hours(3)), SATISFIED, 1)
    assert issue["history"][-1] == {"at": clock.iso(hours(3)), "by": UNIT, "action": "closed", "note": "满意",
                                    "department": DEPT}


def test_an_unsatisfied_rating_sends_it_back_to_the_same_department():
    answered = in_status("answered")
    issue, event_type = issues.rate(answered, UNSATISFIED, TERMS, UNIT, hours(30))
    assert (event_type, issue["status"], issue["department"], issue["reopen_count"]) == (
        "issue_reopened", "forwarded", DEPT, 1)
    assert issue["ack_due_at"] == clock.iso(hours(30) + timedelta(days=2))
    assert issue["answer_due_at"] == clock.iso(hours(30) + timedelta(days=15))
    assert issue["assignment"] == 2 and issue["acknowledged_at"] is None
    assert (issue["answer"], issue["rating"]) == (REPLY, UNSATISFIED)
    assert issue["first_ack_due_at"] == answered["first_ack_due_at"]
    assert issue["history"][-1]["action"] == "reopened"


def test_a_reopened_issue_goes_round_again_and_keeps_its_counts():
    issue = issues.rate(in_status("answered"), UNSATISFIED, TERMS, UNIT, hours(30))[0]
    issue = issues.answer(issue, {"measures": "再次办理", "resolved": False}, DEPARTMENT, hours(40))[0]
    issue = issues.rate(issue, UNSATISFIED, TERMS, UNIT, hours(50))[0]
    assert (issue["reopen_count"], issue["answer_count"], issue["rating_count"]) == (2, 2, 2)
    assert issue["answer"] == {"measures": "再次办理", "resolved": False}
    assert issue["first_acknowledged_at"] == clock.iso(hours(2))
    assert [h["action"] for h in issue["history"]] == [
        "forwarded", "answered", "reopened", "answered", "reopened"]
    assert [h["at"] for h in issue["history"]] == sorted(h["at"] for h in issue["history"])
    assert issue["revision"] == len(issue["history"])


@pytest.mark.parametrize("status", ["triage", "forwarded", "acknowledged", "closed"])
def test_rating_is_refused_unless_answered(status):
    with pytest.raises(Conflict):
        issues.rate(in_status(status), SATISFIED, TERMS, UNIT, hours(10))


# deadlines

def test_a_forwarded_issue_waits_for_both_deadlines_an_acknowledged_one_for_the_answer():
    issue = opened()
    assert issues.pending_deadlines(issue) == {"ack": issue["ack_due_at"], "answer": issue["answer_due_at"]}
    assert issues.pending_deadlines(in_status("acknowledged")) == {"answer": issue["answer_due_at"]}
    for status in ("triage", "answered", "closed"):
        assert issues.pending_deadlines(in_status(status)) == {}


@pytest.mark.parametrize("kind, after, due", [
    ("ack", timedelta(days=2), False), ("ack", timedelta(days=2, seconds=1), True),
    ("answer", timedelta(days=14), False), ("answer", timedelta(days=15, seconds=1), True)])
def test_an_issue_falls_due_only_after_the_due_time(kind, after, due):
    assert issues.fell_due(opened(), kind, T0 + after) is due


def test_overdue_is_noted_once_per_kind_and_assignment():
    late = T0 + timedelta(days=20)
    issue, event_type = issues.mark_overdue(opened(), "ack", late)
    assert event_type == "issue_overdue"
    assert issue["overdue_notices"] == [{"kind": "ack", "assignment": 1, "department": DEPT, "at": clock.iso(late)}]
    assert not issues.fell_due(issue, "ack", late) and issues.fell_due(issue, "answer", late)
    assert issue["history"][-1]["action"] == "overdue" and issue["history"][-1]["by"] == "system"
    issue = issues.mark_overdue(issue, "answer", late)[0]
    assert issues.pending_deadlines(issue) == {}
    events.OverdueIssue().load({**issue, "kind": "answer"})


def test_a_new_assignment_can_fall_due_again():
    late = T0 + timedelta(days=20)
    issue = issues.mark_overdue(opened(), "ack", late)[0]
    moved = issues.transfer(issue, "social-affairs", "转", TERMS, COMMITTEE, late)[0]
    assert set(issues.pending_deadlines(moved)) == {"ack", "answer"}
    assert issues.fell_due(moved, "ack", late + timedelta(days=3))
