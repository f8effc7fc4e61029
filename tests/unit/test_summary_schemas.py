"""The summary service's argument checks: each bad input is refused naming its field."""
import json

import pytest

from services.common.calls import ChangeArgs
from services.common.errors import ValidationError
from services.common.schemas import load
from services.summary import schemas
from services.summary.seed import read_seed

DEPARTMENT = {"code": "elderly-care", "name": "养老服务司", "categories": ["elderly_care"],
              "contact_email": "elderly-care@example.org"}
SUMMARY_ID, ISSUE_ID = "s0123456789abcdef", "i0123456789abcdef"
CONTENT = {"experience": "经验", "shortcomings": "不足", "improvements": "改进",
           "business_issues": [{"description": "床位不足", "category": "elderly_care", "countermeasure": "增床"}]}


def refused(schema, data):
    with pytest.raises(ValidationError) as exc:
        load(schema, data)
    return set(json.loads(str(exc.value)))


@pytest.mark.parametrize("change, field", [
    ({"code": "Elderly_Care"}, "department.code"),
    ({"code": ""}, "department.code"),
    ({"code": "a" * 33}, "department.code"),
    ({"name": " "}, "department.name"),
    ({"name": "司" * 101}, "department.name"),
    ({"categories": ["pets"]}, "department.categories.0"),
    ({"categories": "elderly_care"}, "department.categories"),
    ({"categories": ["elderly_care"] * 101}, "department.categories"),
    ({"categories": ["child_welfare", "elderly_care", "child_welfare"]}, "department.categories"),
    # Contract §1: `other` stays with the committee's triage.
    ({"categories": ["elderly_care", "other"]}, "department.categories.1"),
    ({"contact_email": "not-an-email"}, "department.contact_email"),
    ({"surprise": 1}, "department.surprise"),
])
def test_register_department_refuses(change, field):
    assert refused(schemas.RegisterDepartmentArgs, {"department": {**DEPARTMENT, **change}}) == {field}


def test_the_triage_category_is_refused_without_echoing_the_input():
    with pytest.raises(ValidationError) as exc:
        load(schemas.RegisterDepartmentArgs, {"department": {**DEPARTMENT, "categories": ["other"]}})
    [message] = json.loads(str(exc.value))["department.categories.0"]
    assert "triage" in message


@pytest.mark.parametrize("missing", ["code", "name", "categories", "contact_email"])
def test_register_department_requires(missing):
    department = {k: v for k, v in DEPARTMENT.items() if k != missing}
    assert refused(schemas.RegisterDepartmentArgs, {"department": department}) == {f"department.{missing}"}


def test_register_department_takes_an_optional_request_id():
    assert load(schemas.RegisterDepartmentArgs, {"department": DEPARTMENT})["request_id"] is None
    assert refused(schemas.RegisterDepartmentArgs, {"department": DEPARTMENT, "request_id": ""}) == {"request_id"}


@pytest.mark.parametrize("field, value", [
    ("experience", ""), ("shortcomings", "   "), ("improvements", None), ("experience", "长" * 2001),
    ("business_issues", "床位不足"), ("business_issues", CONTENT["business_issues"] * 101)])
def test_submit_summary_refuses(field, value):
    assert refused(schemas.SubmitSummaryArgs, {"summary_id": SUMMARY_ID, "summary": {**CONTENT, field: value}}) == {
        f"summary.{field}"}


@pytest.mark.parametrize("missing", ["experience", "shortcomings", "improvements"])
def test_submit_summary_requires_the_three_texts(missing):
    content = {k: v for k, v in CONTENT.items() if k != missing}
    assert refused(schemas.SubmitSummaryArgs, {"summary_id": SUMMARY_ID, "summary": content}) == {f"summary.{missing}"}


@pytest.mark.parametrize("change, field", [
    ({"description": ""}, "description"), ({"category": "pets"}, "category"),
    ({"countermeasure": " "}, "countermeasure"), ({"category": None}, "category")])
