"""Deadline notices on real RabbitMQ and Redis: each at most once per unit and campaign, however
often the check runs, from however many service instances; and reporting progress."""
from datetime import timedelta

from nameko.testing.services import entrypoint_waiter

from services.pairing.deadlines import OVERDUE, REMIND
from services.pairing.service import PairingService
from tests.helpers import free_port
from tests.service.pairing.samples import (
    TARGET, assert_envelope, campaign_input, distinct, error_fields, open_campaign, register, remote_error, today,
    wait_distinct,
)


def moment(days_from_today, clock_time="10:00:00"):
    return f"{today() + timedelta(days=days_from_today)}T{clock_time}+08:00"


def test_missing_units_are_reminded_once_within_remind_days_before_the_deadline(pairing, rpc, listen):
    campaign = open_campaign(rpc(), "U1", "U2", "U3", days_ahead=10)
    rpc().pairing.report_pairing(campaign["id"], "U1", TARGET)
    events = listen("pairing", REMIND)
    check = rpc().pairing.check_deadlines
    assert check(now=moment(6, "23:59:59")) == {"reminded": 0, "overdue": 0}
    assert check(now=moment(7, "00:00:00")) == {"reminded": 2, "overdue": 0}
    assert check(now=moment(8)) == check(now=moment(10, "23:59:59")) == {"reminded": 0, "overdue": 0}
    sent = wait_distinct(events, REMIND, 2)
    assert sorted(e["data"]["unit_code"] for e in sent) == ["U2", "U3"]
    for event in sent:
        assert_envelope(event, REMIND, f"{campaign['id']}:{event['data']['unit_code']}", 1)
        assert event["data"] == {"campaign_id": campaign["id"], "unit_code": event["data"]["unit_code"],
                                 "deadline": campaign["report_deadline"], "on_time_until": campaign["on_time_until"]}
    assert len(distinct(events)) == 2


def test_missing_units_are_flagged_overdue_once_from_the_day_after_the_deadline(pairing, rpc, listen):
    campaign = open_campaign(rpc(), "U1", "U2", days_ahead=10)
    rpc().pairing.review_pairing(rpc().pairing.report_pairing(campaign["id"], "U1", TARGET)["id"], "approve")
    events = listen("pairing")
    check = rpc().pairing.check_deadlines
    assert check(now=moment(10, "23:59:59")) == {"reminded": 1, "overdue": 0}
    assert check(now=moment(11, "00:00:00")) == {"reminded": 0, "overdue": 1}
    assert check(now=moment(11, "00:00:01")) == check(now=moment(40)) == {"reminded": 0, "overdue": 0}
    [flagged] = wait_distinct(events, OVERDUE)
    assert_envelope(flagged, OVERDUE, f"{campaign['id']}:U2", 2)
    assert flagged["data"]["unit_code"] == "U2"
    assert [e["event_type"] for e in distinct(events)] == [REMIND, OVERDUE]


def test_a_reminder_never_goes_out_after_the_deadline(pairing, rpc, redis_client):
    campaign = open_campaign(rpc(), "U1", days_ahead=10)
    assert rpc().pairing.check_deadlines(now=moment(12)) == {"reminded": 0, "overdue": 1}
    assert redis_client.zscore(f"pairing:due:{REMIND}", campaign["id"]) is None
    assert redis_client.smembers(f"pairing:campaign:{campaign['id']}:notified:{REMIND}") == set()
    assert rpc().pairing.check_deadlines(now=moment(9)) == {"reminded": 0, "overdue": 0}


def test_a_unit_missing_again_after_the_deadline_is_flagged_once(pairing, rpc, listen, redis_client):
    campaign = open_campaign(rpc(), "U1", "U2", days_ahead=-1)
    late = rpc().pairing.report_pairing(campaign["id"], "U1", TARGET)
    events = listen("pairing", OVERDUE)
    assert rpc().pairing.check_deadlines(now=moment(0)) == {"reminded": 0, "overdue": 1}
    assert redis_client.zscore(f"pairing:due:{OVERDUE}", campaign["id"]) is None
    rpc().pairing.review_pairing(late["id"], "reject", "对象不在本市")
    assert rpc().pairing.check_deadlines(now=moment(1)) == {"reminded": 0, "overdue": 1}
    again = rpc().pairing.report_pairing(campaign["id"], "U1", TARGET)
    rpc().pairing.withdraw_pairing(again["id"])
    assert rpc().pairing.check_deadlines(now=moment(2)) == {"reminded": 0, "overdue": 0}
    assert sorted(e["data"]["unit_code"] for e in wait_distinct(events, OVERDUE, 2)) == ["U1", "U2"]


def test_a_unit_rejected_within_the_window_is_reminded(pairing, rpc, listen):
    campaign = open_campaign(rpc(), "U1", days_ahead=5)
    pending = rpc().pairing.report_pairing(campaign["id"], "U1", TARGET)
    assert rpc().pairing.check_deadlines(now=moment(3))["reminded"] == 0
    rpc().pairing.review_pairing(pending["id"], "reject")
    assert rpc().pairing.check_deadlines(now=moment(4))["reminded"] == 1


def test_inactive_units_and_units_not_taking_part_get_no_notice(pairing, rpc):
    register(rpc(), "U1", "U2", "U3")
    campaign = rpc().pairing.create_campaign(campaign_input(days_ahead=2, unit_codes=["U1", "U2"]))
    rpc().pairing.deactivate_unit("U2")
    assert rpc().pairing.get_campaign(campaign["id"])["participants"] == ["U1"]
    assert rpc().pairing.check_deadlines(now=moment(1)) == {"reminded": 1, "overdue": 0}


