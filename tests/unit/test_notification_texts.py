"""Notification texts: every template renders a one-line title and a body in Chinese that names
the campaign, the unit, the activity or the issue and says what to do by when."""
import pytest

from services.notification import domain, texts
from services.notification.recipients import RECIPIENTS, recipients_of
from tests.service.notification import events as s

DIRECTORY = {
    "campaign": {"name": s.CAMPAIGN_NAME, "region": "北京市", "report_deadline": "2025-03-09"},
    "unit": {"name": "民政部办公厅", "party_org": "办公厅党支部", "active": True},
    "department": {"name": "养老服务司"},
    "activity": {"title": "走访慰问独居老人"},
}
ANSWERED = {"answer": {"measures": "新增两处助餐点", "resolved": False}}
SAMPLES = {
    "pairing_reported": s.pairing("p1", "c1", "U001", late=True),
    "pairing_approved": s.pairing("p1", "c1", "U001", status="approved"),
    "pairing_rejected": {**s.pairing("p1", "c1", "U001", status="rejected"), "review_comment": "对象不在北京市"},
    "pairing_deadline_approaching": s.notice("c1", "U001"),
    "pairing_overdue": s.notice("c1", "U001"),
    "summary_requested": s.summary("s1", "a1", "c1", "U001"),
    "summary_overdue": s.summary("s1", "a1", "c1", "U001"),
    "issue_forwarded": s.issue("i1", "c1", "U001", "elderly-care"),
    "issue_transferred": s.issue("i1", "c1", "U001", "elderly-care",
                                 history=[{"at": s.STAMP, "by": "committee", "action": "transferred",
                                           "note": "属养老服务范畴", "department": "elderly-care"}]),
    "issue_reopened": s.issue("i1", "c1", "U001", "elderly-care", reopen_count=1,
                              rating={"satisfied": False, "comment": "助餐点仍然太远"}, **ANSWERED),
    "issue_answered": s.issue("i1", "c1", "U001", "elderly-care", status="answered", **ANSWERED),
    "issue_overdue": {**s.issue("i1", "c1", "U001", "elderly-care"), "kind": "answer"},
}
CASES = [(event_type, rule["to"]) for event_type, rules in RECIPIENTS.items() for rule in rules]


def data_for(event_type, audience):
    data = SAMPLES[event_type]
    return {**data, "department": None, "category": "other", "status": "triage"} if (audience, event_type) in (
        ("committee", "issue_forwarded"), ("committee", "issue_transferred")) else data


def render(event_type, audience, directory=DIRECTORY, **changes):
    data = {**data_for(event_type, audience), **changes}
    return texts.render(audience, event_type, domain.text_context(data, directory))


@pytest.mark.parametrize("event_type, audience", CASES)
def test_every_text_names_the_campaign_and_the_unit(event_type, audience):
    title, body = render(event_type, audience)
    assert title and "\n" not in title and len(title) <= 100
    assert f"「{s.CAMPAIGN_NAME}」" in title + body
    assert ("贵单位" if audience == "unit" else "民政部办公厅") in title + body
    assert "None" not in title + body and "{" not in body


@pytest.mark.parametrize("event_type, audience", CASES)
def test_every_text_renders_with_an_empty_directory(event_type, audience):
    title, body = render(event_type, audience, directory={})
    assert "「c1」" in title + body
    assert "None" not in title + body


def test_a_summary_request_says_which_activity_and_by_when():
    title, body = render("summary_requested", "unit")
    assert title == "【活动总结】请于 2025年3月23日 18:00 前提交活动总结"
    assert body.startswith("办公厅党支部：\n")
    assert "志愿服务活动「走访慰问独居老人」已完成" in body
    assert "请于 2025年3月23日 18:00 前提交活动总结" in body


def test_an_unknown_activity_is_named_by_its_id():
    _, body = render("summary_overdue", "unit", directory={"campaign": DIRECTORY["campaign"]})
    assert "志愿服务活动「编号 a1」" in body


def test_a_reminder_gives_the_report_deadline():
    title, body = render("pairing_deadline_approaching", "unit")
    assert title == "【报送提醒】请于 2025年3月9日 前报送结对服务对象"
    assert "请于 2025年3月9日 前在北京市范围内选定一个结对服务对象" in body


