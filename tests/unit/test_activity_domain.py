"""The activity rules: approval before planning, changes only while planned, the report's limits."""
import json
from datetime import datetime, timedelta, timezone

import pytest

from services.activity import domain
from services.common import clock, events
from services.common.errors import Conflict, ValidationError

NOW = datetime(2026, 3, 10, 12, 0, tzinfo=clock.CAMPAIGN_TZ)
PAIRING = {
    "id": "p1", "campaign_id": "c1", "unit_code": "U001", "status": "approved", "revision": 2,
    "late": False, "reported_at": "2026-03-01T09:00:00+08:00", "reviewed_at": "2026-03-02T09:00:00+08:00",
    "created_at": "2026-03-01T09:00:00+08:00", "updated_at": "2026-03-02T09:00:00+08:00",
    "target": {"name": "张大爷", "category": "group_in_difficulty", "kind": "person", "district": "朝阳区",
               "address": "朝阳区某路1号", "contact_name": "张小明", "contact_phone": "13912345678",
               "needs": ["home_repair"], "notes": ""},
}
PLANNED = {
    "pairing_id": "p1", "title": "上门维修", "service_types": ["home_repair"],
    "scheduled_start": datetime(2026, 3, 5, 1, 0, tzinfo=timezone.utc),
    "scheduled_end": datetime(2026, 3, 5, 3, 0, tzinfo=timezone.utc),
    "location": "朝阳区某路1号张大爷家", "planned_volunteers": 3,
}


def at(hour, minute=0):
    return datetime(2026, 3, 5, hour, minute, tzinfo=clock.CAMPAIGN_TZ)


def report(start=at(9), end=at(11), hours=(2,)):
    return {"started_at": start, "ended_at": end, "beneficiaries": 1, "description": "维修水管",
            "services_delivered": ["home_repair"], "problems": [], "opinions": [],
            "volunteers": [{"name": f"志愿者{i}", "party_member": True, "youth": False, "hours": h}
                           for i, h in enumerate(hours)]}


def view(status="approved", seq=2):
    return domain.pairing_view({**PAIRING, "status": status}, seq)


def planned_activity():
    return domain.plan(PLANNED, view(), "a1", NOW)


def test_the_pairing_view_keeps_no_name_or_contact_data():
    kept = view()
    assert kept == {"id": "p1", "campaign_id": "c1", "unit_code": "U001", "status": "approved", "seq": 2,
                    "target": {"category": "group_in_difficulty", "kind": "person", "district": "朝阳区"}}


def test_planning_with_an_approved_pairing_makes_a_planned_activity():
    activity = planned_activity()
    assert {k: activity[k] for k in ("id", "campaign_id", "unit_code", "pairing_id", "status", "revision")} == {
        "id": "a1", "campaign_id": "c1", "unit_code": "U001", "pairing_id": "p1", "status": "planned", "revision": 1}
    assert activity["target"] == {"category": "group_in_difficulty", "kind": "person", "district": "朝阳区"}
    assert activity["created_at"] == activity["updated_at"] == "2026-03-10T12:00:00+08:00"
    assert (activity["report"], activity["completed_at"], activity["cancelled_at"]) == (None, None, None)


def test_planned_times_are_kept_in_the_campaign_zone():
    activity = planned_activity()
    assert (activity["scheduled_start"], activity["scheduled_end"]) == (
        "2026-03-05T09:00:00+08:00", "2026-03-05T11:00:00+08:00")


@pytest.mark.parametrize("status", ["reported", "rejected", "withdrawn"])
def test_only_an_approved_pairing_may_be_planned_with(status):
    with pytest.raises(Conflict):
        domain.plan(PLANNED, view(status), "a1", NOW)


@pytest.mark.parametrize("start, end, problem", [
    (at(9), at(10), False), (at(9), at(9), True), (at(10), at(9), True),
    (at(9), datetime(2026, 3, 5, 1, 0, 1, tzinfo=timezone.utc), False),
])
def test_a_schedule_ends_after_it_starts(start, end, problem):
    assert bool(domain.schedule_problems(start, end)) is problem


@pytest.mark.parametrize("changes", [
    {"title": "改为慰问", "service_types": ["visit_condolence"]},
    {"scheduled_end": at(12)},
    {"scheduled_start": at(8), "scheduled_end": at(8, 30)},
    {"planned_volunteers": 10, "location": "社区活动室"},
])
def test_a_planned_activity_takes_changes(changes):
    changed = domain.change(planned_activity(), changes, NOW + timedelta(hours=1))
    assert changed["revision"] == 2 and changed["updated_at"] == "2026-03-10T13:00:00+08:00"
    for key, value in changes.items():
        assert changed[key] == (clock.iso(value) if isinstance(value, datetime) else value)