def test_only_campaigns_that_have_fallen_due_are_indexed_for_the_check(pairing, rpc, redis_client):
    register(rpc(), "U1")
    soon = rpc().pairing.create_campaign(campaign_input(days_ahead=1))
    later = rpc().pairing.create_campaign(campaign_input(days_ahead=60))
    assert rpc().pairing.check_deadlines(now=moment(2)) == {"reminded": 0, "overdue": 1}
    assert redis_client.zrange(f"pairing:due:{OVERDUE}", 0, -1) == [later["id"]]
    assert redis_client.zrange(f"pairing:due:{REMIND}", 0, -1) == [later["id"]]
    assert redis_client.smembers(f"pairing:campaign:{soon['id']}:notified:{OVERDUE}") == {"U1"}
    assert redis_client.smembers(f"pairing:campaign:{later['id']}:notified:{OVERDUE}") == set()


def test_moving_the_deadline_moves_the_notices(pairing, rpc):
    campaign = open_campaign(rpc(), "U1", days_ahead=5)
    moved = campaign_input(days_ahead=30)
    rpc().pairing.update_campaign(campaign["id"], {"report_deadline": moved["report_deadline"], "year": moved["year"]})
    assert rpc().pairing.check_deadlines(now=moment(4)) == {"reminded": 0, "overdue": 0}
    assert rpc().pairing.check_deadlines(now=moment(29)) == {"reminded": 1, "overdue": 0}


def test_a_reminder_after_an_overdue_notice_follows_it_in_seq(pairing, rpc, listen):
    # Overdue, then the committee gives more time: the reminder of the new window comes after the
    # overdue notice, so a consumer dropping older seqs (contract §4) must not drop it.
    campaign = open_campaign(rpc(), "U1", days_ahead=5)
    events = listen("pairing")
    assert rpc().pairing.check_deadlines(now=moment(7)) == {"reminded": 0, "overdue": 1}
    moved = campaign_input(days_ahead=30)
    rpc().pairing.update_campaign(campaign["id"], {"report_deadline": moved["report_deadline"], "year": moved["year"]})
    assert rpc().pairing.check_deadlines(now=moment(29)) == {"reminded": 1, "overdue": 0}
    [overdue] = wait_distinct(events, OVERDUE)
    [reminder] = wait_distinct(events, REMIND)
    subject = f"{campaign['id']}:U1"
    assert overdue["subject"] == reminder["subject"] == subject
    assert reminder["seq"] > overdue["seq"]


def test_now_is_refused_without_the_clock_override(start_service, rpc):
    start_service(PairingService, ALLOW_CLOCK_OVERRIDE=False)
    assert remote_error(lambda: rpc().pairing.check_deadlines(now=moment(1))).exc_type == "Forbidden"
    assert rpc().pairing.check_deadlines() == {"reminded": 0, "overdue": 0}


def test_now_without_an_offset_is_a_validation_error(pairing, rpc):
    error = remote_error(lambda: rpc().pairing.check_deadlines(now=f"{today()}T10:00:00"))
    assert error_fields(error) == {"now"}


def test_two_instances_checking_at_once_send_each_notice_once(start_service, rpc, listen):
    start_service(PairingService)
    start_service(PairingService, WEB_SERVER_ADDRESS=f"127.0.0.1:{free_port()}")
    codes = [f"U{n}" for n in range(12)]
    campaigns = [open_campaign(rpc(), *codes, days_ahead=2)] + [
        rpc().pairing.create_campaign(campaign_input(days_ahead=2)) for _ in range(2)]
    events = listen("pairing", REMIND)
    proxy = rpc().pairing
    replies = [proxy.check_deadlines.call_async(now=moment(1)) for _ in range(8)]
    assert sum(reply.result()["reminded"] for reply in replies) == 36
    sent = wait_distinct(events, REMIND, 36)
    assert {(e["data"]["campaign_id"], e["data"]["unit_code"]) for e in sent} == {
        (campaign["id"], code) for campaign in campaigns for code in codes}
    assert len(distinct(events)) == 36


def test_the_timer_reminds_without_being_called(start_service, rpc, listen):
    container = start_service(PairingService, DEADLINE_CHECK_INTERVAL=0.1)
    events = listen("pairing", REMIND)
    campaign = open_campaign(rpc(), "U1", days_ahead=1)
    [event] = wait_distinct(events, REMIND)
    assert event["data"]["campaign_id"] == campaign["id"]
    for _ in range(3):
        with entrypoint_waiter(container, "deadline_timer"):
            pass
    assert len(distinct(events)) == 1


def test_reporting_progress_follows_every_change(pairing, rpc):
    campaign = open_campaign(rpc(), "U1", "U2", days_ahead=-1)
    progress = rpc().pairing.reporting_progress
    assert progress(campaign["id"])["missing"] == ["U1", "U2"]
    first = rpc().pairing.report_pairing(campaign["id"], "U1", TARGET)
    assert (progress(campaign["id"])["pending_review"], progress(campaign["id"])["late"]) == (1, ["U1"])
    rpc().pairing.withdraw_pairing(first["id"])
    assert (progress(campaign["id"])["not_reported"], progress(campaign["id"])["late"]) == (2, [])
    rpc().pairing.register_unit({"code": "U3", "name": "新单位", "party_org": "新党支部", "contact_name": "李四",
                                 "contact_phone": "13700001111", "contact_email": "u3@example.org"})
    assert progress(campaign["id"])["total_units"] == 2
