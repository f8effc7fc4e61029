"""Campaigns and units over RPC on real RabbitMQ and Redis, with the events they publish."""
from datetime import date, timedelta

import pytest

from tests.helpers import every_page
from tests.service.pairing.samples import (
    UNIT_CONTACT, UNIT_PHONE, assert_envelope, assert_no_personal_data, campaign_input, distinct, error_fields,
    open_campaign, register, remote_error, today, unit_input, wait_distinct,
)


def test_create_campaign_fills_the_defaults_and_lists_every_active_unit(pairing, rpc, listen):
    events = listen("pairing")
    register(rpc(), "U2", "U1")
    campaign = rpc().pairing.create_campaign(campaign_input(days_ahead=40))
    deadline = today() + timedelta(days=40)
    assert campaign["id"] and campaign["revision"] == 1
    assert {k: campaign[k] for k in ("region", "remind_days", "summary_due_days", "issue_ack_days",
                                     "issue_answer_days", "unit_codes", "participants", "report_deadline")} == {
        "region": "北京市", "remind_days": 3, "summary_due_days": 7, "issue_ack_days": 2,
        "issue_answer_days": 15, "unit_codes": None, "participants": ["U1", "U2"],
        "report_deadline": deadline.isoformat()}
    assert campaign["on_time_until"] == f"{deadline + timedelta(days=1)}T00:00:00+08:00"
    assert campaign["reminders_from"] == f"{deadline - timedelta(days=3)}T00:00:00+08:00"
    assert campaign["created_at"] == campaign["updated_at"]
    [event] = wait_distinct(events, "campaign_created")
    assert_envelope(event, "campaign_created", campaign["id"], 1)
    assert event["data"] == campaign


def test_create_campaign_with_unit_codes_takes_only_those(pairing, rpc):
    register(rpc(), "U1", "U2", "U3")
    campaign = rpc().pairing.create_campaign(campaign_input(unit_codes=["U3", "U1"]))
    assert (campaign["unit_codes"], campaign["participants"]) == (["U3", "U1"], ["U1", "U3"])


def test_unit_codes_must_be_registered_and_active(pairing, rpc, listen, redis_client):
    events = listen("pairing")
    register(rpc(), "U1", "U2")
    rpc().pairing.deactivate_unit("U2")
    error = remote_error(lambda: rpc().pairing.create_campaign(campaign_input(unit_codes=["U1", "U2", "U9"])))
    assert error_fields(error) == {"campaign.unit_codes.1", "campaign.unit_codes.2"}
    assert redis_client.keys("pairing:campaign:*") == []
    assert events.events("campaign_created") == []


@pytest.mark.parametrize("bad, fields", [
    ({"year": 2001}, {"campaign.year"}),
    ({"report_deadline": "2026-02-30", "year": 2026}, {"campaign.report_deadline"}),
    ({"name": ""}, {"campaign.name"}),
    ({"remind_days": "3"}, {"campaign.remind_days"}),
    ({"unit_codes": []}, {"campaign.unit_codes"}),
    ({"surprise": 1}, {"campaign.surprise"}),
])
def test_create_campaign_refuses_bad_input_and_stores_nothing(pairing, rpc, redis_client, bad, fields):
    assert error_fields(remote_error(lambda: rpc().pairing.create_campaign(campaign_input(**bad)))) == fields
    assert redis_client.keys("pairing:campaign*") == []


def test_update_campaign_moves_the_deadline_and_announces_it(pairing, rpc, listen):
    events = listen("pairing")
    campaign = open_campaign(rpc(), "U1")
    later = today() + timedelta(days=45)
    updated = rpc().pairing.update_campaign(
        campaign["id"], {"report_deadline": later.isoformat(), "year": later.year, "remind_days": 5})
    assert (updated["report_deadline"], updated["remind_days"], updated["revision"]) == (later.isoformat(), 5, 2)
    assert updated["on_time_until"] == f"{later + timedelta(days=1)}T00:00:00+08:00"
    assert rpc().pairing.get_campaign(campaign["id"]) == updated
    [event] = wait_distinct(events, "campaign_updated")
    assert_envelope(event, "campaign_updated", campaign["id"], 2)
    assert event["data"]["participants"] == ["U1"]


def test_update_campaign_checks_the_year_against_the_new_deadline(pairing, rpc):
    campaign = rpc().pairing.create_campaign(campaign_input())
    next_year = date(campaign["year"] + 1, 3, 9).isoformat()
    error = remote_error(lambda: rpc().pairing.update_campaign(campaign["id"], {"report_deadline": next_year}))
    assert error_fields(error) == {"changes.report_deadline"}
    moved = rpc().pairing.update_campaign(campaign["id"], {"report_deadline": next_year, "year": campaign["year"] + 1})
    assert moved["year"] == campaign["year"] + 1


