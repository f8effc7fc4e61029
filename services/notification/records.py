"""Every record the notification service keeps, with all its fields, so a reader sees them in one place.

Times are ISO 8601 text in +08:00; `revision` grows by one with each change (services.common.records)."""
from typing import Literal, NotRequired, TypedDict

EmailStatus = Literal["pending", "sent", "failed", "skipped"]
DeliveryStatus = Literal["pending", "delivered", "failed"]


class Notification(TypedDict):
    id: str                     # one per fact (event type, subject, seq) and recipient
    recipient: str              # "committee", "unit:<code>" or "department:<code>"
    event_id: str               # the first event that told this fact
    event_type: str
    subject: str
    seq: int
    title: str
    body: str
    read_at: str | None
    email: EmailStatus
    email_attempts: int
    email_error: str | None     # data-free reason of the last failed attempt
    email_sent_at: str | None
    created_at: str
    updated_at: str
    revision: int


class DirectoryEntry(TypedDict, total=False):
    """A unit, department, campaign or activity as the bus told us: only what texts and e-mail need."""
    seq: int                    # of the event that wrote it: an older one is dropped
    code: str
    id: str
    name: str
    party_org: str
    contact_email: str | None
    active: bool
    year: int
    region: str
    report_deadline: str
    title: str


class Webhook(TypedDict):
    """What `register_webhook` returns and `list_webhooks` lists. The secret is kept apart, never here."""
    id: str
    recipient: str
    url: str
    event_types: list[str]
    deleted_at: NotRequired[str]  # set by delete_webhook; a deleted webhook is found by nothing else
    created_at: str
    updated_at: str
    revision: int


class Delivery(TypedDict):
    """One event pushed to one webhook (contract §8's delivery log)."""
    id: str                     # one per (webhook, notification): the same fact is never pushed twice
    webhook_id: str
    event_id: str
    event_type: str
    status: DeliveryStatus
    attempts: int               # attempts since it was (re-)armed
    last_status: int | None     # the receiver's last HTTP status; None when it did not answer
    last_attempt_at: str | None
    next_attempt_at: str | None  # None once delivered or failed
    created_at: str
    updated_at: str
    revision: int
