"""The event envelope of contract §4 and one schema per event type, checked on publish and receipt."""
import uuid

from marshmallow import ValidationError as MarshmallowError
from marshmallow import fields, validate

from . import clock
from .correlation import PATTERN as CORRELATION_ID
from .correlation import new_correlation_id
from .errors import ValidationError
from .schemas import LenientSchema, dotted, instance, nodes, refusal

VERSION = 1
# Never on the bus (contract §4 and the brief): contact people, phones, addresses, ID numbers.
PERSONAL_KEYS = frozenset({"contact_name", "contact_phone", "phone", "address", "id_number"})


class Envelope(LenientSchema):
    event_id = fields.String(required=True, validate=validate.Length(min=1, max=100))
    event_type = fields.String(required=True, validate=validate.Length(min=1, max=100))
    occurred_at = fields.AwareDateTime(required=True, format="iso")
    source = fields.String(required=True, validate=validate.Length(min=1, max=100))
    version = fields.Integer(required=True, strict=True, validate=validate.Equal(VERSION))
    subject = fields.String(required=True, validate=validate.Length(min=1, max=200))
    seq = fields.Integer(required=True, strict=True, validate=validate.Range(min=0))
    data = fields.Dict(required=True)
    # v2 (contract §4): the request that caused it; absent from events published before v2.
    correlation_id = fields.String(
        load_default=None, allow_none=True,
        validate=validate.Regexp(CORRELATION_ID, error="关联编号格式不正确(Invalid correlation id)."))


class Record(LenientSchema):
    id = fields.String(required=True)
    created_at = fields.String(required=True)
    updated_at = fields.String(required=True)


class Campaign(Record):
    name = fields.String(required=True)
    year = fields.Integer(required=True)
    report_deadline = fields.String(required=True)
    # The units taking part (summary counts `units.total` from it).
    participants = fields.List(fields.String())


class Unit(LenientSchema):
    code = fields.String(required=True)
    name = fields.String(required=True)
    active = fields.Boolean(required=True)


class Target(LenientSchema):
    category = fields.String(required=True)
    kind = fields.String(required=True)
    district = fields.String(required=True)


class Pairing(Record):
    campaign_id = fields.String(required=True)
    unit_code = fields.String(required=True)
    status = fields.String(required=True)
    target = fields.Nested(Target, required=True)


class DeadlineNotice(LenientSchema):
    campaign_id = fields.String(required=True)
    unit_code = fields.String(required=True)
    deadline = fields.String(required=True)


class Activity(Record):
    campaign_id = fields.String(required=True)
    unit_code = fields.String(required=True)
    pairing_id = fields.String(required=True)
    status = fields.String(required=True)


class Problem(LenientSchema):
    description = fields.String(required=True)
    category = fields.String(required=True)
    business_related = fields.Boolean(required=True)
    resolved_on_site = fields.Boolean(required=True)


class CompletionReport(LenientSchema):
    # What summary turns into issues (the report's other fields are counted as activity sends them).
    problems = fields.List(fields.Nested(Problem), required=True)


class CompletedActivity(Activity):
    report = fields.Nested(CompletionReport, required=True)
    completed_at = fields.String(required=True)


class Department(LenientSchema):
    code = fields.String(required=True)
    name = fields.String(required=True)
    categories = fields.List(fields.String(), required=True)


class Summary(Record):
    activity_id = fields.String(required=True)
    campaign_id = fields.String(required=True)
    unit_code = fields.String(required=True)
    status = fields.String(required=True)
    due_at = fields.String(required=True)


class Issue(Record):
    campaign_id = fields.String(required=True)
    unit_code = fields.String(required=True)
    department = fields.String(required=True, allow_none=True)
    status = fields.String(required=True)
    category = fields.String(required=True)


class OverdueIssue(Issue):
    kind = fields.String(required=True, validate=validate.OneOf(["ack", "answer"]))


SCHEMAS = {
    ("pairing", "campaign_created"): Campaign,
    ("pairing", "campaign_updated"): Campaign,
    ("pairing", "unit_registered"): Unit,
    ("pairing", "unit_deactivated"): Unit,
    ("pairing", "pairing_reported"): Pairing,
    ("pairing", "pairing_withdrawn"): Pairing,
    ("pairing", "pairing_approved"): Pairing,
    ("pairing", "pairing_rejected"): Pairing,
    ("pairing", "pairing_deadline_approaching"): DeadlineNotice,
    ("pairing", "pairing_overdue"): DeadlineNotice,
    ("activity", "activity_planned"): Activity,
    ("activity", "activity_updated"): Activity,
    ("activity", "activity_completed"): CompletedActivity,
    ("activity", "activity_cancelled"): Activity,
    ("summary", "department_registered"): Department,
    ("summary", "department_updated"): Department,
    ("summary", "department_deactivated"): Department,
    ("summary", "summary_requested"): Summary,
    ("summary", "summary_submitted"): Summary,
    ("summary", "summary_overdue"): Summary,
    ("summary", "issue_forwarded"): Issue,
    ("summary", "issue_acknowledged"): Issue,
    ("summary", "issue_answered"): Issue,
    ("summary", "issue_transferred"): Issue,
    ("summary", "issue_reopened"): Issue,
    ("summary", "issue_closed"): Issue,
    ("summary", "issue_overdue"): OverdueIssue,
}


def register(source, event_type, schema):
    """Add an event type (services extending the contract, and the fault tests' own events)."""
    SCHEMAS[(source, event_type)] = schema


def personal_keys(data):
    """Dotted paths of personal data inside an event's data."""
    return [dotted((where, key)) for value, where in nodes(data) if isinstance(value, dict)
            for key in value if key in PERSONAL_KEYS]


def validate_event(envelope):
    """Raise `ValidationError` (field paths under `data.`) unless `envelope` is a valid event."""
    try:
        instance(Envelope).load(envelope)
    except MarshmallowError as err:
        raise refusal(err) from None
    check_data(envelope["source"], envelope["event_type"], envelope["data"])
    return envelope


def check_data(source, event_type, data):
    """Raise `ValidationError` unless `data` is what an event of this type carries, with no
    personal data."""
    schema = SCHEMAS.get((source, event_type))
    if schema is None:
        raise ValidationError.field("event_type", "未知事件类型(Unknown event type).")
    try:
        instance(schema).load(data)
    except MarshmallowError as err:
        raise refusal(err, "data") from None
    leaked = personal_keys(data)
    if leaked:
        raise ValidationError({f"data.{path}": ["事件不得包含个人信息(No personal data on the bus)."] for path in leaked})


class InvalidEvent(RuntimeError):
    """A service tried to publish an event that breaks its schema: a bug, never the caller's fault."""


def make_event(source, event_type, subject, seq, data, occurred_at=None, correlation_id=None):
    envelope = {
        "event_id": uuid.uuid4().hex,
        "event_type": event_type,
        "occurred_at": clock.iso(occurred_at or clock.now()),
        "source": source,
        "version": VERSION,
        "subject": str(subject),
        "seq": int(seq),
        "data": data,
        "correlation_id": correlation_id or new_correlation_id(),
    }
    # The envelope is made here, right by construction; what the service gives it is checked.
    try:
        check_data(source, event_type, data)
    except ValidationError as err:
        raise InvalidEvent(f"{source}.{event_type}: {err}") from None
    return envelope
