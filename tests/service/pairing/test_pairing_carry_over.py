"""`carry_over_campaign` (issue 17): next year's campaign, in which each unit whose latest pairing was
approved reports that target again, marked `carried_over_from`, for the committee's review."""
from tests.service.pairing.samples import (
    ORG_TARGET, TARGET, assert_no_personal_data, campaign_input, distinct, error_fields, open_campaign,
    remote_error, wait_distinct,
)


def earlier_campaign(committee):
    """U1 approved, U2 rejected, U3 pending review, U4 never reported."""
    campaign = open_campaign(committee, "U1", "U2", "U3", "U4")
    pairing = committee.pairing
    approved = pairing.review_pairing(pairing.report_pairing(campaign["id"], "U1", TARGET)["id"], "approve")
    pairing.review_pairing(pairing.report_pairing(campaign["id"], "U2", TARGET)["id"], "reject")
    pairing.report_pairing(campaign["id"], "U3", ORG_TARGET)
    return campaign, approved


def test_each_approved_target_is_reported_again_in_the_new_campaign(pairing, rpc, listen):
    earlier, approved = earlier_campaign(rpc())
    events = listen("pairing")
    carried = rpc().pairing.carry_over_campaign(earlier["id"], campaign_input(days_ahead=365), request_id="next")
    assert (carried["carried_over_from"], carried["participants"]) == (earlier["id"], ["U1", "U2", "U3", "U4"])
    [reported] = rpc().pairing.list_pairings(carried["id"])["items"]
    assert {k: reported[k] for k in ("unit_code", "target", "status", "late", "carried_over_from")} == {
        "unit_code": "U1", "target": TARGET, "status": "reported", "late": False,
        "carried_over_from": approved["id"]}
    assert reported["reported_at"] == reported["created_at"] >= carried["created_at"]
    progress = rpc().pairing.reporting_progress(carried["id"])
    assert (progress["pending_review"], progress["missing"]) == (1, ["U2", "U3", "U4"])
    [created] = wait_distinct(events, "campaign_created")
    [announced] = wait_distinct(events, "pairing_reported")
    assert created["data"]["carried_over_from"] == earlier["id"]
    assert (announced["subject"], announced["data"]["carried_over_from"]) == (reported["id"], approved["id"])
    assert_no_personal_data(events.events())


def test_an_ordinary_campaign_is_carried_over_from_nothing(pairing, rpc, listen):
    events = listen("pairing", "campaign_created")
    campaign = open_campaign(rpc(), "U1")
    assert campaign["carried_over_from"] is None
    [created] = wait_distinct(events, "campaign_created")
    assert created["data"]["carried_over_from"] is None


def test_only_units_taking_part_in_the_new_campaign_are_carried_over(pairing, rpc):
    earlier, _ = earlier_campaign(rpc())
    carried = rpc().pairing.carry_over_campaign(earlier["id"], campaign_input(days_ahead=365, unit_codes=["U2"]))
    assert carried["participants"] == ["U2"]
    assert rpc().pairing.list_pairings(carried["id"])["items"] == []


def test_a_carried_over_pairing_is_reviewed_or_withdrawn_as_usual(pairing, rpc):
    earlier, _ = earlier_campaign(rpc())
    carried = rpc().pairing.carry_over_campaign(earlier["id"], campaign_input(days_ahead=365))
    unit = rpc("unit", unit="U1").pairing
    [reported] = unit.list_pairings(carried["id"])["items"]
    assert unit.withdraw_pairing(reported["id"])["status"] == "withdrawn"
    again = unit.report_pairing(carried["id"], "U1", ORG_TARGET)
    assert again["carried_over_from"] is None
    assert rpc().pairing.review_pairing(again["id"], "approve")["status"] == "approved"


def test_a_repeat_makes_no_second_campaign_or_pairing(pairing, rpc, listen):
    earlier, _ = earlier_campaign(rpc())
    events = listen("pairing", "pairing_reported")
    first = rpc().pairing.carry_over_campaign(earlier["id"], campaign_input(days_ahead=365), request_id="r")
    assert rpc().pairing.carry_over_campaign(earlier["id"], campaign_input(days_ahead=365), request_id="r") == first
    assert len(rpc().pairing.list_pairings(first["id"])["items"]) == 1
    assert len(rpc().pairing.list_campaigns()["items"]) == 2
    wait_distinct(events, "pairing_reported")
    assert len(distinct(events, "pairing_reported")) == 1


def test_an_unknown_earlier_campaign_is_not_found_and_nothing_is_made(pairing, rpc, redis_client):
    open_campaign(rpc(), "U1")
    error = remote_error(lambda: rpc().pairing.carry_over_campaign("c0000000000000000", campaign_input()))
    assert error.exc_type == "NotFound"
    assert len(rpc().pairing.list_campaigns()["items"]) == 1


def test_the_new_terms_are_checked_like_a_new_campaign(pairing, rpc):
    earlier, _ = earlier_campaign(rpc())
    for bad, fields in (({"year": 2001}, {"campaign.year"}), ({"unit_codes": ["U9"]}, {"campaign.unit_codes.0"}),
                        ({"surprise": 1}, {"campaign.surprise"})):
        error = remote_error(lambda: rpc().pairing.carry_over_campaign(earlier["id"], campaign_input(**bad)))
        assert error_fields(error) == fields
    assert len(rpc().pairing.list_campaigns()["items"]) == 1


def test_only_the_approved_units_latest_pairings_are_read(pairing, rpc, redis_client):
    """Cheap by construction: the earlier campaign's maintained approved set names the units, and only
    their latest pairings are read; any other pairing record, unreadable here, is never touched."""
    earlier, approved = earlier_campaign(rpc())
    others = [p["id"] for p in rpc().pairing.list_pairings(earlier["id"])["items"] if p["id"] != approved["id"]]
    for pairing_id in others:
        redis_client.set(f"pairing:pairing:{pairing_id}", "not a record")
    carried = rpc().pairing.carry_over_campaign(earlier["id"], campaign_input(days_ahead=365))
    [reported] = rpc().pairing.list_pairings(carried["id"])["items"]
    assert reported["carried_over_from"] == approved["id"]
