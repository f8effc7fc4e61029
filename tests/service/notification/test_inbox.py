"""The notification service on real RabbitMQ and Redis: inboxes filled from the bus, once per
event and recipient, with the contract's permissions; no SMTP server configured here."""
import json

import pytest
import requests

from nameko.testing.services import entrypoint_waiter
from prometheus_client import REGISTRY

from services.common.redis_ha import AcknowledgedPipeline
from tests.helpers import publish_envelope, remote_error, wait_until
from tests.service.notification import events as s


def test_a_reported_pairing_reaches_the_committee_inbox_naming_campaign_and_unit(service, known, bus,
                                                                                 wait_for_inbox):
    event = bus("pairing_reported", s.pairing("p1", "c1", "U001", late=True))
    [note] = wait_for_inbox("committee")
    assert {k: note[k] for k in ("recipient", "event_id", "event_type", "read_at", "email")} == {
        "recipient": "committee", "event_id": event["event_id"], "event_type": "pairing_reported",
        "read_at": None, "email": "skipped"}
    assert note["title"] == "【结对报送】民政部办公厅报送了结对服务对象，请审核"
    assert f"「{s.CAMPAIGN_NAME}」" in note["body"] and "（逾期报送）" in note["body"]
    assert "困难群体（户，朝阳区）" in note["body"]
    assert note["created_at"].endswith("+08:00") and note["updated_at"]


@pytest.mark.parametrize("event_type, data, recipients", [
    ("pairing_overdue", s.notice("c1", "U001"), {"committee", "unit:U001"}),
    ("issue_forwarded", s.issue("i1", "c1", "U001", "elderly-care"), {"department:elderly-care"}),
    ("issue_forwarded", s.issue("i2", "c1", "U001", None), {"committee"}),
    ("issue_answered", s.issue("i3", "c1", "U001", "elderly-care", status="answered",
                               answer={"measures": "新增助餐点", "resolved": True}), {"committee", "unit:U001"}),
])
def test_each_event_lands_in_the_contracts_inboxes(service, known, bus, event_type, data, recipients,
                                                   wait_for_inbox, inbox):
    event = bus(event_type, data)
    for recipient in recipients:
        [note] = wait_for_inbox(recipient)
        assert (note["event_id"], note["event_type"]) == (event["event_id"], event_type)
    others = {"committee", "unit:U001", "department:elderly-care"} - recipients
    assert all(inbox(other) == [] for other in others)


def test_a_redelivered_event_gives_one_notification(service, known, bus, service_config, wait_for_inbox, inbox):
    event = bus("pairing_approved", s.pairing("p2", "c1", "U001", status="approved"))
    wait_for_inbox("unit:U001")
    def duplicates():
        return REGISTRY.get_sample_value("leifeng_events_duplicate_total",
                                         {"service": "notification", "event_type": "pairing_approved"}) or 0

    before = duplicates()
    publish_envelope(service_config["AMQP_URI"], event)
    wait_until(lambda: duplicates() == before + 1, message="the copy skipped")
    assert len(inbox("unit:U001")) == 1


def test_a_redelivery_past_the_handled_mark_still_finds_the_notification(service, known, bus,
                                                                          redis_client, service_config,
                                                                          wait_for_inbox, inbox):
    event = bus("summary_overdue", s.summary("s1", "a1", "c1", "U001"))
    wait_for_inbox("committee")
    wait_for_inbox("unit:U001")
    redis_client.delete(f"notification:handled:notify:{event['event_id']}")
    with entrypoint_waiter(service, "notify"):
        publish_envelope(service_config["AMQP_URI"], event)
    assert len(inbox("committee")) == 1 and len(inbox("unit:U001")) == 1


def test_the_same_fact_announced_again_under_a_new_event_id_gives_no_second_notification(service, known, bus,
                                                                                          redis_client,
                                                                                          wait_for_inbox, inbox):
    data = s.pairing("p-again", "c1", "U001", status="approved")
    first = bus("pairing_approved", data, seq=2)
    [note] = wait_for_inbox("unit:U001")
    with entrypoint_waiter(service, "notify"):
        again = bus("pairing_approved", data, seq=2)
    assert again["event_id"] != first["event_id"]
    assert redis_client.exists(f"notification:handled:notify:{again['event_id']}")
    assert [n["id"] for n in inbox("unit:U001")] == [note["id"]]
    assert note["event_id"] == first["event_id"]
    # The next revision of the same pairing is a new fact, told again.
    bus("pairing_approved", data, seq=3)
    assert len(wait_for_inbox("unit:U001", count=2)) == 2


