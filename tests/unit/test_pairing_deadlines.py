"""The deadline notice rules (contract §3 `check_deadlines`): when each falls due, who gets it, and
when a campaign's entries re-arm or leave the due indexes."""
from datetime import date, datetime

import pytest

from services.common.clock import CAMPAIGN_TZ
from services.pairing import deadlines, domain, pairings

NOW = datetime(2026, 3, 1, 10, 0, tzinfo=CAMPAIGN_TZ)
CAMPAIGN = domain.new_campaign("c1", {
    "name": "2026年学雷锋", "year": 2026, "region": "北京市", "report_deadline": date(2026, 3, 9), "remind_days": 3,
    "summary_due_days": 7, "issue_ack_days": 2, "issue_answer_days": 15, "unit_codes": None}, ["U1", "U2"], NOW)


@pytest.mark.parametrize("moment, phase", [
    ("2026-03-05T23:59:59+08:00", None),
    ("2026-03-06T00:00:00+08:00", deadlines.REMIND),
    ("2026-03-09T23:59:59+08:00", deadlines.REMIND),
    ("2026-03-10T00:00:00+08:00", deadlines.OVERDUE),
    ("2026-03-09T16:00:00+00:00", deadlines.OVERDUE),
])
def test_reminders_start_remind_days_before_and_overdue_the_day_after_the_deadline(moment, phase):
    assert deadlines.notice_phase(CAMPAIGN, datetime.fromisoformat(moment)) == phase


def test_due_scores_are_epoch_seconds_of_the_two_windows():
    assert deadlines.due_scores(CAMPAIGN) == {
        deadlines.REMIND: datetime(2026, 3, 6, tzinfo=CAMPAIGN_TZ).timestamp(),
        deadlines.OVERDUE: datetime(2026, 3, 10, tzinfo=CAMPAIGN_TZ).timestamp()}


def test_a_deadline_notice_names_the_campaign_unit_and_deadline():
    assert deadlines.notice(CAMPAIGN, "U2") == {
        "campaign_id": "c1", "unit_code": "U2", "deadline": "2026-03-09",
        "on_time_until": "2026-03-10T00:00:00+08:00"}
    assert deadlines.notice_subject("c1", "U2") == "c1:U2"
    assert deadlines.NOTICE_SEQ[deadlines.REMIND] < deadlines.NOTICE_SEQ[deadlines.OVERDUE]


def test_a_notice_seq_grows_in_the_order_the_unit_is_told():
    reminder, overdue = (deadlines.notice_seq(deadlines.REMIND, False), deadlines.notice_seq(deadlines.OVERDUE, False))
    assert reminder < overdue
    # After a later deadline reopened the reminder window: the reminder follows the overdue notice.
    assert deadlines.notice_seq(deadlines.REMIND, True) > overdue
    assert deadlines.notice_seq(deadlines.OVERDUE, True) == overdue


def test_only_active_units_not_yet_told_get_a_notice():
    assert deadlines.who_to_tell(["U1", "U2", "U3", "U4"], [True, False, True, True],
                                 [False, False, True, False]) == ["U1", "U4"]
    assert deadlines.who_to_tell([], [], []) == []


@pytest.mark.parametrize("status, rearms", [
    ("reported", False), ("approved", False), ("rejected", True), ("withdrawn", True)])
def test_a_unit_missing_again_rearms_the_overdue_notice(status, rearms):
    pairing = dict(pairings.new_pairing("p1", CAMPAIGN, "U1", {}, NOW), status=status)
    assert deadlines.rearms_overdue(pairing) is rearms


@pytest.mark.parametrize("phase, stays", [(None, True), (deadlines.REMIND, True), (deadlines.OVERDUE, False)])
def test_entries_leave_the_due_indexes_once_the_deadline_has_passed(phase, stays):
    assert deadlines.stays_due(phase) is stays
