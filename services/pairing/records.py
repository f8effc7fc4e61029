"""The pairing service's records, every field named (docs/pairing.md describes each), and the
status values of a pairing. Times are ISO 8601 text in +08:00."""
from typing import TypedDict

# A pairing's status (contract §3): only `reported` moves on, to approved, rejected or withdrawn.
REPORTED, APPROVED, REJECTED, WITHDRAWN = "reported", "approved", "rejected", "withdrawn"
STATUSES = (REPORTED, APPROVED, REJECTED, WITHDRAWN)
# A unit whose latest pairing is reported or approved has a valid report: it is not missing.
VALID = (REPORTED, APPROVED)


class Campaign(TypedDict):
    id: str
    name: str
    year: int
    region: str
    report_deadline: str  # YYYY-MM-DD
    remind_days: int
    summary_due_days: int
    issue_ack_days: int
    issue_answer_days: int
    unit_codes: list[str] | None  # what the committee asked for; None = every active unit
    participants: list[str]  # who takes part now, sorted
    carried_over_from: str | None  # the earlier campaign's id (carry_over_campaign), else None
    reminders_from: str
    on_time_until: str
    created_at: str
    updated_at: str
    revision: int


class Unit(TypedDict, total=False):
    code: str  # a unit is named by its code and has no `id`
    name: str
    party_org: str
    contact_name: str
    contact_phone: str
    contact_email: str
    active: bool
    deactivated_at: str  # only once deactivated
    created_at: str
    updated_at: str
    revision: int


class Target(TypedDict, total=False):
    name: str
    category: str
    kind: str
    district: str
    address: str
    contact_name: str
    contact_phone: str
    needs: list[str]
    notes: str


class Pairing(TypedDict, total=False):
    id: str
    campaign_id: str
    unit_code: str
    target: Target
    status: str  # one of STATUSES
    reported_at: str
    late: bool
    reviewed_at: str | None
    review_comment: str | None
    withdrawn_at: str | None
    carried_over_from: str | None  # the earlier pairing's id (carry_over_campaign), else None
    created_at: str
    updated_at: str
    revision: int
