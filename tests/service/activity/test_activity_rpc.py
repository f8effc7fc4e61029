"""The activity RPCs on real RabbitMQ and Redis: who may call what, the state rules, the events."""
import inspect
import json
from datetime import timedelta, timezone

import pytest
import redis

from services.common import clock
from services.common.events import validate_event
from services.common.redis_ha import AcknowledgedPipeline
from tests.helpers import all_freed, publish_event, wait_until, workers_watched
from tests.service.activity.samples import new_pairing, outcome, plan, remote_error, report

pytestmark = pytest.mark.usefixtures("fake_pairing", "activity_service")

WHO = {
    "committee": {"role": "committee"},
    "ops": {"role": "ops"},
    "department": {"role": "department", "department": "elderly-care"},
    "own unit": {"role": "unit", "unit": "U001"},
    "other unit": {"role": "unit", "unit": "U002"},
    "no token": {"token": False},
}
WRITE = {"committee": "ok", "own unit": "ok", "ops": "Forbidden", "department": "Forbidden",
         "other unit": "Forbidden", "no token": "Unauthenticated"}
READ = {**WRITE, "ops": "ok"}
CALLS = {
    "plan_activity": (lambda svc, activity: svc.plan_activity(plan(activity["pairing_id"])), WRITE),
    "update_activity": (lambda svc, activity: svc.update_activity(activity["id"], {"planned_volunteers": 4}), WRITE),
    "complete_activity": (lambda svc, activity: svc.complete_activity(activity["id"], report()), WRITE),
    "cancel_activity": (lambda svc, activity: svc.cancel_activity(activity["id"], "天气原因"), WRITE),
    "get_activity": (lambda svc, activity: svc.get_activity(activity["id"]), READ),
    "list_activities": (lambda svc, activity: svc.list_activities(unit_code="U001"), READ),
}


def planned(rpc, unit_code="U001", campaign_id="c0000000000000001", **changes):
    pairing = new_pairing(unit_code, campaign_id=campaign_id)
    return rpc("unit", unit=unit_code).activity.plan_activity(plan(pairing["id"], **changes))


def long_report(hours):
    """A report of a 30-hour activity with one volunteer of `hours`."""
    ended = clock.now() - timedelta(hours=1)
    return report(started_at=clock.iso(ended - timedelta(hours=30)), ended_at=clock.iso(ended),
                  volunteers=[{"name": "李明", "party_member": True, "youth": False, "hours": hours}])


def stored(redis_client):
    return redis_client.keys("activity:activity:*")


@pytest.mark.parametrize("method", sorted(CALLS))
def test_who_may_call_what(method, rpc):
    call, expected = CALLS[method]
    outcomes = {}
    for who, identity in WHO.items():
        activity = planned(rpc)
        outcomes[who] = outcome(lambda: call(rpc(**identity).activity, activity))
    assert outcomes == expected


@pytest.mark.parametrize("method", ["plan_activity", "update_activity", "complete_activity", "cancel_activity"])
def test_the_role_is_checked_before_the_input(method, rpc):
    service = rpc("ops").activity
    args = {"plan_activity": (None,), "update_activity": (None, None), "complete_activity": (None, None),
            "cancel_activity": (None, None)}[method]
    assert remote_error(lambda: getattr(service, method)(*args)).exc_type == "Forbidden"


def test_a_unit_plans_with_its_approved_pairing_and_the_plan_is_announced(rpc, listen):
    listener = listen("activity")
    pairing = new_pairing("U001", campaign_id="c0000000000000007")
    activity = rpc("unit", unit="U001").activity.plan_activity(plan(pairing["id"]))
    assert {k: activity[k] for k in ("campaign_id", "unit_code", "pairing_id", "status", "revision")} == {
        "campaign_id": "c0000000000000007", "unit_code": "U001", "pairing_id": pairing["id"], "status": "planned",
        "revision": 1}
    assert activity["location"] == "海淀区某街2号张大爷家"
    assert activity["created_at"] == activity["updated_at"]
    [event] = listener.wait_for("activity_planned")
    validate_event(event)
    assert (event["subject"], event["seq"], event["source"]) == (activity["id"], 1, "activity")
    assert event["data"] == {**activity, "location": "海淀区"}
    assert rpc().activity.get_activity(activity["id"]) == activity