def test_a_reminder_names_the_region_of_its_campaign(service, bus, wait_for_inbox):
    bus("campaign_created", s.campaign("c-tianjin", region="天津市"))
    bus("pairing_deadline_approaching", s.notice("c-tianjin", "U007"))
    [note] = wait_for_inbox("unit:U007")
    assert "前在天津市范围内选定一个结对服务对象" in note["body"] and "北京市" not in note["body"]


def test_texts_fall_back_to_codes_for_what_the_directory_has_not_heard_of(service, bus, wait_for_inbox):
    bus("pairing_deadline_approaching", s.notice("c-unknown", "U404", deadline="2025-03-09"))
    [note] = wait_for_inbox("unit:U404")
    assert note["title"] == "【报送提醒】请于 2025年3月9日 前报送结对服务对象"
    assert "「c-unknown」" in note["body"]
    assert "前在活动规定的范围内选定" in note["body"] and "北京市" not in note["body"]


def test_a_later_event_about_a_unit_wins_over_an_older_one(service, bus, redis_client):
    bus("unit_deactivated", s.unit("U009", "旧名称", active=False), seq=2)
    with entrypoint_waiter(service, "keep_directory"):
        bus("unit_registered", s.unit("U009", "更早的名称"), seq=1)
    entry = json.loads(redis_client.get("notification:directory:unit:U009"))
    assert (entry["name"], entry["active"], entry["seq"]) == ("旧名称", False, 2)


@pytest.mark.parametrize("role, unit, department, recipient, allowed", [
    ("committee", None, None, "unit:U001", True),
    ("ops", None, None, "department:elderly-care", True),
    ("unit", "U001", None, "unit:U001", True),
    ("unit", "U002", None, "unit:U001", False),
    ("unit", "U001", None, "committee", False),
    ("department", None, "elderly-care", "department:elderly-care", True),
    ("department", None, "child-welfare", "department:elderly-care", False),
    ("department", None, "elderly-care", "unit:U001", False),
])
def test_who_may_read_which_inbox(service, rpc, role, unit, department, recipient, allowed):
    proxy = rpc(role, unit=unit, department=department)
    if allowed:
        assert proxy.notification.list_inbox(recipient) == {"items": [], "next_cursor": None}
    else:
        assert remote_error(lambda: proxy.notification.list_inbox(recipient)).exc_type == "Forbidden"


def test_without_a_recipient_a_caller_reads_its_own_inbox(service, known, bus, rpc, wait_for_inbox):
    bus("pairing_rejected", s.pairing("p3", "c1", "U001", status="rejected"))
    wait_for_inbox("unit:U001")
    [note] = rpc("unit", unit="U001").notification.list_inbox()["items"]
    assert note["event_type"] == "pairing_rejected"
    assert "请按审核意见调整后重新报送（报送截止日期：2025年3月9日）" in note["body"]


@pytest.mark.parametrize("kwargs, field", [
    ({"recipient": "everyone"}, "recipient"),
    ({"recipient": "unit:bad code"}, "recipient"),
    ({"recipient": "department:Elderly"}, "recipient"),
    ({"recipient": "committee", "limit": 0}, "limit"),
    ({"recipient": "committee", "limit": 201}, "limit"),
    ({"recipient": "committee", "limit": "10"}, "limit"),
    ({"recipient": "committee", "cursor": "not a cursor"}, "cursor"),
    ({"recipient": "committee", "unread_only": "yes"}, "unread_only"),
])
def test_bad_list_arguments_are_validation_errors_naming_the_field(service, rpc, kwargs, field):
    error = remote_error(lambda: rpc().notification.list_inbox(**kwargs))
    assert error.exc_type == "ValidationError"
    assert list(json.loads(error.value)) == [field]


def test_checks_run_in_the_contracts_order(service, rpc):
    assert remote_error(lambda: rpc(token=False).notification.list_inbox("nobody")).exc_type == "Unauthenticated"
    # The input is checked before whose inbox it is.
    error = remote_error(lambda: rpc("unit", unit="U001").notification.list_inbox("department:BAD"))
    assert error.exc_type == "ValidationError"


