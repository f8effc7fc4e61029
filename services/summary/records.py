"""The summary service's records, every field named: what Redis holds and the events carry.

Times are ISO 8601 text in +08:00; `revision` grows by one on each change and is the `seq` of the
event that announces it (services.common.records)."""
from typing import TypedDict

# Summary request status (contract §3).
REQUESTED, SUBMITTED = "requested", "submitted"
SUMMARY_STATUSES = (REQUESTED, SUBMITTED)

# Issue status (contract §3): triage → forwarded → acknowledged → answered → closed.
TRIAGE, FORWARDED, ACKNOWLEDGED, ANSWERED, CLOSED = "triage", "forwarded", "acknowledged", "answered", "closed"
ISSUE_STATUSES = (TRIAGE, FORWARDED, ACKNOWLEDGED, ANSWERED, CLOSED)
# The two deadlines of an issue's assignment, and the kinds of `issue_overdue`.
ACK, ANSWER = "ack", "answer"


class Stamped(TypedDict):
    created_at: str
    updated_at: str
    revision: int


class Department(Stamped):
    """A business department (业务司局); its `code` is its id. A deactivated one (`active` false)
    keeps its record and its issues but routes no category."""
    code: str
    name: str
    categories: list[str]
    contact_email: str
    active: bool
    deactivated_at: str | None


class CampaignTerms(TypedDict):
    """The terms of a campaign this service uses, projected from pairing's events."""
    id: str
    name: str
    seq: int
    summary_due_days: int
    issue_ack_days: int
    issue_answer_days: int


class SummaryContent(TypedDict):
    experience: str
    shortcomings: str
    improvements: str
    business_issues: list[dict]  # {description, category, countermeasure}


class Summary(Stamped):
    """The summary request of one completed activity (活动总结)."""
    id: str
    activity_id: str
    campaign_id: str
    unit_code: str
    status: str  # REQUESTED or SUBMITTED
    due_at: str
    submitted_at: str | None
    late: bool
    overdue: bool  # summary_overdue was sent
    content: SummaryContent | None
    issue_ids: list[str]  # the issues its business problems raised


class Source(TypedDict):
    kind: str  # "activity" or "summary"
    id: str


class HistoryEntry(TypedDict):
    at: str
    by: str  # "system", "committee", "unit:<code>" or "department:<code>"
    action: str  # forwarded, acknowledged, answered, transferred, reopened, closed, overdue
    note: str
    department: str | None


class OverdueNotice(TypedDict):
    kind: str  # ACK or ANSWER
    assignment: int
    department: str | None
    at: str


class Issue(Stamped):
    """A forwarded problem (问题转办): the contract's fields, then the facts the campaign report
    counts once per issue, kept on the record so that its latest version says everything."""
    id: str
    campaign_id: str
    unit_code: str
    source: Source
    description: str
    category: str
    countermeasure: str | None  # from a summary's business issue; None from an activity
    department: str | None  # None: the committee's triage
    status: str  # one of ISSUE_STATUSES
    forwarded_at: str  # when it was (last) assigned
    ack_due_at: str | None
    answer_due_at: str | None
    acknowledged_at: str | None  # in the current assignment
    answer: dict | None  # {measures, resolved}: the last answer
    answered_at: str | None
    rating: dict | None  # {satisfied, comment}: the last rating
    rated_at: str | None
    reopen_count: int
    history: list[HistoryEntry]
    # Kept for the report and the deadline checks:
    assignment: int  # how many times it was assigned to a department
    previous_department: str | None
    first_ack_due_at: str | None
    first_acknowledged_at: str | None
    acknowledged_on_time: bool | None
    ever_answered: bool
    answer_count: int
    rating_count: int
    closed_at: str | None
    overdue_notices: list[OverdueNotice]