@pytest.mark.parametrize("changes", [{"scheduled_start": at(11)}, {"scheduled_end": at(9)},
                                     {"scheduled_start": at(12)}])
def test_a_change_may_not_put_the_end_before_the_kept_start(changes):
    with pytest.raises(ValidationError) as exc:
        domain.change(planned_activity(), changes, NOW)
    assert list(json.loads(str(exc.value))) == ["changes.scheduled_end"]


@pytest.mark.parametrize("finish", [
    lambda a: domain.complete(a, report(), NOW),
    lambda a: domain.cancel(a, "下雨", NOW),
])
@pytest.mark.parametrize("act", [
    lambda a: domain.change(a, {"title": "x"}, NOW),
    lambda a: domain.complete(a, report(), NOW),
    lambda a: domain.cancel(a, "再取消", NOW),
])
def test_a_completed_or_cancelled_activity_cannot_change(finish, act):
    with pytest.raises(Conflict):
        act(finish(planned_activity()))


def test_completing_records_the_report_and_when():
    done = domain.complete(planned_activity(), report(hours=(2, 1.5)), NOW)
    assert (done["status"], done["completed_at"], done["revision"]) == ("completed", "2026-03-10T12:00:00+08:00", 2)
    assert done["report"]["started_at"] == "2026-03-05T09:00:00+08:00"
    assert [v["hours"] for v in done["report"]["volunteers"]] == [2, 1.5]


def test_cancelling_records_the_reason_and_when():
    cancelled = domain.cancel(planned_activity(), "对象住院", NOW)
    assert (cancelled["status"], cancelled["cancel_reason"], cancelled["cancelled_at"]) == (
        "cancelled", "对象住院", "2026-03-10T12:00:00+08:00")


@pytest.mark.parametrize("kwargs, problems", [
    ({}, {}),
    ({"hours": (2, 0, 1.25)}, {}),
    ({"hours": (2.01,)}, {"volunteers": {0: ["hours"]}}),
    ({"hours": (1, 3, 2, 5)}, {"volunteers": {1: ["hours"], 3: ["hours"]}}),
    ({"start": at(9), "end": at(9, 30), "hours": (0.5,)}, {}),
    ({"start": at(9), "end": at(9, 30), "hours": (0.6,)}, {"volunteers": {0: ["hours"]}}),
    ({"end": at(9)}, {"ended_at": None}),
    ({"end": at(8)}, {"ended_at": None}),
])
def test_report_rules(kwargs, problems):
    found = domain.report_problems(report(**kwargs), NOW)
    assert set(found) == set(problems)
    if "volunteers" in problems:
        assert {i: list(v) for i, v in found["volunteers"].items()} == problems["volunteers"]


def test_a_volunteer_over_the_duration_is_told_so_without_numbers_echoed():
    found = domain.report_problems(report(start=at(9), end=at(10, 30), hours=(2.75,)), NOW)
    [message] = found["volunteers"][0]["hours"]
    assert not any(ch.isdigit() for ch in message)


@pytest.mark.parametrize("ahead, problem", [(timedelta(0), False), (timedelta(seconds=59), False),
                                            (timedelta(minutes=2), True), (timedelta(days=1), True)])
def test_a_report_may_not_end_in_the_future(ahead, problem):
    end = NOW + ahead
    found = domain.report_problems(report(start=end - timedelta(hours=2), end=end), NOW)
    assert set(found) == ({"ended_at"} if problem else set())


@pytest.mark.parametrize("sees, location", [(True, "朝阳区某路1号张大爷家"), (False, "朝阳区")])
def test_the_location_is_cut_to_the_district_for_whoever_may_not_see_personal_data(sees, location):
    assert domain.visible(planned_activity(), sees)["location"] == location


@pytest.mark.parametrize("sees, names", [(True, ["志愿者0", "志愿者1"]), (False, ["志***", "志***"])])
def test_the_volunteers_names_are_masked_for_whoever_may_not_see_personal_data(sees, names):
    done = domain.complete(planned_activity(), report(hours=(2, 1)), NOW)
    shown = domain.visible(done, sees)
    assert [v["name"] for v in shown["report"]["volunteers"]] == names
    assert [v["hours"] for v in shown["report"]["volunteers"]] == [2, 1]
    assert [v["name"] for v in done["report"]["volunteers"]] == ["志愿者0", "志愿者1"]  # the record untouched


def test_a_completed_activity_event_is_valid_and_carries_no_personal_data():
    done = domain.complete(planned_activity(), report(), NOW)
    envelope = events.make_event("activity", "activity_completed", "a1", 2, domain.published(done))
    data = json.dumps(envelope["data"], ensure_ascii=False)
    assert "张大爷" not in data and "某路" not in data and "139" not in data
    assert envelope["data"]["report"]["volunteers"][0]["name"] == "志愿者0"
