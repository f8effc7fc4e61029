"""Input validation of activity's RPC arguments: every bad field named by its dotted path."""
import json
from datetime import timedelta

import pytest

from services.activity import schemas
from services.common import clock
from services.common.errors import ValidationError
from services.common.schemas import load

# Ids of the shapes the server issues (services.common.ids).
PAIRING_ID, ACTIVITY_ID = "p" + "0" * 16, "0" * 32
ACTIVITY = {
    "pairing_id": PAIRING_ID, "title": "走访慰问张大爷", "service_types": ["visit_condolence", "home_repair"],
    "scheduled_start": "2026-03-05T09:00:00+08:00", "scheduled_end": "2026-03-05T11:00:00+08:00",
    "location": "朝阳区某社区", "planned_volunteers": 5,
}
VOLUNTEER = {"name": "李明", "party_member": True, "youth": False, "hours": 2}
PROBLEM = {"description": "老人行动不便,缺少助餐服务", "category": "elderly_care", "business_related": True,
           "resolved_on_site": False}
REPORT = {
    "started_at": "2026-03-05T09:00:00+08:00", "ended_at": "2026-03-05T11:00:00+08:00",
    "volunteers": [VOLUNTEER, {**VOLUNTEER, "name": "王芳", "youth": True, "hours": 1.5}],
    "services_delivered": ["visit_condolence"], "beneficiaries": 3, "description": "上门慰问并维修水管",
    "problems": [PROBLEM], "opinions": ["希望多来看看"],
}


def errors(schema, data):
    with pytest.raises(ValidationError) as exc:
        load(schema, data)
    return json.loads(str(exc.value))


def plan_args(**changes):
    activity = {**ACTIVITY, **changes}
    return {"activity": {k: v for k, v in activity.items() if v is not MISSING}, "request_id": None}


def report_args(**changes):
    report = {**REPORT, **changes}
    return {"activity_id": ACTIVITY_ID, "report": {k: v for k, v in report.items() if v is not MISSING}}


MISSING = object()


def test_a_good_plan_loads_with_aware_datetimes():
    loaded = load(schemas.PlanActivityArgs, plan_args())["activity"]
    assert loaded["scheduled_start"].utcoffset() == timedelta(hours=8)
    assert loaded["planned_volunteers"] == 5


def test_a_plan_for_a_time_long_past_is_accepted():
    loaded = load(schemas.PlanActivityArgs, plan_args(scheduled_start="2020-01-01T09:00:00Z",
                                                      scheduled_end="2020-01-01T10:00:00Z"))
    assert loaded["activity"]["scheduled_end"].year == 2020


@pytest.mark.parametrize("field", sorted(ACTIVITY))
def test_every_planned_field_is_required(field):
    assert list(errors(schemas.PlanActivityArgs, plan_args(**{field: MISSING}))) == [f"activity.{field}"]


@pytest.mark.parametrize("field, value", [
    ("pairing_id", ""), ("pairing_id", "p" * 101), ("pairing_id", 7),
    ("title", ""), ("title", "   "), ("title", "长" * 101), ("title", None),
    ("service_types", []), ("service_types", "home_repair"),
    ("service_types", ["home_repair", "home_repair"]), ("service_types", ["home_repair"] * 101),
    ("scheduled_start", "2026-03-05T09:00:00"), ("scheduled_start", "3月5日"), ("scheduled_start", 1741136400),
    ("scheduled_end", "2026-03-05"),
    ("location", ""), ("location", "  "), ("location", "路" * 2001),
    ("planned_volunteers", 0), ("planned_volunteers", -1), ("planned_volunteers", "5"),
    ("planned_volunteers", 2.5), ("planned_volunteers", True), ("planned_volunteers", None),
])
def test_a_bad_planned_field_is_named(field, value):
    assert list(errors(schemas.PlanActivityArgs, plan_args(**{field: value}))) == [f"activity.{field}"]


def test_an_unknown_service_type_is_named_by_its_position():
    args = plan_args(service_types=["home_repair", "cooking"])
    assert list(errors(schemas.PlanActivityArgs, args)) == ["activity.service_types.1"]


@pytest.mark.parametrize("end", ["2026-03-05T09:00:00+08:00", "2026-03-05T08:59:59+08:00",
                                 "2026-03-05T01:00:00Z"])
def test_the_scheduled_end_must_be_after_the_start(end):
    assert list(errors(schemas.PlanActivityArgs, plan_args(scheduled_end=end))) == ["activity.scheduled_end"]


@pytest.mark.parametrize("args, path", [
    ({"activity": None, "request_id": None}, "activity"),
    ({"activity": [ACTIVITY], "request_id": None}, "activity"),
    ({"activity": {**ACTIVITY, "status": "completed"}, "request_id": None}, "activity.status"),
    ({"activity": ACTIVITY, "request_id": ""}, "request_id"),
    ({"activity": ACTIVITY, "request_id": "r" * 101}, "request_id"),
    ({"activity": ACTIVITY, "request_id": 42}, "request_id"),
])
def test_a_bad_plan_argument_is_named(args, path):
    assert list(errors(schemas.PlanActivityArgs, args)) == [path]