def test_submit_summary_checks_each_business_issue(change, field):
    content = {**CONTENT, "business_issues": [CONTENT["business_issues"][0],
                                              {**CONTENT["business_issues"][0], **change}]}
    assert refused(schemas.SubmitSummaryArgs, {"summary_id": SUMMARY_ID, "summary": content}) == {
        f"summary.business_issues.1.{field}"}


def test_business_issues_may_be_left_out():
    content = {k: v for k, v in CONTENT.items() if k != "business_issues"}
    loaded = load(schemas.SubmitSummaryArgs, {"summary_id": SUMMARY_ID, "summary": content})
    assert loaded["summary"]["business_issues"] == []


@pytest.mark.parametrize("schema, data, field", [
    (schemas.SummaryArgs, {"summary_id": ""}, "summary_id"),
    (schemas.SummaryArgs, {"summary_id": 7}, "summary_id"),
    (schemas.SummaryArgs, {"summary_id": "c0123456789abcdef:unit:U001"}, "summary_id"),
    (schemas.SummaryArgs, {"summary_id": f"{SUMMARY_ID}\n"}, "summary_id"),
    (schemas.IssueArgs, {"issue_id": SUMMARY_ID}, "issue_id"),
    (schemas.ListSummariesArgs, {"campaign_id": "C-2024"}, "campaign_id"),
    (schemas.ListIssuesArgs, {"campaign_id": "c1"}, "campaign_id"),
    (schemas.CampaignReportArgs, {"campaign_id": "c0123456789abcdef*"}, "campaign_id"),
    (schemas.IssueArgs, {"issue_id": None}, "issue_id"),
    (schemas.ListSummariesArgs, {"status": "late"}, "status"),
    (schemas.ListSummariesArgs, {"unit_code": "bad code!"}, "unit_code"),
    (schemas.ListSummariesArgs, {"limit": 201}, "limit"),
    (schemas.ListSummariesArgs, {"limit": 0}, "limit"),
    (schemas.ListIssuesArgs, {"status": "open"}, "status"),
    (schemas.ListIssuesArgs, {"department": "Elderly"}, "department"),
    (schemas.ListIssuesArgs, {"limit": "10"}, "limit"),
    (schemas.ListDepartmentsArgs, {"cursor": 5}, "cursor"),
    (schemas.AnswerIssueArgs, {"issue_id": ISSUE_ID, "answer": {"measures": "", "resolved": True}}, "answer.measures"),
    (schemas.AnswerIssueArgs, {"issue_id": ISSUE_ID, "answer": {"measures": "办", "resolved": "yes"}},
     "answer.resolved"),
    (schemas.AnswerIssueArgs, {"issue_id": ISSUE_ID, "answer": {"measures": "办"}}, "answer.resolved"),
    (schemas.AnswerIssueArgs, {"issue_id": ISSUE_ID, "answer": None}, "answer"),
    (schemas.TransferIssueArgs, {"issue_id": ISSUE_ID, "department": "Bad Code", "reason": "转"}, "department"),
    (schemas.TransferIssueArgs, {"issue_id": ISSUE_ID, "department": None, "reason": ""}, "reason"),
    (schemas.TransferIssueArgs, {"issue_id": ISSUE_ID, "reason": "转"}, "department"),
    (schemas.RateIssueArgs, {"issue_id": ISSUE_ID, "rating": {"satisfied": 1}}, "rating.satisfied"),
    (schemas.RateIssueArgs, {"issue_id": ISSUE_ID, "rating": {"satisfied": "false"}}, "rating.satisfied"),
    (schemas.AnswerIssueArgs, {"issue_id": ISSUE_ID, "answer": {"measures": "办", "resolved": 0}}, "answer.resolved"),
    (schemas.RateIssueArgs, {"issue_id": ISSUE_ID, "rating": {"comment": "好"}}, "rating.satisfied"),
    (schemas.RateIssueArgs, {"issue_id": ISSUE_ID, "rating": {"satisfied": True, "comment": "长" * 2001}},
     "rating.comment"),
])
def test_rpc_arguments_are_refused_naming_the_field(schema, data, field):
    assert refused(schema, data) == {field}


