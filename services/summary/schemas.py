"""The summary service's RPC arguments: one `...Args` schema per RPC (the campaign report's is
defined in report/schemas.py and named here too), and the campaign terms it reads from events.

Every state-changing RPC's schema is a `ChangeArgs` (services/common/calls.py): the optional
`request_id` of contract §3 v2."""
from marshmallow import ValidationError as MarshmallowError, fields, validate, validates_schema

from services.common.calls import ChangeArgs
from services.common.schemas import (LIST_MAX, BaseSchema, LenientSchema, PageArgs, choice, count, department_code,
                                     distinct, email, flag, many, name, record_id, text, unit_code)
from services.common.vocabulary import ISSUE_CATEGORIES

from .departments import TRIAGE_CATEGORY
from .records import ISSUE_STATUSES, SUMMARY_STATUSES
from .report.schemas import CampaignReportArgs  # noqa: F401  (every RPC's schema in one module)


def optional(field_builder, **kw):
    return field_builder(load_default=None, allow_none=True, **kw)


def routable(category):
    """Contract §1: `other` stays with the committee's triage; no department may take it."""
    if category == TRIAGE_CATEGORY:
        raise MarshmallowError("该类别由委员会分拣, 不能由司局办理(Category `other` stays with the committee's triage).")


def categories(**kw):
    """The categories a department handles: known, routable, each once (registration and update)."""
    return fields.List(fields.String(validate=[validate.OneOf(list(ISSUE_CATEGORIES)), routable]),
                       validate=[validate.Length(max=LIST_MAX), distinct], **kw)


class Department(BaseSchema):
    code = department_code(required=True)
    name = name(required=True)
    categories = categories(required=True)
    contact_email = email(required=True)


class RegisterDepartmentArgs(ChangeArgs):
    department = fields.Nested(Department, required=True)


class DepartmentChanges(BaseSchema):
    name = name()
    categories = categories()
    contact_email = email()

    @validates_schema
    def not_empty(self, data, **kwargs):
        if not data:
            raise MarshmallowError("至少修改一项(Name at least one of name, categories, contact_email).")


class DepartmentArgs(ChangeArgs):
    """deactivate_department."""
    code = department_code(required=True)


class UpdateDepartmentArgs(DepartmentArgs):
    changes = fields.Nested(DepartmentChanges, required=True)


class ListDepartmentsArgs(PageArgs):
    pass


class SummaryArgs(BaseSchema):
    """get_summary."""
    summary_id = record_id("summary", required=True)


class ListSummariesArgs(PageArgs):
    campaign_id = optional(record_id, kind="campaign")
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


class SubmitSummaryArgs(SummaryArgs, ChangeArgs):
    summary = fields.Nested(SummaryContent, required=True)


class IssueArgs(BaseSchema):
    """get_issue."""
    issue_id = record_id("issue", required=True)


class AcknowledgeIssueArgs(IssueArgs, ChangeArgs):
    pass


class ListIssuesArgs(PageArgs):
    department = optional(department_code)
    unit_code = optional(unit_code)
    campaign_id = optional(record_id, kind="campaign")
    status = optional(choice, options=ISSUE_STATUSES)


class Answer(BaseSchema):
    measures = text(required=True)
    resolved = flag(required=True)


class AnswerIssueArgs(IssueArgs, ChangeArgs):
    answer = fields.Nested(Answer, required=True)


class TransferIssueArgs(IssueArgs, ChangeArgs):
    # None (given explicitly) sends the issue back to the committee's triage.
    department = department_code(required=True, allow_none=True)
    reason = text(required=True)


class Rating(BaseSchema):
    satisfied = flag(required=True)
    comment = text()


class RateIssueArgs(IssueArgs, ChangeArgs):
    rating = fields.Nested(Rating, required=True)


# Events from other services (their payloads are described in services/common/events.py): the
# campaign terms this service projects, read leniently.

class CampaignTerms(LenientSchema):
    id = fields.String(required=True)
    name = fields.String(required=True)
    # Absent terms take the contract's defaults (domain.DEFAULT_TERMS).
    summary_due_days = count()
    issue_ack_days = count()
    issue_answer_days = count()