@pytest.mark.parametrize("changes", [{"title": "新标题"}, {"planned_volunteers": 8},
                                     {"scheduled_start": "2026-03-05T10:00:00+08:00"}])
def test_changes_may_name_any_single_field(changes):
    args = {"activity_id": ACTIVITY_ID, "changes": changes}
    assert set(load(schemas.UpdateActivityArgs, args)["changes"]) == set(changes)


@pytest.mark.parametrize("changes, path", [
    ({}, "changes"),
    (None, "changes"),
    ({"pairing_id": "p2"}, "changes.pairing_id"),
    ({"status": "completed"}, "changes.status"),
    ({"title": ""}, "changes.title"),
    ({"title": None}, "changes.title"),
    ({"service_types": []}, "changes.service_types"),
    ({"planned_volunteers": 0}, "changes.planned_volunteers"),
    ({"scheduled_end": "2026-03-05T11:00:00"}, "changes.scheduled_end"),
    ({"scheduled_start": "2026-03-05T11:00:00+08:00", "scheduled_end": "2026-03-05T10:00:00+08:00"},
     "changes.scheduled_end"),
])
def test_bad_changes_are_named(changes, path):
    assert list(errors(schemas.UpdateActivityArgs, {"activity_id": ACTIVITY_ID, "changes": changes})) == [path]


def test_a_good_report_loads_with_defaults_for_problems_and_opinions():
    loaded = load(schemas.CompleteActivityArgs, report_args(problems=MISSING, opinions=MISSING))["report"]
    assert (loaded["problems"], loaded["opinions"]) == ([], [])
    assert loaded["volunteers"][1]["hours"] == 1.5


@pytest.mark.parametrize("hours", [2, 0, 1.5, 2.0, 0.1, 1.125])
def test_hours_keep_the_json_number_the_caller_gave(hours):
    loaded = load(schemas.CompleteActivityArgs, report_args(volunteers=[{**VOLUNTEER, "hours": hours}]))
    [volunteer] = loaded["report"]["volunteers"]
    assert (volunteer["hours"], type(volunteer["hours"])) == (hours, type(hours))


@pytest.mark.parametrize("field", ["started_at", "ended_at", "volunteers", "services_delivered",
                                   "beneficiaries", "description"])
def test_the_report_fields_are_required(field):
    assert list(errors(schemas.CompleteActivityArgs, report_args(**{field: MISSING}))) == [f"report.{field}"]


@pytest.mark.parametrize("changes, path", [
    ({"started_at": "2026-03-05T09:00:00"}, "report.started_at"),
    ({"ended_at": "昨天"}, "report.ended_at"),
    ({"ended_at": "2026-03-05T09:00:00+08:00"}, "report.ended_at"),
    ({"ended_at": "2026-03-05T08:00:00+08:00"}, "report.ended_at"),
    ({"volunteers": []}, "report.volunteers"),
    ({"volunteers": [VOLUNTEER] * 101}, "report.volunteers"),
    ({"volunteers": {"name": "李明"}}, "report.volunteers"),
    ({"volunteers": [{**VOLUNTEER, "name": ""}]}, "report.volunteers.0.name"),
    ({"volunteers": [VOLUNTEER, {**VOLUNTEER, "party_member": "yes"}]}, "report.volunteers.1.party_member"),
    ({"volunteers": [{**VOLUNTEER, "youth": 1}]}, "report.volunteers.0.youth"),
    ({"volunteers": [{**VOLUNTEER, "hours": -0.5}]}, "report.volunteers.0.hours"),
    ({"volunteers": [{**VOLUNTEER, "hours": "2"}]}, "report.volunteers.0.hours"),
    ({"volunteers": [{**VOLUNTEER, "hours": True}]}, "report.volunteers.0.hours"),
    ({"volunteers": [{**VOLUNTEER, "hours": None}]}, "report.volunteers.0.hours"),
    ({"volunteers": [{**VOLUNTEER, "hours": float("nan")}]}, "report.volunteers.0.hours"),
    ({"volunteers": [{**VOLUNTEER, "hours": float("inf")}]}, "report.volunteers.0.hours"),
    ({"volunteers": [{**VOLUNTEER, "hours": 10 ** 400}]}, "report.volunteers.0.hours"),
    ({"volunteers": [VOLUNTEER, {**VOLUNTEER, "hours": 2.01}]}, "report.volunteers.1.hours"),
    # The report adds hours up in thousandths: a finer number could not be summed exactly.
    ({"volunteers": [{**VOLUNTEER, "hours": 1 / 3}]}, "report.volunteers.0.hours"),
    ({"volunteers": [{**VOLUNTEER, "hours": 0.0004}]}, "report.volunteers.0.hours"),
    ({"volunteers": [{k: v for k, v in VOLUNTEER.items() if k != "youth"}]}, "report.volunteers.0.youth"),
    ({"volunteers": [{**VOLUNTEER, "phone": "13912345678"}]}, "report.volunteers.0.phone"),
    ({"services_delivered": []}, "report.services_delivered"),
    ({"services_delivered": ["home_repair", "home_repair"]}, "report.services_delivered"),
    ({"services_delivered": ["gardening"]}, "report.services_delivered.0"),
    ({"beneficiaries": -1}, "report.beneficiaries"),
    ({"beneficiaries": 2.5}, "report.beneficiaries"),
    ({"beneficiaries": "3"}, "report.beneficiaries"),
    ({"description": " "}, "report.description"),
    ({"description": "字" * 2001}, "report.description"),
    ({"problems": [{**PROBLEM, "category": "housing"}]}, "report.problems.0.category"),
    ({"problems": [{**PROBLEM, "description": ""}]}, "report.problems.0.description"),
    ({"problems": [PROBLEM, {**PROBLEM, "business_related": None}]}, "report.problems.1.business_related"),
    ({"problems": [{**PROBLEM, "business_related": 0}]}, "report.problems.0.business_related"),
    ({"problems": [{k: v for k, v in PROBLEM.items() if k != "resolved_on_site"}]},
     "report.problems.0.resolved_on_site"),
    ({"problems": [PROBLEM] * 101}, "report.problems"),
    ({"opinions": [""]}, "report.opinions.0"),
    ({"opinions": ["好", 3]}, "report.opinions.1"),
    ({"opinions": "希望多来"}, "report.opinions"),
    ({"status": "completed"}, "report.status"),
])
def test_a_bad_report_field_is_named(changes, path):
    assert list(errors(schemas.CompleteActivityArgs, report_args(**changes))) == [path]


