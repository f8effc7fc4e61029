"""Webhooks (contract §8) on real RabbitMQ and Redis, delivering to a real local HTTP receiver:
signed, exactly the recipient's events, retried, failed, redelivered, once per (webhook, event),
and a slow receiver holding up nobody."""
import json
import re
from pathlib import Path

import pytest
from nameko.testing.services import entrypoint_waiter
from prometheus_client import REGISTRY

from services.notification.sender import PER_WEBHOOK
from services.notification.service import NotificationService
from tests.helpers import every_page, publish_envelope, wait_until
from tests.service.notification import events as s

SECRET = "s3cret-of-the-elderly-care-dept"
DOCS = Path(__file__).resolve().parents[3] / "docs" / "webhooks.md"


def documented_verifier():
    """The receiver's check exactly as docs/webhooks.md shows it."""
    [snippet] = re.findall(r"```python\n(.*?)```", DOCS.read_text(), re.S)
    scope = {}
    exec(snippet, scope)  # noqa: S102  our own documentation
    return scope["verify_signature"]


def register(rpc, receiver, path, recipient, secret=SECRET, **more):
    return rpc().notification.register_webhook({"recipient": recipient, "url": receiver.url(path),
                                                "secret": secret, **more})


def deliveries(rpc, webhook_id, **kwargs):
    return rpc().notification.list_deliveries(webhook_id, **kwargs)["items"]


def wait_for_delivery(rpc, webhook_id, status, count=1, timeout=10, **fields):
    def reached():
        items = [d for d in deliveries(rpc, webhook_id) if d["status"] == status
                 and all(d[k] == v for k, v in fields.items())]
        return items if len(items) >= count else None
    return wait_until(reached, timeout=timeout, message=f"{count} {status} deliveries of {webhook_id}")


def outcomes(outcome):
    return REGISTRY.get_sample_value("leifeng_webhook_deliveries_total", {"outcome": outcome}) or 0


def test_a_delivery_is_the_envelope_signed_with_the_secret(service, known, bus, rpc, receiver):
    hook = register(rpc, receiver, "/hooks/elderly", "department:elderly-care")
    assert set(hook) == {"id", "recipient", "url", "event_types", "created_at", "updated_at", "revision"}
    assert "issue_forwarded" in hook["event_types"] and "pairing_reported" not in hook["event_types"]
    delivered_before = outcomes("delivered")
    event = bus("issue_forwarded", s.issue("i1", "c1", "U001", "elderly-care"))
    [request] = receiver.wait_for("/hooks/elderly")
    [delivery] = wait_for_delivery(rpc, hook["id"], "delivered")
    assert json.loads(request["body"]) == event
    assert request["headers"]["X-Leifeng-Event"] == "issue_forwarded"
    assert request["headers"]["X-Leifeng-Delivery"] == delivery["id"]
    assert request["headers"]["Content-Type"] == "application/json; charset=utf-8"
    verify = documented_verifier()
    assert verify(request["body"], request["headers"]["X-Leifeng-Signature-256"], SECRET)
    assert not verify(request["body"], request["headers"]["X-Leifeng-Signature-256"], SECRET + "x")
    assert not verify(request["body"] + b" ", request["headers"]["X-Leifeng-Signature-256"], SECRET)
    assert {k: delivery[k] for k in ("webhook_id", "event_id", "event_type", "attempts", "last_status",
                                     "next_attempt_at")} == {
        "webhook_id": hook["id"], "event_id": event["event_id"], "event_type": "issue_forwarded",
        "attempts": 1, "last_status": 200, "next_attempt_at": None}
    assert delivery["last_attempt_at"].endswith("+08:00")
    assert outcomes("delivered") == delivered_before + 1


def test_the_secret_is_never_returned(service, rpc, receiver, redis_client):
    hook = register(rpc, receiver, "/x", "committee")
    listed = rpc().notification.list_webhooks()["items"]
    assert listed == [hook] and SECRET not in json.dumps(listed)
    assert SECRET not in redis_client.get(f"notification:webhook:{hook['id']}")