@pytest.mark.parametrize("changes, fields", [
    ({}, {"changes"}),
    ({"region": "上海市"}, {"changes.region"}),
    ({"report_deadline": "2026-13-01"}, {"changes.report_deadline"}),
    ({"unit_codes": ["bad code"]}, {"changes.unit_codes.0"}),
])
def test_update_campaign_refuses_bad_changes(pairing, rpc, changes, fields):
    campaign = rpc().pairing.create_campaign(campaign_input())
    assert error_fields(remote_error(lambda: rpc().pairing.update_campaign(campaign["id"], changes))) == fields
    assert rpc().pairing.get_campaign(campaign["id"]) == campaign


def test_update_campaign_changing_unit_codes_changes_who_takes_part(pairing, rpc):
    campaign = open_campaign(rpc(), "U1", "U2")
    narrowed = rpc().pairing.update_campaign(campaign["id"], {"unit_codes": ["U2"]})
    assert narrowed["participants"] == ["U2"]
    rpc().pairing.register_unit(unit_input("U3"))
    assert rpc().pairing.get_campaign(campaign["id"])["participants"] == ["U2"]
    widened = rpc().pairing.update_campaign(campaign["id"], {"unit_codes": None})
    assert widened["participants"] == ["U1", "U2", "U3"]


def test_an_update_that_changes_nothing_keeps_the_revision(pairing, rpc):
    campaign = rpc().pairing.create_campaign(campaign_input())
    assert rpc().pairing.update_campaign(campaign["id"], {"name": campaign["name"]}) == campaign


def test_unknown_campaigns_are_not_found(pairing, rpc):
    for call in (lambda: rpc().pairing.get_campaign("c0000000000000000"),
                 lambda: rpc().pairing.update_campaign("c0000000000000000", {"name": "x"}),
                 lambda: rpc().pairing.reporting_progress("c0000000000000000")):
        assert remote_error(call).exc_type == "NotFound"


def test_list_campaigns_is_newest_first_and_pages(pairing, rpc):
    made = [rpc().pairing.create_campaign(campaign_input(name=f"活动{i}")) for i in range(3)]
    first = rpc().pairing.list_campaigns(limit=2)
    assert [c["id"] for c in first["items"]] == [made[2]["id"], made[1]["id"]]
    rest = rpc().pairing.list_campaigns(limit=2, cursor=first["next_cursor"])
    assert ([c["id"] for c in rest["items"]], rest["next_cursor"]) == ([made[0]["id"]], None)
    assert error_fields(remote_error(lambda: rpc().pairing.list_campaigns(limit=201))) == {"limit"}


def test_register_unit_announces_it_without_its_contact_person(pairing, rpc, listen):
    events = listen("pairing")
    unit = rpc().pairing.register_unit(unit_input("Unit_01"))
    assert (unit["code"], unit["active"], unit["contact_phone"], unit["revision"]) == ("Unit_01", True, UNIT_PHONE, 1)
    [event] = wait_distinct(events, "unit_registered")
    assert_envelope(event, "unit_registered", "Unit_01", 1)
    assert event["data"] == {"code": "Unit_01", "name": "Unit_01单位", "party_org": "Unit_01机关党支部",
                             "contact_email": "unit_01@example.org", "active": True,
                             "created_at": unit["created_at"], "updated_at": unit["updated_at"]}
    assert_no_personal_data(events.events())


def test_a_registered_code_is_a_conflict(pairing, rpc):
    rpc().pairing.register_unit(unit_input("U1"))
    assert remote_error(lambda: rpc().pairing.register_unit(unit_input("U1", name="别的"))).exc_type == "Conflict"
    assert rpc().pairing.get_unit("U1")["name"] == "U1单位"


@pytest.mark.parametrize("changes, field", [
    ({"code": "has space"}, "unit.code"),
    ({"code": "x" * 33}, "unit.code"),
    ({"contact_phone": "12345"}, "unit.contact_phone"),
    ({"contact_email": "not-an-email"}, "unit.contact_email"),
    ({"party_org": " "}, "unit.party_org"),
])
def test_register_unit_refuses_bad_input_naming_the_field(pairing, rpc, redis_client, changes, field):
    error = remote_error(lambda: rpc().pairing.register_unit(unit_input("U1", **changes)))
    assert error_fields(error) == {field}
    assert UNIT_PHONE not in error.value and "not-an-email" not in error.value
    assert redis_client.keys("pairing:unit*") == []