def test_every_volunteer_over_the_duration_is_named():
    volunteers = [{**VOLUNTEER, "hours": 3}, VOLUNTEER, {**VOLUNTEER, "hours": 2.5}]
    assert set(errors(schemas.CompleteActivityArgs, report_args(volunteers=volunteers))) == {
        "report.volunteers.0.hours", "report.volunteers.2.hours"}


def test_a_report_that_ends_in_the_future_is_refused():
    start = clock.now() - timedelta(hours=1)
    report = report_args(started_at=clock.iso(start), ended_at=clock.iso(clock.now() + timedelta(minutes=10)),
                         volunteers=[VOLUNTEER])
    assert list(errors(schemas.CompleteActivityArgs, report)) == ["report.ended_at"]


def test_a_report_that_ends_just_now_is_accepted():
    end = clock.now()
    report = report_args(started_at=clock.iso(end - timedelta(hours=2)), ended_at=clock.iso(end))
    assert load(schemas.CompleteActivityArgs, report)["report"]["ended_at"] == end


@pytest.mark.parametrize("reason", [None, "", "  ", "因" * 2001, 5])
def test_a_cancellation_needs_a_reason(reason):
    assert list(errors(schemas.CancelActivityArgs, {"activity_id": ACTIVITY_ID, "reason": reason})) == ["reason"]


@pytest.mark.parametrize("activity_id", [None, "", "a" * 101, 12])
def test_a_bad_activity_id_is_named(activity_id):
    assert list(errors(schemas.ActivityIdArgs, {"activity_id": activity_id})) == ["activity_id"]


@pytest.mark.parametrize("field, value", [
    ("limit", 0), ("limit", 201), ("limit", "10"), ("status", "done"), ("unit_code", "bad code!"),
    ("campaign_id", ""), ("cursor", "c" * 401),
])
def test_bad_list_arguments_are_named(field, value):
    args = {"campaign_id": None, "unit_code": None, "status": None, "limit": 50, "cursor": None, field: value}
    assert list(errors(schemas.ListActivitiesArgs, args)) == [field]


@pytest.mark.parametrize("schema, args, path", [
    (schemas.PlanActivityArgs, plan_args(planned_volunteers=10_001), "activity.planned_volunteers"),
    (schemas.CompleteActivityArgs, report_args(beneficiaries=100_001), "report.beneficiaries"),
    (schemas.CompleteActivityArgs, report_args(beneficiaries=2**63 - 1), "report.beneficiaries"),
    (schemas.CompleteActivityArgs, report_args(volunteers=[{**VOLUNTEER, "hours": 24.5}]), "report.volunteers.0.hours"),
    (schemas.PlanActivityArgs, plan_args(pairing_id=PAIRING_ID + ":x"), "activity.pairing_id"),
    (schemas.CompleteActivityArgs, {**report_args(), "activity_id": "a1"}, "activity_id"),
    (schemas.ActivityIdArgs, {"activity_id": ACTIVITY_ID + "\n"}, "activity_id"),
    (schemas.ListActivitiesArgs, {"campaign_id": "c1:unit:U001"}, "campaign_id"),
])
def test_bounds_and_id_shapes_of_contract_v2_are_named(schema, args, path):
    assert list(errors(schema, args)) == [path]


def test_the_bounds_themselves_are_accepted():
    activity = load(schemas.PlanActivityArgs, plan_args(planned_volunteers=10_000))["activity"]
    assert activity["planned_volunteers"] == 10_000
    report = load(schemas.CompleteActivityArgs, report_args(beneficiaries=100_000))["report"]
    assert report["beneficiaries"] == 100_000
