"""The arguments of activity's RPCs. Each `...Args` names a bad field by its dotted path, e.g.
`activity.scheduled_end` or `report.volunteers.0.hours`."""
from marshmallow import ValidationError as MarshmallowError
from marshmallow import fields, validate, validates_schema

from services.common import clock
from services.common.calls import ChangeArgs
from services.common.schemas import (
    LIST_MAX, BaseSchema, PageArgs, bounded, choice, distinct, flag, many, moment, name, record_id,
    text, unit_code)
from services.common.vocabulary import ISSUE_CATEGORIES, SERVICE_TYPES

from . import domain
from .records import STATUSES

# Contract §1 v2: numbers the report adds up are bounded, so that every sum stays exact.
MAX_PLANNED_VOLUNTEERS = 10_000
MAX_HOURS = 24
HOURS_DECIMALS = 3
MAX_BENEFICIARIES = 100_000


class PartialNested(fields.Nested):
    """A nested object of which any field may be left out: the changes of an update."""

    def _deserialize(self, value, attr, data, partial=None, **kwargs):
        return super()._deserialize(value, attr, data, partial=True, **kwargs)


def service_types(**kw):
    return fields.List(choice(SERVICE_TYPES), validate=[validate.Length(min=1, max=LIST_MAX), distinct], **kw)


def raise_problems(problems):
    if problems:
        raise MarshmallowError(problems)


class PlannedFields(BaseSchema):
    """The fields a unit plans and may change while the activity is planned."""

    title = name(required=True)
    service_types = service_types(required=True)
    scheduled_start = moment(required=True)
    scheduled_end = moment(required=True)
    location = text(required=True)
    # At least one: an activity nobody is meant to attend cannot be completed (≥ 1 volunteer).
    planned_volunteers = bounded(MAX_PLANNED_VOLUNTEERS, minimum=1, required=True)

    @validates_schema
    def schedule_in_order(self, data, **kwargs):
        if "scheduled_start" in data and "scheduled_end" in data:
            raise_problems(domain.schedule_problems(data["scheduled_start"], data["scheduled_end"]))


class NewActivity(PlannedFields):
    pairing_id = record_id("pairing", required=True)


class PlanActivityArgs(ChangeArgs):
    activity = fields.Nested(NewActivity, required=True)


class Changes(PlannedFields):
    @validates_schema
    def not_empty(self, data, **kwargs):
        if not data:
            raise MarshmallowError("至少修改一项(Nothing to change).")


class UpdateActivityArgs(ChangeArgs):
    activity_id = record_id("activity", required=True)
    changes = PartialNested(Changes, required=True)


class Volunteer(BaseSchema):
    name = name(required=True)
    party_member = flag(required=True)
    youth = flag(required=True)
    # A JSON number of hours, kept as the caller gave it (3 stays 3, 1.5 stays 1.5), to the
    # thousandth (3.6 s): the report adds hours up in thousandths, so its sums stay exact.
    hours = bounded(MAX_HOURS, integer=False, decimals=HOURS_DECIMALS, required=True)


class Problem(BaseSchema):
    description = text(required=True)
    category = choice(ISSUE_CATEGORIES, required=True)
    business_related = flag(required=True)
    resolved_on_site = flag(required=True)


class Report(BaseSchema):
    started_at = moment(required=True)
    ended_at = moment(required=True)
    volunteers = many(fields.Nested(Volunteer), minimum=1, required=True)
    services_delivered = service_types(required=True)
    beneficiaries = bounded(MAX_BENEFICIARIES, required=True)
    description = text(required=True)
    problems = many(fields.Nested(Problem), load_default=list)
    opinions = many(text(required=True), load_default=list)

    @validates_schema
    def consistent(self, data, **kwargs):
        raise_problems(domain.report_problems(data, clock.now()))


class CompleteActivityArgs(ChangeArgs):
    activity_id = record_id("activity", required=True)
    report = fields.Nested(Report, required=True)


class CancelActivityArgs(ChangeArgs):
    activity_id = record_id("activity", required=True)
    reason = text(required=True)


class ActivityIdArgs(BaseSchema):
    activity_id = record_id("activity", required=True)


class ListActivitiesArgs(PageArgs):
    campaign_id = record_id("campaign", load_default=None, allow_none=True)
    unit_code = unit_code(load_default=None, allow_none=True)
    status = choice(STATUSES, load_default=None, allow_none=True)