def test_the_committee_plans_for_any_unit(rpc):
    pairing = new_pairing("U009")
    assert rpc().activity.plan_activity(plan(pairing["id"]))["unit_code"] == "U009"


def test_a_repeated_request_id_returns_the_first_activity_and_other_arguments_conflict(rpc, redis_client, listen):
    listener = listen("activity")
    pairing = new_pairing("U001")
    unit = rpc("unit", unit="U001").activity
    first = unit.plan_activity(plan(pairing["id"]), request_id="req-1")
    assert unit.plan_activity(plan(pairing["id"]), request_id="req-1") == first
    error = remote_error(lambda: unit.plan_activity(plan(pairing["id"], title="重试"), request_id="req-1"))
    assert error.exc_type == "Conflict"
    assert len(stored(redis_client)) == 1
    other = rpc("unit", unit="U002").activity.plan_activity(plan(new_pairing("U002")["id"]), request_id="req-1")
    assert other["id"] != first["id"] and other["unit_code"] == "U002"
    assert len(listener.wait_for("activity_planned", count=2)) == 2


# One report for every call of a test: a retry sends the same arguments.
REPORT = report()
# method: (event type, the call with request_id "r1", with other arguments when `other`)
CHANGES = {
    "update_activity": ("activity_updated", lambda svc, a, other: svc.update_activity(
        a["id"], {"planned_volunteers": 5 if other else 4}, request_id="r1")),
    "complete_activity": ("activity_completed", lambda svc, a, other: svc.complete_activity(
        a["id"], dict(REPORT, beneficiaries=3 if other else 2), request_id="r1")),
    "cancel_activity": ("activity_cancelled", lambda svc, a, other: svc.cancel_activity(
        a["id"], "下雨" if other else "天气原因", request_id="r1")),
}


@pytest.mark.parametrize("method", sorted(CHANGES))
def test_a_change_repeated_with_its_request_id_returns_the_first_result_never_conflict(method, rpc, listen):
    event_type, call = CHANGES[method]
    unit = rpc("unit", unit="U001").activity
    activity = planned(rpc)
    listener = listen("activity", event_type)
    first = call(unit, activity, False)
    assert call(unit, activity, False) == first
    assert remote_error(lambda: call(unit, activity, True)).exc_type == "Conflict"
    assert rpc().activity.get_activity(activity["id"]) == first
    [event] = listener.wait_for(event_type)
    assert event["seq"] == first["revision"] == 2


def test_a_repeat_after_later_changes_returns_the_first_result_not_the_record_now(rpc):
    # Contract §3: "the repeat returns the first call's result", as the lost reply would have held it.
    unit = rpc("unit", unit="U001").activity
    first = unit.plan_activity(plan(new_pairing("U001")["id"]), request_id="plan-then-change")
    unit.update_activity(first["id"], {"title": "改过的标题"})
    unit.cancel_activity(first["id"], "天气原因")
    again = unit.plan_activity(plan(first["pairing_id"]), request_id="plan-then-change")
    assert again == first and again["status"] == "planned"
    assert rpc().activity.get_activity(first["id"])["status"] == "cancelled"


def in_utc(moment):
    return clock.parse(moment).astimezone(timezone.utc).isoformat()


def test_a_repeat_with_the_instants_in_utc_and_hours_as_floats_returns_the_first_result(rpc, listen):
    # Contract §3 v2: "the same arguments" are equal after validation, however a retry writes them.
    unit = rpc("unit", unit="U001").activity
    activity = planned(rpc)
    listener = listen("activity", "activity_completed")
    first = unit.complete_activity(activity["id"], REPORT, request_id="r1")
    retry = dict(REPORT, started_at=in_utc(REPORT["started_at"]), ended_at=in_utc(REPORT["ended_at"]),
                 volunteers=[dict(volunteer, hours=float(volunteer["hours"])) for volunteer in REPORT["volunteers"]])
    assert retry != REPORT and unit.complete_activity(activity["id"], retry, request_id="r1") == first
    earlier = clock.iso(clock.parse(REPORT["started_at"]) - timedelta(minutes=1))
    other = remote_error(lambda: unit.complete_activity(activity["id"], dict(retry, started_at=earlier),
                                                        request_id="r1"))
    assert (other.exc_type, "request_id" in other.value) == ("Conflict", True)
    [event] = listener.wait_for("activity_completed")
    assert event["seq"] == first["revision"] == 2


