"""The summary service's RPC arguments (one schema per RPC) and the event data it consumes."""
from marshmallow import ValidationError as MarshmallowError, fields, validate

from services.common.schemas import (LIST_MAX, BaseSchema, LenientSchema, PageArgs, choice, count, department_code,
                                     distinct, email, flag, many, moment, name, record_id, text, unit_code)
from services.common.vocabulary import ISSUE_CATEGORIES

from .domain import SUMMARY_STATUSES, TRIAGE_CATEGORY
from .issues import STATUSES as ISSUE_STATUSES


def optional(field_builder, **kw):
    return field_builder(load_default=None, allow_none=True, **kw)


def routable(category):
    """Contract §1: `other` stays with the committee's triage; no department may take it."""
    if category == TRIAGE_CATEGORY:
        raise MarshmallowError("该类别由委员会分拣, 不能由司局办理(Category `other` stays with the committee's triage).")


class Department(BaseSchema):
    code = department_code(required=True)
    name = name(required=True)
    categories = fields.List(fields.String(validate=[validate.OneOf(list(ISSUE_CATEGORIES)), routable]),
                             required=True, validate=[validate.Length(max=LIST_MAX), distinct])
    contact_email = email(required=True)


class RegisterDepartmentArgs(BaseSchema):
    department = fields.Nested(Department, required=True)
    request_id = optional(record_id)


class ListDepartmentsArgs(PageArgs):
    pass


class SummaryArgs(BaseSchema):
    """get_summary."""
    summary_id = record_id(required=True)


class ListSummariesArgs(PageArgs):
    campaign_id = optional(record_id)
    unit_code = optional(unit_code)
    status = optional(choice, options=SUMMARY_STATUSES)


class BusinessIssue(BaseSchema):
    description = text(required=True)
    category = choice(ISSUE_CATEGORIES, required=True)
    countermeasure = text(required=True)


class SummaryContent(BaseSchema):
    experience = text(required=True)
    shortcomings = text(required=True)
    improvements = text(required=True)
    business_issues = many(fields.Nested(BusinessIssue), load_default=list)


class SubmitSummaryArgs(SummaryArgs):
    summary = fields.Nested(SummaryContent, required=True)


class IssueArgs(BaseSchema):
    """get_issue and acknowledge_issue."""
    issue_id = record_id(required=True)


class ListIssuesArgs(PageArgs):
    department = optional(department_code)
    unit_code = optional(unit_code)
    campaign_id = optional(record_id)
    status = optional(choice, options=ISSUE_STATUSES)


class Answer(BaseSchema):
    measures = text(required=True)
    resolved = flag(required=True)


class AnswerIssueArgs(IssueArgs):
    answer = fields.Nested(Answer, required=True)


class TransferIssueArgs(IssueArgs):
    # None (given explicitly) sends the issue back to the committee's triage.
    department = department_code(required=True, allow_none=True)
    reason = text(required=True)


class Rating(BaseSchema):
    satisfied = flag(required=True)
    comment = text()


class RateIssueArgs(IssueArgs):
    rating = fields.Nested(Rating, required=True)


# Events from other services: read leniently, only what this service uses.

class CampaignTerms(LenientSchema):
    id = fields.String(required=True)
    name = fields.String(required=True)
    # Absent terms take the contract's defaults (domain.DEFAULT_TERMS).
    summary_due_days = count()
    issue_ack_days = count()
    issue_answer_days = count()


class Problem(LenientSchema):
    description = fields.String(required=True)
    category = fields.String(required=True)
    business_related = fields.Boolean(required=True)
    resolved_on_site = fields.Boolean(load_default=False)


class CompletionReport(LenientSchema):
    problems = fields.List(fields.Nested(Problem), load_default=list)


class CompletedActivity(LenientSchema):
    id = fields.String(required=True)
    campaign_id = fields.String(required=True)
    unit_code = fields.String(required=True)
    completed_at = moment(required=True)
    report = fields.Nested(CompletionReport, required=True)