def test_each_webhook_gets_exactly_its_recipients_events(service, known, bus, rpc, receiver, wait_for_inbox):
    hooks = {recipient: register(rpc, receiver, f"/{recipient}", recipient)["id"]
             for recipient in ("committee", "unit:U001", "unit:U002", "department:elderly-care",
                               "department:child-welfare")}
    sent = [bus("issue_forwarded", s.issue("i-own", "c1", "U001", "elderly-care")),
            bus("issue_forwarded", s.issue("i-other", "c1", "U002", "child-welfare")),
            bus("issue_forwarded", s.issue("i-triage", "c1", "U002", None)),
            bus("pairing_approved", s.pairing("p1", "c1", "U001", status="approved")),
            bus("pairing_reported", s.pairing("p2", "c1", "U002")),
            bus("summary_requested", s.summary("s2", "a2", "c1", "U002")),
            bus("activity_planned", s.activity("a1", "c1", "U001"))]
    by_id = {event["event_id"]: event for event in sent}
    expected = {recipient: {e["event_id"] for e in sent if recipient in s.contract_recipients(e["event_type"],
                                                                                               e["data"])}
                for recipient in hooks}
    # A delivery is written with its notification: once every inbox is complete, so is every log.
    for recipient, event_ids in expected.items():
        wait_for_inbox(recipient, count=len(event_ids))
    for recipient, hook_id in hooks.items():
        delivered = wait_for_delivery(rpc, hook_id, "delivered", count=len(expected[recipient]))
        assert {d["event_id"] for d in deliveries(rpc, hook_id)} == expected[recipient]
        received = [json.loads(r["body"])["event_id"] for r in receiver.at(f"/{recipient}")]
        assert sorted(received) == sorted(expected[recipient]) == sorted(d["event_id"] for d in delivered)
    assert {by_id[i]["data"]["department"] for i in expected["department:elderly-care"]} == {"elderly-care"}


def test_a_webhook_gets_only_the_types_it_chose(service, known, bus, rpc, receiver, wait_for_inbox):
    hook = register(rpc, receiver, "/answered", "unit:U001", event_types=["issue_answered"])
    assert hook["event_types"] == ["issue_answered"]
    bus("pairing_approved", s.pairing("p1", "c1", "U001", status="approved"))
    answered = bus("issue_answered", s.issue("i1", "c1", "U001", "elderly-care", status="answered"))
    wait_for_inbox("unit:U001", count=2)
    [delivery] = wait_for_delivery(rpc, hook["id"], "delivered")
    assert delivery["event_id"] == answered["event_id"]
    assert [json.loads(r["body"])["event_type"] for r in receiver.at("/answered")] == ["issue_answered"]


def test_a_failed_attempt_is_retried_with_the_same_delivery(service, known, bus, rpc, receiver):
    receiver.statuses["/flaky"] = [500, 200]
    retries_before = outcomes("retry")
    hook = register(rpc, receiver, "/flaky", "unit:U001")
    bus("pairing_rejected", s.pairing("p1", "c1", "U001", status="rejected"))
    [delivery] = wait_for_delivery(rpc, hook["id"], "delivered")
    first, second = receiver.at("/flaky")
    assert (delivery["attempts"], delivery["last_status"]) == (2, 200)
    assert first["body"] == second["body"]
    for header in ("X-Leifeng-Delivery", "X-Leifeng-Signature-256"):
        assert first["headers"][header] == second["headers"][header]
    assert outcomes("retry") == retries_before + 1