def test_every_state_changing_method_takes_a_request_id():
    from services.activity.service import ActivityService
    rpcs = {name: member for name, member in vars(ActivityService).items() if hasattr(member, "allowed_roles")}
    changing = {name for name in rpcs if not name.startswith(("get_", "list_"))}
    assert changing == {"plan_activity", *CHANGES}
    assert all("request_id" in inspect.signature(rpcs[name]).parameters for name in changing)


@pytest.mark.parametrize("call, path", [
    (lambda svc, a: svc.plan_activity(plan("p0000000000000001", scheduled_end="2026-03-05T08:00:00+08:00")),
     "activity.scheduled_end"),
    (lambda svc, a: svc.plan_activity(plan("p0000000000000001", service_types=[])), "activity.service_types"),
    (lambda svc, a: svc.plan_activity(plan("p0000000000000001", scheduled_start="2026-03-05T09:00:00")),
     "activity.scheduled_start"),
    (lambda svc, a: svc.plan_activity(plan("p0000000000000001"), request_id=""), "request_id"),
    (lambda svc, a: svc.update_activity(a["id"], {"scheduled_start": "2026-03-05T12:00:00+08:00"}),
     "changes.scheduled_end"),
    (lambda svc, a: svc.update_activity(a["id"], {"pairing_id": "p2"}), "changes.pairing_id"),
    (lambda svc, a: svc.complete_activity(a["id"], report(volunteers=[
        {"name": "李明", "party_member": True, "youth": False, "hours": 2.5}])), "report.volunteers.0.hours"),
    (lambda svc, a: svc.complete_activity(a["id"], report(beneficiaries=-1)), "report.beneficiaries"),
    (lambda svc, a: svc.complete_activity(a["id"], report(beneficiaries=100_001)), "report.beneficiaries"),
    (lambda svc, a: svc.complete_activity(a["id"], report(beneficiaries=2**63 - 1)), "report.beneficiaries"),
    (lambda svc, a: svc.complete_activity(a["id"], long_report(25)), "report.volunteers.0.hours"),
    (lambda svc, a: svc.plan_activity(plan("p0000000000000001", planned_volunteers=10_001)),
     "activity.planned_volunteers"),
    (lambda svc, a: svc.update_activity(a["id"], {"planned_volunteers": 10_001}), "changes.planned_volunteers"),
    (lambda svc, a: svc.complete_activity(a["id"], report(ended_at="2099-01-01T00:00:00+08:00")), "report.ended_at"),
    (lambda svc, a: svc.cancel_activity(a["id"], ""), "reason"),
    (lambda svc, a: svc.list_activities(cursor="not-a-cursor"), "cursor"),
    (lambda svc, a: svc.list_activities(limit=500), "limit"),
])
def test_bad_input_is_a_validation_error_that_changes_nothing(call, path, rpc, listen, redis_client):
    activity = planned(rpc)
    listener = listen("activity")
    error = remote_error(lambda: call(rpc("unit", unit="U001").activity, activity))
    assert error.exc_type == "ValidationError"
    assert list(json.loads(error.value)) == [path]
    assert rpc().activity.get_activity(activity["id"]) == activity
    assert len(stored(redis_client)) == 1
    assert listener.events() == []


@pytest.mark.parametrize("call", [
    lambda svc: svc.get_activity("00000000000000000000000000000000"),
    lambda svc: svc.update_activity("00000000000000000000000000000000", {"title": "x"}),
    lambda svc: svc.complete_activity("00000000000000000000000000000000", report()),
    lambda svc: svc.cancel_activity("00000000000000000000000000000000", "x"),
    lambda svc: svc.plan_activity(plan("p00000000000000ff")),
])
def test_an_unknown_record_is_not_found(call, rpc):
    assert remote_error(lambda: call(rpc("unit", unit="U001").activity)).exc_type == "NotFound"