def test_the_inbox_pages_newest_first(service, known, bus, rpc, wait_for_inbox):
    for number in range(3):
        bus("pairing_reported", s.pairing(f"p-page-{number}", "c1", "U001"))
        wait_for_inbox("committee", count=number + 1)
    first = rpc().notification.list_inbox("committee", limit=2)
    rest = rpc().notification.list_inbox("committee", limit=2, cursor=first["next_cursor"])
    items = first["items"] + rest["items"]
    assert rest["next_cursor"] is None and len(items) == 3
    assert [n["created_at"] for n in items] == sorted((n["created_at"] for n in items), reverse=True)


def test_mark_read_sets_read_at_once_and_leaves_the_unread_list(service, known, bus, rpc, wait_for_inbox, inbox):
    bus("summary_requested", s.summary("s2", "a2", "c1", "U001"))
    [note] = wait_for_inbox("unit:U001", unread_only=True)
    own = rpc("unit", unit="U001").notification
    read = own.mark_read(note["id"])
    assert read["read_at"] is not None and read["revision"] == note["revision"] + 1
    assert own.mark_read(note["id"])["read_at"] == read["read_at"]
    assert inbox("unit:U001", unread_only=True) == []
    assert [n["id"] for n in inbox("unit:U001")] == [note["id"]]


def test_a_repeated_mark_read_request_returns_the_notification_and_is_bound_to_it(service, known, bus, rpc,
                                                                               wait_for_inbox):
    bus("summary_requested", s.summary("s4", "a4", "c1", "U001"))
    bus("pairing_approved", s.pairing("p4", "c1", "U001", status="approved"))
    first, second = wait_for_inbox("unit:U001", count=2)
    own = rpc("unit", unit="U001").notification
    read = own.mark_read(first["id"], request_id="read-1")
    assert own.mark_read(first["id"], request_id="read-1") == read
    assert remote_error(lambda: own.mark_read(second["id"], request_id="read-1")).exc_type == "Conflict"
    assert own.mark_read(second["id"], request_id="read-2")["read_at"] is not None
    # Another caller's request_id is its own.
    assert rpc().notification.mark_read(second["id"], request_id="read-1")["id"] == second["id"]


def test_mark_read_checks_the_record_then_its_owner(service, known, bus, rpc, wait_for_inbox):
    bus("summary_requested", s.summary("s3", "a3", "c1", "U001"))
    [note] = wait_for_inbox("unit:U001")
    assert remote_error(lambda: rpc("unit", unit="U001").notification.mark_read("0" * 24)).exc_type == "NotFound"
    assert remote_error(lambda: rpc("unit", unit="U002").notification.mark_read(note["id"])).exc_type == \
        "Forbidden"
    assert remote_error(lambda: rpc("department", department="elderly-care").notification.mark_read(
        note["id"])).exc_type == "Forbidden"
    error = remote_error(lambda: rpc().notification.mark_read(""))
    assert (error.exc_type, list(json.loads(error.value))) == ("ValidationError", ["notification_id"])
    assert rpc("ops").notification.mark_read(note["id"])["read_at"] is not None


def test_metrics_count_created_notifications(service, known, bus, service_config, wait_for_inbox):
    bus("pairing_reported", s.pairing("p-metrics", "c1", "U001"))
    wait_for_inbox("committee")
    text = requests.get(f"http://{service_config['WEB_SERVER_ADDRESS']}/metrics", timeout=5).text
    assert 'leifeng_notifications_created_total{event_type="pairing_reported"}' in text
    assert "leifeng_notification_emails_pending" in text


def test_an_event_is_turned_into_notifications_with_one_read_round_trip(service, known, bus, wait_for_inbox,
                                                                         monkeypatch):
    """Its directory entries, the notifications it makes and their recipients' webhooks are all
    named by the event: read with the transaction's first WATCH, then EXEC."""
    sent, round_trip = [], AcknowledgedPipeline.round_trip
    monkeypatch.setattr(AcknowledgedPipeline, "round_trip",
                        lambda self, *commands: sent.append([name for name, *_ in commands]) or round_trip(self, *commands))
    bus("pairing_overdue", s.notice("c1", "U001"))
    wait_for_inbox("unit:U001")
    wait_for_inbox("committee")
    assert sent == [["WATCH", "EXISTS", "ZRANGE", "ZRANGE", "MGET"]]
