"""Issue forwarding (问题转办): an issue's life from forwarding to closing, as plain functions on dicts.

triage → forwarded → acknowledged → answered → closed, with transfer (转办) and 重办 (an unsatisfied
rating sends the issue back to its department). Each step returns `(issue, event_type)`.

Besides the contract's fields an issue keeps the facts the campaign report counts once per issue
(records.Issue names them all)."""
from services.common import clock
from services.common.errors import Conflict
from services.common.records import created, revised

from .records import ACK, ACKNOWLEDGED, ANSWER, ANSWERED, CLOSED, FORWARDED, TRIAGE, Issue

SYSTEM = "system"


def _assigned(issue, department, terms, at):
    """The fields of assigning `issue` to `department` (None: the committee's triage) at `at`."""
    if department is None:
        return {"department": None, "status": TRIAGE, "forwarded_at": clock.iso(at), "ack_due_at": None,
                "answer_due_at": None, "acknowledged_at": None}
    ack_due = clock.iso(clock.days_later(at, terms["issue_ack_days"]))
    return {"department": department, "status": FORWARDED, "forwarded_at": clock.iso(at),
            "ack_due_at": ack_due, "answer_due_at": clock.iso(clock.days_later(at, terms["issue_answer_days"])),
            "acknowledged_at": None, "assignment": issue["assignment"] + 1,
            "first_ack_due_at": issue["first_ack_due_at"] or ack_due}


def _entry(at, by, action, note, department):
    return {"at": clock.iso(at), "by": by, "action": action, "note": note, "department": department}


def _step(issue, at, by, action, note="", **fields):
    """`issue` changed by `fields`, with its history entry; the event type is `issue_<action>`."""
    after = revised(issue, at, **fields)
    after["history"] = issue["history"] + [_entry(at, by, action, note, after["department"])]
    return after, f"issue_{action}"


def open_issue(issue_id, origin, department, terms, at, by=SYSTEM) -> tuple[Issue, str]:
    """A new issue from `origin` ({campaign_id, unit_code, source, description, category,
    countermeasure}), forwarded to `department` or, when None, to the committee's triage."""
    issue = created(issue_id, at, **origin, answer=None, answered_at=None, rating=None, rated_at=None,
                    reopen_count=0, assignment=0, previous_department=None, first_ack_due_at=None,
                    first_acknowledged_at=None, acknowledged_on_time=None, ever_answered=False,
                    answer_count=0, rating_count=0, closed_at=None, overdue_notices=[])
    issue.update(_assigned(issue, department, terms, at))
    issue["history"] = [_entry(at, by, "forwarded", "", department)]
    return issue, "issue_forwarded"


def _require(issue, statuses, message):
    if issue["status"] not in statuses:
        raise Conflict(f"{message}(Not allowed while {issue['status']}).")


def _acknowledgement(issue, at):
    """Acknowledging (or answering unacknowledged) fields; the first one decides `acknowledged_on_time`."""
    fields = {"acknowledged_at": issue["acknowledged_at"] or clock.iso(at)}
    if issue["first_acknowledged_at"] is None:
        fields["first_acknowledged_at"] = clock.iso(at)
        fields["acknowledged_on_time"] = at <= clock.parse(issue["first_ack_due_at"])
    return fields


def acknowledge(issue, by, at):
    _require(issue, (FORWARDED,), "只有已转办未确认的问题可以确认")
    return _step(issue, at, by, "acknowledged", status=ACKNOWLEDGED, **_acknowledgement(issue, at))


def answer(issue, reply, by, at):
    _require(issue, (FORWARDED, ACKNOWLEDGED), "只有已转办或已确认的问题可以答复")
    return _step(issue, at, by, "answered", reply["measures"], status=ANSWERED,
                 answer={"measures": reply["measures"], "resolved": reply["resolved"]},
                 answered_at=clock.iso(at), ever_answered=True, answer_count=issue["answer_count"] + 1,
                 **_acknowledgement(issue, at))


def transfer(issue, department, reason, terms, by, at):
    """To another department (forwarded, new due dates) or, with `department` None, back to triage."""
    _require(issue, (TRIAGE, FORWARDED, ACKNOWLEDGED), "只有分拣中、已转办或已确认的问题可以转办")
    if department == issue["department"]:
        raise Conflict("问题已在该司局或分拣中(Already there).")
    return _step(issue, at, by, "transferred", reason, previous_department=issue["department"],
                 **_assigned(issue, department, terms, at))


def rate(issue, rating, terms, by, at):
    """Satisfied closes the issue; unsatisfied sends it back to the same department (重办)."""
    _require(issue, (ANSWERED,), "只有已答复的问题可以评价")
    fields = {"rating": {"satisfied": rating["satisfied"], "comment": rating["comment"]},
              "rated_at": clock.iso(at), "rating_count": issue["rating_count"] + 1}
    if rating["satisfied"]:
        return _step(issue, at, by, "closed", rating["comment"], status=CLOSED, closed_at=clock.iso(at), **fields)
    return _step(issue, at, by, "reopened", rating["comment"], reopen_count=issue["reopen_count"] + 1,
                 **fields, **_assigned(issue, issue["department"], terms, at))


def _notified(issue, kind):
    return any(n["kind"] == kind and n["assignment"] == issue["assignment"] for n in issue["overdue_notices"])


def pending_deadlines(issue):
    """{kind: due ISO time} of the deadlines still to be watched in the current assignment."""
    pending = {}
    if issue["status"] == FORWARDED and not _notified(issue, ACK):
        pending[ACK] = issue["ack_due_at"]
    if issue["status"] in (FORWARDED, ACKNOWLEDGED) and not _notified(issue, ANSWER):
        pending[ANSWER] = issue["answer_due_at"]
    return pending


def fell_due(issue, kind, now):
    due = pending_deadlines(issue).get(kind)
    return due is not None and now > clock.parse(due)


def mark_overdue(issue, kind, at):
    """Record that `issue_overdue` of `kind` was sent for the current assignment."""
    notice = {"kind": kind, "assignment": issue["assignment"], "department": issue["department"],
              "at": clock.iso(at)}
    note = "逾期未确认" if kind == ACK else "逾期未答复"
    after, _ = _step(issue, at, SYSTEM, "overdue", note, overdue_notices=issue["overdue_notices"] + [notice])
    return after, "issue_overdue"
