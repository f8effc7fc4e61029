"""Summary rules: campaign terms, summary requests, submission, overdue."""
from datetime import datetime, timedelta, timezone

import pytest

from services.common import clock, events
from services.common.errors import Conflict, NotFound
from services.summary import domain
from services.summary.records import CampaignTerms, Summary

NOW = datetime(2026, 3, 20, 10, 0, tzinfo=clock.CAMPAIGN_TZ)


def activity(problems=(), completed_at=datetime(2026, 3, 15, 2, 30, tzinfo=timezone.utc)):
    return {"id": "a1", "campaign_id": "c1", "unit_code": "U001", "completed_at": completed_at.isoformat(),
            "report": {"problems": list(problems)}}


def problem(category="elderly_care", business_related=True, resolved_on_site=False):
    return {"description": f"{category} 问题", "category": category, "business_related": business_related,
            "resolved_on_site": resolved_on_site}


def requested(days=7):
    return domain.request_summary("S1", activity(), {**domain.DEFAULT_TERMS, "summary_due_days": days}, NOW)


CONTENT = {"experience": "经验", "shortcomings": "不足", "improvements": "改进", "business_issues": [
    {"description": "养老床位不足", "category": "elderly_care", "countermeasure": "增加床位"},
    {"description": "其他问题", "category": "other", "countermeasure": "研究"}]}


# Campaign terms.

def test_a_campaign_projection_keeps_its_terms_and_its_seq():
    data = {"id": "c1", "name": "2026年学雷锋", "summary_due_days": 10, "issue_ack_days": 3, "issue_answer_days": 20}
    assert domain.project_campaign(None, data, 1) == {**data, "seq": 1}


def test_every_field_of_a_summary_and_a_campaign_projection_is_named_in_its_record_type():
    assert set(requested()) == set(Summary.__annotations__)
    submitted, _ = domain.submit_summary(requested(), CONTENT, NOW)
    assert set(submitted) == set(Summary.__annotations__)
    assert set(domain.project_campaign(None, {"id": "c1", "name": "活动"}, 1)) == set(CampaignTerms.__annotations__)


def test_one_summary_request_per_activity():
    assert domain.first_request(None) and not domain.first_request("s0123456789abcdef")


def test_a_campaign_without_terms_takes_the_contract_defaults():
    projection = domain.project_campaign(None, {"id": "c1", "name": "活动"}, 1)
    assert domain.campaign_terms(projection) == {"summary_due_days": 7, "issue_ack_days": 2, "issue_answer_days": 15}


def test_an_unknown_campaign_has_the_contract_defaults_for_an_rpc():
    assert domain.campaign_terms(None) == {"summary_due_days": 7, "issue_ack_days": 2, "issue_answer_days": 15}


def test_a_completed_activity_needs_its_campaigns_terms():
    projection = domain.project_campaign(None, {"id": "c1", "name": "活动", "summary_due_days": 4}, 1)
    assert domain.known_campaign_terms(projection)["summary_due_days"] == 4
    with pytest.raises(domain.CampaignNotYetKnown) as exc:
        domain.known_campaign_terms(None)
    assert isinstance(exc.value, NotFound)


@pytest.mark.parametrize("seq, applied", [(1, False), (2, False), (3, True)])
def test_a_stale_or_repeated_campaign_event_is_dropped(seq, applied):
    current = domain.project_campaign(None, {"id": "c1", "name": "旧", "summary_due_days": 5}, 2)
    newer = domain.project_campaign(current, {"id": "c1", "name": "新", "summary_due_days": 9}, seq)
    assert (newer is not None) == applied
    if applied:
        assert newer["summary_due_days"] == 9 and newer["seq"] == 3


# Summary requests.

@pytest.mark.parametrize("days", [0, 7, 30])
def test_a_summary_is_due_summary_due_days_after_completion_in_campaign_time(days):
    summary = requested(days)
    assert summary["due_at"] == clock.iso(datetime(2026, 3, 15, 10, 30, tzinfo=clock.CAMPAIGN_TZ)
                                          + timedelta(days=days))
    assert summary["due_at"].endswith("+08:00")


def test_a_summary_request_has_the_contract_shape():
    summary = requested()
    assert {k: summary[k] for k in ("id", "activity_id", "campaign_id", "unit_code", "status", "submitted_at",
                                    "late", "overdue", "content")} == {
        "id": "S1", "activity_id": "a1", "campaign_id": "c1", "unit_code": "U001", "status": "requested",
        "submitted_at": None, "late": False, "overdue": False, "content": None}
    events.Summary().load(summary)


def test_every_business_related_problem_becomes_an_issue_resolved_on_site_or_not():
    problems = [problem("elderly_care", business_related=False, resolved_on_site=True),
                problem("elderly_care", business_related=True, resolved_on_site=True),
                problem("other", business_related=True),
                problem("child_welfare", business_related=False)]
    origins = domain.activity_issues(activity(problems))
    assert [o["category"] for o in origins] == ["elderly_care", "other"]
    assert origins[0] == {"campaign_id": "c1", "unit_code": "U001", "source": {"kind": "activity", "id": "a1"},
                          "description": "elderly_care 问题", "category": "elderly_care", "countermeasure": None}


def test_a_report_without_business_problems_raises_no_issue():
    assert domain.activity_issues(activity()) == []


# Submission.

def test_a_summary_submitted_in_time_is_not_late_and_raises_its_business_issues():
    submitted, origins = domain.submit_summary(requested(), CONTENT, NOW)
    assert (submitted["status"], submitted["late"], submitted["content"], submitted["revision"]) == (
        "submitted", False, CONTENT, 2)
    assert submitted["submitted_at"] == clock.iso(NOW)
    assert [(o["source"], o["category"], o["countermeasure"]) for o in origins] == [
        ({"kind": "summary", "id": "S1"}, "elderly_care", "增加床位"),
        ({"kind": "summary", "id": "S1"}, "other", "研究")]


@pytest.mark.parametrize("after, late", [(timedelta(0), False), (timedelta(seconds=1), True), (timedelta(days=3), True)])
def test_a_summary_is_late_only_after_its_due_time(after, late):
    summary = requested()
    at = clock.parse(summary["due_at"]) + after
    assert domain.submit_summary(summary, CONTENT, at)[0]["late"] is late


def test_a_summary_is_submitted_once():
    submitted, _ = domain.submit_summary(requested(), CONTENT, NOW)
    with pytest.raises(Conflict):
        domain.submit_summary(submitted, CONTENT, NOW)


# Overdue.

@pytest.mark.parametrize("after, due", [(timedelta(seconds=-1), False), (timedelta(0), False),
                                        (timedelta(seconds=1), True)])
def test_a_summary_falls_due_only_after_its_due_time(after, due):
    summary = requested()
    assert domain.summary_fell_due(summary, clock.parse(summary["due_at"]) + after) is due


def test_an_overdue_summary_falls_due_once_and_a_submitted_one_never():
    summary = requested()
    later = clock.parse(summary["due_at"]) + timedelta(days=1)
    overdue = domain.mark_summary_overdue(summary, later)
    assert (overdue["overdue"], overdue["revision"]) == (True, 2)
    assert domain.summary_pending_due(overdue) is None and not domain.summary_fell_due(overdue, later)
    submitted, _ = domain.submit_summary(summary, CONTENT, NOW)
    assert domain.summary_pending_due(submitted) is None