def test_after_the_last_retry_a_delivery_is_failed_until_redelivered(service, known, bus, rpc, receiver):
    receiver.statuses["/down"] = [503]
    failed_before = outcomes("failed")
    hook = register(rpc, receiver, "/down", "unit:U001")
    bus("summary_requested", s.summary("s1", "a1", "c1", "U001"))
    [failed] = wait_for_delivery(rpc, hook["id"], "failed")
    attempts = 1 + len(service.config["WEBHOOK_RETRY_DELAYS"])
    assert (failed["attempts"], failed["last_status"], failed["next_attempt_at"]) == (attempts, 503, None)
    assert len(receiver.at("/down")) == attempts and outcomes("failed") == failed_before + 1
    assert deliveries(rpc, hook["id"], status="pending") == []
    receiver.statuses["/down"] = [200]
    rearmed = rpc("unit", unit="U001").notification.redeliver(failed["id"])
    assert (rearmed["id"], rearmed["status"], rearmed["attempts"]) == (failed["id"], "pending", 0)
    [delivered] = wait_for_delivery(rpc, hook["id"], "delivered")
    assert (delivered["id"], delivered["attempts"], delivered["last_status"]) == (failed["id"], 1, 200)
    last = receiver.at("/down")[-1]
    assert len(receiver.at("/down")) == attempts + 1
    assert last["headers"]["X-Leifeng-Delivery"] == failed["id"]


def test_once_private_addresses_are_refused_a_webhook_registered_before_gets_nothing(
        service, known, bus, rpc, receiver, start_service):
    hook = register(rpc, receiver, "/inside", "unit:U001")  # allowed: private addresses are by default
    service.stop()
    start_service(NotificationService, WEBHOOK_RETRY_DELAYS=[0.1], WEBHOOK_ALLOW_PRIVATE=False)
    bus("pairing_rejected", s.pairing("p1", "c1", "U001", status="rejected"))
    [failed] = wait_for_delivery(rpc, hook["id"], "failed")
    assert (failed["attempts"], failed["last_status"]) == (2, None)
    assert receiver.at("/inside") == []


def test_pages_of_deliveries_by_status_follow_each_attempt(service, known, bus, rpc, receiver, redis_client):
    receiver.statuses["/paged"] = [503]
    hook = register(rpc, receiver, "/paged", "unit:U001")
    for number in range(3):
        bus("pairing_approved", s.pairing(f"p-down-{number}", "c1", "U001", status="approved"))
    *_, oldest_failed = wait_for_delivery(rpc, hook["id"], "failed", count=3)
    receiver.statuses["/paged"] = [200]
    for number in range(2):
        bus("pairing_approved", s.pairing(f"p-up-{number}", "c1", "U001", status="approved"))
    wait_for_delivery(rpc, hook["id"], "delivered", count=2)
    rpc().notification.redeliver(oldest_failed["id"])
    wait_for_delivery(rpc, hook["id"], "delivered", count=3)
    listed = rpc().notification.list_deliveries
    everything = every_page(listed, limit=2, webhook_id=hook["id"])
    assert [d["status"] for d in everything] == ["delivered", "delivered", "failed", "failed", "delivered"]
    for status in ("pending", "delivered", "failed"):
        assert every_page(listed, webhook_id=hook["id"], status=status) == [
            d for d in everything if d["status"] == status]
    rpc().notification.delete_webhook(hook["id"])
    assert redis_client.keys(f"notification:deliveries:{hook['id']}*") == []


def test_a_repeated_or_restated_event_is_delivered_once(service, known, bus, rpc, receiver, service_config,
                                                       redis_client):
    hook = register(rpc, receiver, "/once", "unit:U001")
    data = s.pairing("p-once", "c1", "U001", status="approved")
    event = bus("pairing_approved", data, seq=2)
    [delivery] = wait_for_delivery(rpc, hook["id"], "delivered")
    publish_envelope(service_config["AMQP_URI"], event)
    redis_client.delete(f"notification:handled:notify:{event['event_id']}")
    with entrypoint_waiter(service, "notify"):
        publish_envelope(service_config["AMQP_URI"], event)
    with entrypoint_waiter(service, "notify"):
        bus("pairing_approved", data, seq=2)
    assert deliveries(rpc, hook["id"]) == [delivery]
    assert redis_client.zcard("notification:delivery:due") == 0
    assert len(receiver.at("/once")) == 1