@pytest.mark.parametrize("call", [
    lambda svc, a: svc.update_activity(a["id"], {"title": "别人改的"}),
    lambda svc, a: svc.complete_activity(a["id"], report()),
    lambda svc, a: svc.cancel_activity(a["id"], "别人取消"),
])
@pytest.mark.parametrize("finished", [False, True])
def test_another_units_activity_is_forbidden_before_its_state_or_any_write(call, finished, rpc, listen):
    activity = planned(rpc)
    if finished:
        activity = rpc().activity.cancel_activity(activity["id"], "取消")
    listener = listen("activity")
    error = remote_error(lambda: call(rpc("unit", unit="U002").activity, activity))
    assert error.exc_type == "Forbidden"  # not Conflict, even when the activity is finished
    assert rpc().activity.get_activity(activity["id"]) == activity
    assert listener.events() == []


def test_not_found_names_no_input(rpc):
    error = remote_error(lambda: rpc().activity.get_activity("5ec7e7" * 5 + "00"))
    assert error.exc_type == "NotFound" and "5ec7e7" not in error.value


@pytest.mark.parametrize("call, argument", [
    (lambda svc: svc.get_activity("a-secret-looking-id"), "activity_id"),
    (lambda svc: svc.cancel_activity("0" * 32 + ":x", "原因"), "activity_id"),
    (lambda svc: svc.complete_activity("a1", report()), "activity_id"),
    (lambda svc: svc.plan_activity(plan("c0000000000000001")), "activity.pairing_id"),
    (lambda svc: svc.list_activities(campaign_id="c1:unit:U001"), "campaign_id"),
])
def test_an_id_of_the_wrong_shape_is_a_validation_error_naming_its_argument(call, argument, rpc):
    error = remote_error(lambda: call(rpc().activity))
    assert error.exc_type == "ValidationError" and list(json.loads(error.value)) == [argument]
    assert "secret" not in error.value


@pytest.mark.parametrize("status", ["reported", "rejected", "withdrawn"])
def test_planning_needs_an_approved_pairing(status, rpc, redis_client):
    pairing = new_pairing("U001", status=status)
    error = remote_error(lambda: rpc("unit", unit="U001").activity.plan_activity(plan(pairing["id"])))
    assert error.exc_type == "Conflict"
    assert stored(redis_client) == []


def test_a_planned_activity_is_updated_and_the_change_announced(rpc, listen):
    activity = planned(rpc)
    listener = listen("activity")
    changes = {"title": "慰问并维修", "scheduled_end": "2026-03-05T12:00:00+08:00", "planned_volunteers": 6}
    updated = rpc("unit", unit="U001").activity.update_activity(activity["id"], changes)
    assert {k: updated[k] for k in changes} == changes
    assert (updated["revision"], updated["status"], updated["created_at"]) == (2, "planned", activity["created_at"])
    [event] = listener.wait_for("activity_updated")
    assert (event["seq"], event["data"]["title"]) == (2, "慰问并维修")


def test_completion_records_the_report_and_announces_it_without_contact_data(rpc, listen):
    activity = planned(rpc)
    listener = listen("activity")
    done = rpc("unit", unit="U001").activity.complete_activity(activity["id"], report())
    assert (done["status"], done["revision"]) == ("completed", 2)
    assert done["completed_at"] and done["report"]["volunteers"][1]["hours"] == 1.5
    # Whole hours come back as the JSON integers the unit sent, fractions as given.
    assert [(v["hours"], type(v["hours"])) for v in done["report"]["volunteers"]] == [(2, int), (1.5, float)]
    assert done["report"]["problems"][0]["business_related"] is True
    [event] = listener.wait_for("activity_completed")
    validate_event(event)
    assert event["seq"] == 2 and event["data"]["report"] == done["report"]
    text = json.dumps(event, ensure_ascii=False)
    assert "张大爷" not in text and "某街" not in text and "13912345678" not in text


def test_cancellation_records_the_reason_and_is_announced(rpc, listen):
    activity = planned(rpc)
    listener = listen("activity")
    cancelled = rpc().activity.cancel_activity(activity["id"], "服务对象住院")
    assert (cancelled["status"], cancelled["cancel_reason"]) == ("cancelled", "服务对象住院")
    [event] = listener.wait_for("activity_cancelled")
    assert (event["seq"], event["data"]["status"]) == (2, "cancelled")