@pytest.mark.parametrize("campaign, phrase", [
    ({**DIRECTORY["campaign"], "region": "天津市"}, "前在天津市范围内选定"),
    ({**DIRECTORY["campaign"], "region": None}, "前在活动规定的范围内选定"),
    (None, "前在活动规定的范围内选定"),
])
def test_a_reminder_names_the_campaigns_own_region_or_none(campaign, phrase):
    _, body = render("pairing_deadline_approaching", "unit", directory={**DIRECTORY, "campaign": campaign})
    assert phrase in body and "北京市" not in body


def test_a_rejection_gives_the_review_comment_and_the_deadline():
    _, body = render("pairing_rejected", "unit")
    assert "审核意见：对象不在北京市" in body
    assert "（报送截止日期：2025年3月9日）" in body


def test_a_forwarded_issue_gives_the_department_its_due_dates():
    title, body = render("issue_forwarded", "department")
    assert title == "【问题转办】民政部办公厅反映的养老服务问题，请按期签收答复"
    assert "问题描述：独居老人助餐点不足" in body
    assert "请于 2025年3月3日 09:00 前签收，并于 2025年3月16日 09:00 前答复办理情况。" in body


def test_a_triage_issue_asks_the_committee_to_assign_it():
    title, body = render("issue_forwarded", "committee")
    assert title == "【待分派】民政部办公厅反映的问题无对应业务司局，请分派"
    assert "问题类别：其他" in body


def test_a_transfer_gives_its_reason():
    _, body = render("issue_transferred", "department")
    assert "转办理由：属养老服务范畴" in body


def test_a_reopened_issue_gives_the_round_the_last_answer_and_the_units_opinion():
    title, body = render("issue_reopened", "department")
    assert title == "【重办】民政部办公厅对答复不满意，请重新办理"
    assert "（第 1 次重办）" in body and "答复内容：新增两处助餐点" in body and "单位意见：助餐点仍然太远" in body
    assert "前重新答复办理情况" in body


def test_an_answer_asks_the_unit_to_rate_it():
    title, body = render("issue_answered", "unit")
    assert title == "【问题答复】养老服务司已答复贵单位反映的问题，请评价"
    assert "办理结果：尚未解决" in body and "请对答复进行评价（满意或不满意）" in body


@pytest.mark.parametrize("kind, title, due", [
    ("ack", "【超期提醒】民政部办公厅反映的问题签收已超期，请尽快办理", "签收期限（2025年3月3日 09:00）"),
    ("answer", "【超期提醒】民政部办公厅反映的问题答复已超期，请尽快办理", "答复期限（2025年3月16日 09:00）"),
])
def test_an_overdue_issue_says_which_step_is_late(kind, title, due):
    rendered_title, body = render("issue_overdue", "department", kind=kind)
    assert rendered_title == title and due in body


def test_a_named_organisation_target_is_named_and_a_household_is_not():
    organisation = {"category": "public_welfare_org", "kind": "organization", "district": "海淀区",
                    "name": "海淀区阳光敬老院"}
    _, body = render("pairing_reported", "committee", target=organisation)
    assert "公益机构（单位，海淀区，海淀区阳光敬老院）" in body
    _, body = render("pairing_reported", "committee")
    assert "困难群体（户，朝阳区）\n" in body


@pytest.mark.parametrize("value, text", [
    ("2025-03-09", "2025年3月9日"),
    ("2025-03-08T20:00:00+00:00", "2025年3月9日"),
])
def test_day_is_the_date_in_beijing(value, text):
    assert texts.day(value) == text


def test_moment_is_the_time_in_beijing():
    assert texts.moment("2025-03-16T01:30:00+00:00") == "2025年3月16日 09:30"


def test_each_recipient_of_the_table_has_a_distinct_text_for_its_audience():
    data = SAMPLES["issue_answered"]
    rendered = {texts.render(audience, "issue_answered", domain.text_context(data, DIRECTORY))
                for audience, _ in recipients_of("issue_answered", data)}
    assert len(rendered) == 2