@pytest.mark.parametrize("settings", [{"WEBHOOK_TIMEOUT": 4, "WEBHOOK_RETRY_DELAYS": [60]}])
def test_a_slow_receiver_holds_up_neither_other_webhooks_nor_inboxes(service, known, bus, rpc, receiver,
                                                                    wait_for_inbox):
    receiver.delays["/slow"] = 8
    slow = register(rpc, receiver, "/slow", "unit:SLOW")
    fast = register(rpc, receiver, "/fast", "unit:FAST")
    bus("pairing_approved", s.pairing("p-slow", "c1", "SLOW", status="approved"))
    receiver.wait_for("/slow")
    bus("pairing_approved", s.pairing("p-fast", "c1", "FAST", status="approved"))
    wait_for_inbox("unit:FAST")
    wait_for_delivery(rpc, fast["id"], "delivered")
    [waiting] = deliveries(rpc, slow["id"])
    assert (waiting["status"], waiting["attempts"]) == ("pending", 0)
    [timed_out] = wait_for_delivery(rpc, slow["id"], "pending", attempts=1)
    assert timed_out["last_status"] is None and timed_out["next_attempt_at"] is not None


@pytest.mark.parametrize("settings", [{"WEBHOOK_TIMEOUT": 8, "WEBHOOK_RETRY_DELAYS": [60]}])
def test_many_dead_receivers_at_once_hold_up_no_live_one(service, known, bus, rpc, receiver):
    # 60 webhooks whose receiver hangs, each with an attempt under way: more than a small pool of
    # attempts (the old cap was 50) would hold, so the live webhook would wait for their timeout.
    # The timeout is long enough for the checks below to end inside it on a slow machine.
    receiver.delays["/dead"] = 16
    dead = [register(rpc, receiver, "/dead", "unit:SLOW") for _ in range(60)]
    live = register(rpc, receiver, "/live", "unit:FAST")
    bus("pairing_approved", s.pairing("p-slow", "c1", "SLOW", status="approved"))
    receiver.wait_for("/dead", count=len(dead))
    bus("pairing_approved", s.pairing("p-fast", "c1", "FAST", status="approved"))
    wait_for_delivery(rpc, live["id"], "delivered")
    listing = rpc().notification  # one proxy: 60 lists well inside the dead attempts' timeout (0.5 s here)
    waiting = [delivery for hook in dead for delivery in listing.list_deliveries(hook["id"])["items"]]
    assert len(waiting) == len(dead)
    assert {(d["status"], d["attempts"]) for d in waiting} == {("pending", 0)}


@pytest.mark.parametrize("settings", [{"WEBHOOK_TIMEOUT": 5}])
def test_a_slow_receiver_with_a_backlog_gets_a_few_attempts_at_once(service, known, bus, rpc, receiver):
    receiver.delays["/backlog"] = 3
    hook = register(rpc, receiver, "/backlog", "unit:U001")
    for number in range(PER_WEBHOOK + 3):
        bus("pairing_approved", s.pairing(f"p-{number}", "c1", "U001", status="approved"))
    wait_for_delivery(rpc, hook["id"], "delivered", count=PER_WEBHOOK + 3, timeout=20)
    assert receiver.most_open["/backlog"] == PER_WEBHOOK


def test_a_deleted_webhook_gets_nothing_more(service, known, bus, rpc, receiver, wait_for_inbox):
    hook = register(rpc, receiver, "/gone", "unit:U001")
    own = rpc("unit", unit="U001").notification
    deleted = own.delete_webhook(hook["id"], request_id="del-1")
    assert deleted["id"] == hook["id"] and deleted["deleted_at"]
    assert own.delete_webhook(hook["id"], request_id="del-1") == deleted
    bus("pairing_approved", s.pairing("p1", "c1", "U001", status="approved"))
    wait_for_inbox("unit:U001")
    assert own.list_webhooks()["items"] == [] and receiver.at("/gone") == []