@pytest.mark.parametrize("finish", [
    lambda svc, a: svc.complete_activity(a["id"], report()),
    lambda svc, a: svc.cancel_activity(a["id"], "取消"),
])
@pytest.mark.parametrize("then", [
    lambda svc, a: svc.update_activity(a["id"], {"title": "再改"}),
    lambda svc, a: svc.complete_activity(a["id"], report()),
    lambda svc, a: svc.cancel_activity(a["id"], "再取消"),
])
def test_only_a_planned_activity_changes(finish, then, rpc, listen):
    activity = planned(rpc)
    unit = rpc("unit", unit="U001").activity
    finished = finish(unit, activity)
    listener = listen("activity")
    assert remote_error(lambda: then(unit, activity)).exc_type == "Conflict"
    assert unit.get_activity(activity["id"]) == finished
    assert listener.events() == []


def test_ops_and_other_departments_see_the_location_cut_to_the_district(rpc):
    activity = planned(rpc)
    assert rpc("ops").activity.get_activity(activity["id"])["location"] == "海淀区"
    assert rpc().activity.get_activity(activity["id"])["location"] == "海淀区某街2号张大爷家"
    [listed] = rpc("ops").activity.list_activities()["items"]
    assert listed["location"] == "海淀区"


def test_ops_see_the_volunteers_names_masked_and_the_committee_in_full(rpc):
    activity = planned(rpc)
    rpc("unit", unit="U001").activity.complete_activity(activity["id"], report())
    names = [v["name"] for v in rpc().activity.get_activity(activity["id"])["report"]["volunteers"]]
    assert names == ["李明", "王芳"]
    for shown in (rpc("ops").activity.get_activity(activity["id"]), rpc("ops").activity.list_activities()["items"][0]):
        assert [v["name"] for v in shown["report"]["volunteers"]] == ["李*", "王*"]
        assert [v["hours"] for v in shown["report"]["volunteers"]] == [2, 1.5]


def test_lists_are_newest_first_paged_and_filtered(rpc):
    one, two = "c0000000000000001", "c0000000000000002"
    mine = [planned(rpc, campaign_id=campaign) for campaign in (one, one, two)]
    theirs = planned(rpc, "U002", campaign_id=one)
    rpc("unit", unit="U001").activity.cancel_activity(mine[0]["id"], "取消")
    committee = rpc().activity

    def ids(page):
        return [a["id"] for a in page["items"]]

    first = committee.list_activities(limit=3)
    assert ids(first) == [theirs["id"], mine[2]["id"], mine[1]["id"]] and first["next_cursor"]
    rest = committee.list_activities(limit=3, cursor=first["next_cursor"])
    assert ids(rest) == [mine[0]["id"]] and rest["next_cursor"] is None
    assert ids(committee.list_activities(campaign_id=one)) == [theirs["id"], mine[1]["id"], mine[0]["id"]]
    assert ids(committee.list_activities(campaign_id=one, unit_code="U001")) == [mine[1]["id"], mine[0]["id"]]
    assert ids(committee.list_activities(status="cancelled")) == [mine[0]["id"]]
    assert ids(committee.list_activities(unit_code="U001", status="planned", limit=1)) == [mine[2]["id"]]
    # A change moves the record between its status indexes: it leaves every "planned" one.
    assert ids(committee.list_activities(unit_code="U001", status="planned")) == [mine[2]["id"], mine[1]["id"]]
    assert ids(committee.list_activities(campaign_id=one, unit_code="U001", status="planned")) == [mine[1]["id"]]


def test_a_unit_lists_only_its_own_activities(rpc):
    mine = planned(rpc)
    planned(rpc, "U002")
    unit = rpc("unit", unit="U001").activity
    assert [a["id"] for a in unit.list_activities()["items"]] == [mine["id"]]
    assert remote_error(lambda: unit.list_activities(unit_code="U002")).exc_type == "Forbidden"


def test_an_empty_list_has_no_cursor(rpc):
    assert rpc().activity.list_activities(campaign_id="c00000000000000ff") == {"items": [], "next_cursor": None}


