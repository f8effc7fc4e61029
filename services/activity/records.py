"""The activity service's records, every field named (docs/activity.md describes each), and the
status values of an activity. Times are ISO 8601 text in +08:00."""
from typing import TypedDict

PLANNED, COMPLETED, CANCELLED = "planned", "completed", "cancelled"
STATUSES = (PLANNED, COMPLETED, CANCELLED)
# The pairing status an activity may be planned with (contract §3 `plan_activity`).
APPROVED = "approved"


class TargetView(TypedDict):
    """What this service keeps of a pairing's target: never its name or contact data."""

    category: str
    kind: str
    district: str


class PairingView(TypedDict):
    """This service's view of a pairing, fed by pairing's events (newest `seq` wins) and by
    `pairing.get_pairing`."""

    id: str
    campaign_id: str
    unit_code: str
    status: str
    target: TargetView
    seq: int


class Volunteer(TypedDict):
    name: str
    party_member: bool
    youth: bool
    hours: float


class Problem(TypedDict):
    description: str
    category: str
    business_related: bool
    resolved_on_site: bool


class Report(TypedDict):
    started_at: str
    ended_at: str
    volunteers: list[Volunteer]
    services_delivered: list[str]
    beneficiaries: int
    description: str
    problems: list[Problem]
    opinions: list[str]


class Activity(TypedDict):
    id: str
    campaign_id: str
    unit_code: str
    pairing_id: str
    target: TargetView
    title: str
    service_types: list[str]
    scheduled_start: str
    scheduled_end: str
    location: str
    planned_volunteers: int
    status: str  # one of STATUSES
    report: Report | None
    completed_at: str | None
    cancelled_at: str | None
    cancel_reason: str | None
    created_at: str
    updated_at: str
    revision: int