def test_transfer_to_none_means_triage_and_a_rating_comment_is_optional():
    to_triage = {"issue_id": ISSUE_ID, "department": None, "reason": "转"}
    assert load(schemas.TransferIssueArgs, to_triage)["department"] is None
    assert load(schemas.RateIssueArgs, {"issue_id": ISSUE_ID, "rating": {"satisfied": True}})["rating"]["comment"] == ""


def test_the_seed_file_holds_the_contracts_seven_departments():
    seed = {d["code"]: d["categories"] for d in read_seed()}
    assert seed == {
        "social-assistance": ["social_assistance"], "elderly-care": ["elderly_care"],
        "child-welfare": ["child_welfare"], "social-affairs": ["social_affairs"],
        "community-governance": ["community_governance"], "social-organizations": ["social_organizations"],
        "charity-social-work": ["charity_social_work"]}


def test_a_seed_file_with_a_bad_entry_is_refused(tmp_path):
    path = tmp_path / "departments.json"
    path.write_text(json.dumps([{**DEPARTMENT, "contact_email": "nope"}]), encoding="utf-8")
    with pytest.raises(ValidationError):
        read_seed(path)


@pytest.mark.parametrize("schema, data", [
    (schemas.SummaryArgs, {"summary_id": "S0000042"}),  # issued by an earlier version (a counter)
    (schemas.IssueArgs, {"issue_id": "I0000042"}),
    (schemas.ListIssuesArgs, {"campaign_id": "c0123456789abcdef"}),
])
def test_every_id_shape_ever_issued_is_accepted(schema, data):
    assert load(schema, data)


CHANGING = {
    schemas.RegisterDepartmentArgs: {"department": DEPARTMENT},
    schemas.UpdateDepartmentArgs: {"code": "elderly-care", "changes": {"name": "养老服务司"}},
    schemas.DepartmentArgs: {"code": "elderly-care"},
    schemas.SubmitSummaryArgs: {"summary_id": SUMMARY_ID, "summary": CONTENT},
    schemas.AcknowledgeIssueArgs: {"issue_id": ISSUE_ID},
    schemas.AnswerIssueArgs: {"issue_id": ISSUE_ID, "answer": {"measures": "办", "resolved": True}},
    schemas.TransferIssueArgs: {"issue_id": ISSUE_ID, "department": None, "reason": "转"},
    schemas.RateIssueArgs: {"issue_id": ISSUE_ID, "rating": {"satisfied": True}},
}


@pytest.mark.parametrize("schema", CHANGING)
def test_every_state_change_takes_an_optional_request_id_bound_without_it(schema):
    args = load(schema, {**CHANGING[schema], "request_id": "retry-1"})
    assert args["request_id"] == "retry-1" and issubclass(schema, ChangeArgs)
    assert load(schema, CHANGING[schema])["request_id"] is None
    assert refused(schema, {**CHANGING[schema], "request_id": "bad\x00id"}) == {"request_id"}


@pytest.mark.parametrize("changes, field", [
    ({}, "changes"),
    ({"name": " "}, "changes.name"),
    ({"categories": ["other"]}, "changes.categories.0"),
    ({"categories": ["elderly_care", "elderly_care"]}, "changes.categories"),
    ({"contact_email": "nope"}, "changes.contact_email"),
    ({"code": "new-code"}, "changes.code"),
    ("养老", "changes"),
])
def test_update_department_refuses(changes, field):
    assert refused(schemas.UpdateDepartmentArgs, {"code": "elderly-care", "changes": changes}) == {field}


def test_update_department_takes_any_of_its_three_fields():
    changes = {"name": "养老服务司", "categories": [], "contact_email": "yl@mca.example"}
    assert load(schemas.UpdateDepartmentArgs, {"code": "elderly-care", "changes": changes})["changes"] == changes


@pytest.mark.parametrize("code", ["Elderly", "", None, "a" * 33])
def test_a_department_is_named_by_a_department_code(code):
    assert refused(schemas.DepartmentArgs, {"code": code}) == {"code"}