def test_every_event_of_an_activity_has_a_growing_seq(rpc, listen):
    listener = listen("activity")
    activity = planned(rpc)
    unit = rpc("unit", unit="U001").activity
    unit.update_activity(activity["id"], {"title": "一改"})
    unit.update_activity(activity["id"], {"title": "二改"})
    unit.complete_activity(activity["id"], report())
    wait_until(lambda: len(listener.events()) >= 4)
    assert [(e["event_type"], e["seq"]) for e in listener.events()] == [
        ("activity_planned", 1), ("activity_updated", 2), ("activity_updated", 3), ("activity_completed", 4)]


def test_a_deactivated_units_writes_are_forbidden_once_activity_has_seen_it(rpc, redis_client, service_config):
    activity = planned(rpc)
    publish_event(service_config["AMQP_URI"], "pairing", "unit_deactivated", "U001",
                  {"code": "U001", "name": "一单位", "active": False}, seq=2)
    wait_until(lambda: redis_client.sismember("activity:units:deactivated", "U001"), message="unit_deactivated seen")
    unit = rpc("unit", unit="U001").activity
    for call in (lambda: unit.plan_activity(plan(new_pairing("U001")["id"])),
                 lambda: unit.update_activity(activity["id"], {"planned_volunteers": 4}),
                 lambda: unit.complete_activity(activity["id"], report()),
                 lambda: unit.cancel_activity(activity["id"], "停用")):
        assert remote_error(call).exc_type == "Forbidden"
    assert unit.get_activity(activity["id"]) == activity
    assert rpc().activity.cancel_activity(activity["id"], "单位停用")["status"] == "cancelled"


def test_a_units_change_checks_the_unit_with_its_transactions_first_round_trip(rpc, monkeypatch):
    """The deactivated-unit check costs no round trip of its own (services.common.unit_check)."""
    activity = planned(rpc)
    sent, round_trip = [], AcknowledgedPipeline.round_trip
    monkeypatch.setattr(AcknowledgedPipeline, "round_trip",
                        lambda self, *commands: sent.append([name for name, *_ in commands]) or round_trip(self, *commands))
    alone, execute = [], redis.Redis.execute_command
    monkeypatch.setattr(redis.Redis, "execute_command",
                        lambda self, *args, **options: alone.append(args[0]) or execute(self, *args, **options))
    assert rpc("unit", unit="U001").activity.complete_activity(activity["id"], report())["status"] == "completed"
    assert sent == [["WATCH", "SISMEMBER", "MGET"]]
    assert "SISMEMBER" not in alone


def test_a_calls_objects_are_freed_when_it_ends_not_left_to_the_garbage_collector(activity_service, rpc):
    """No reference cycle per call (the pairing proxy, the audit entry): each would hold the call's
    objects until the collector's next pass, whose work grows with every call in flight."""
    with workers_watched(activity_service) as workers:
        activity = planned(rpc)
        rpc("unit", unit="U001").activity.complete_activity(activity["id"], report())
        wait_until(lambda: all_freed(workers, at_least=2), message="every worker freed")


@pytest.mark.parametrize("refused, answer", [
    (lambda rpc, activity: rpc("unit", unit="U002").activity.complete_activity(activity["id"], report()), "Forbidden"),
    (lambda rpc, activity: rpc("unit", unit="U001").activity.complete_activity("not-an-id", report()),
     "ValidationError"),
    (lambda rpc, activity: rpc("unit", unit="U001").activity.cancel_activity("0" * 32, "天气原因"), "NotFound"),
    (lambda rpc, activity: rpc("department", department="elderly-care").activity.cancel_activity(activity["id"], "x"),
     "Forbidden"),
], ids=["owner", "input", "not found", "role"])
def test_a_refused_calls_objects_are_freed_when_it_ends(activity_service, rpc, refused, answer):
    """The refusal raised holds the call's frames through its traceback: nothing of ours holds it
    (see docs/architecture.md for the one case marshmallow itself leaves to the collector)."""
    activity = planned(rpc)
    with workers_watched(activity_service) as workers:
        assert remote_error(lambda: refused(rpc, activity)).exc_type == answer
        wait_until(lambda: all_freed(workers, at_least=1), message="the refused call's worker freed")