def test_a_new_unit_joins_open_all_unit_campaigns_only(pairing, rpc, listen):
    register(rpc(), "U1")
    open_now = rpc().pairing.create_campaign(campaign_input())
    listed = rpc().pairing.create_campaign(campaign_input(unit_codes=["U1"]))
    closed = rpc().pairing.create_campaign(campaign_input(days_ahead=-2))
    events = listen("pairing")
    rpc().pairing.register_unit(unit_input("U2"))
    assert rpc().pairing.get_campaign(open_now["id"])["participants"] == ["U1", "U2"]
    assert rpc().pairing.get_campaign(listed["id"])["participants"] == ["U1"]
    assert rpc().pairing.get_campaign(closed["id"])["participants"] == ["U1"]
    [updated] = wait_distinct(events, "campaign_updated")
    assert_envelope(updated, "campaign_updated", open_now["id"], 2)
    assert updated["data"]["participants"] == ["U1", "U2"]


def test_deactivate_unit_leaves_campaigns_not_started_only(pairing, rpc, listen):
    register(rpc(), "U1", "U2")
    upcoming = rpc().pairing.create_campaign(campaign_input())
    listed = rpc().pairing.create_campaign(campaign_input(unit_codes=["U1", "U2"]))
    passed = rpc().pairing.create_campaign(campaign_input(days_ahead=-1))
    events = listen("pairing")
    unit = rpc().pairing.deactivate_unit("U1")
    assert (unit["active"], unit["revision"]) == (False, 2)
    assert rpc().pairing.get_campaign(upcoming["id"])["participants"] == ["U2"]
    assert rpc().pairing.get_campaign(listed["id"])["participants"] == ["U2"]
    assert rpc().pairing.get_campaign(passed["id"])["participants"] == ["U1", "U2"]
    [gone] = wait_distinct(events, "unit_deactivated")
    assert_envelope(gone, "unit_deactivated", "U1", 2)
    assert gone["data"]["active"] is False
    updates = wait_distinct(events, "campaign_updated", 2)
    assert {e["subject"] for e in updates} == {upcoming["id"], listed["id"]}
    assert remote_error(lambda: rpc().pairing.deactivate_unit("U1")).exc_type == "Conflict"
    assert remote_error(lambda: rpc().pairing.deactivate_unit("U9")).exc_type == "NotFound"
    assert_no_personal_data(events.events())


def test_ops_sees_a_unit_with_its_contact_masked(pairing, rpc):
    register(rpc(), "U1")
    assert rpc().pairing.get_unit("U1")["contact_phone"] == UNIT_PHONE
    assert rpc("unit", unit="U1").pairing.get_unit("U1")["contact_name"] == UNIT_CONTACT
    seen = rpc("ops").pairing.get_unit("U1")
    assert (seen["contact_phone"], seen["contact_name"]) == ("139****5678", "王**")
    assert seen["contact_email"] == "u***@example.org"


def test_list_units_is_scoped_and_filtered(pairing, rpc):
    register(rpc(), "U1", "U2", "U3")
    rpc().pairing.deactivate_unit("U2")
    assert [u["code"] for u in rpc().pairing.list_units()["items"]] == ["U3", "U2", "U1"]
    assert [u["code"] for u in rpc().pairing.list_units(active=True)["items"]] == ["U3", "U1"]
    assert [u["contact_phone"] for u in rpc("ops").pairing.list_units()["items"]] == ["139****5678"] * 3
    own = rpc("unit", unit="U2").pairing.list_units()
    assert ([u["code"] for u in own["items"]], own["next_cursor"]) == (["U2"], None)
    assert rpc("unit", unit="U2").pairing.list_units(active=True)["items"] == []


def test_pages_of_units_by_active_follow_each_deactivation(pairing, rpc):
    register(rpc(), "U1", "U2", "U3", "U4", "U5")
    committee = rpc().pairing
    codes = lambda units: [unit["code"] for unit in units]  # noqa: E731
    assert codes(every_page(committee.list_units, active=False)) == []
    for code in ("U5", "U2", "U4"):
        committee.deactivate_unit(code)
    assert codes(every_page(committee.list_units, active=False)) == ["U5", "U4", "U2"]
    assert codes(every_page(committee.list_units, active=True)) == ["U3", "U1"]
    assert codes(every_page(committee.list_units, limit=2)) == ["U5", "U4", "U3", "U2", "U1"]
