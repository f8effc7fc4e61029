"""Webhook rules without Redis or RabbitMQ (contract §8): subscriptions, which deliveries a
notification makes, the signature, the retry schedule, re-arming, the arguments' checks, and the
service's handlers against the tables they serve."""
import hashlib
import hmac
import json
from datetime import datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from nameko.cli.run import import_service

from services.common import clock
from services.common.errors import ValidationError
from services.common.ids import is_id
from services.common.schemas import load
from services.notification import domain, domain_webhooks
from services.notification.recipients import RECIPIENTS
from services.notification.schemas import RegisterWebhookArgs
from services.notification.service import NotificationService
from tests.service.notification import events as s

NOW = datetime(2025, 3, 10, 9, 0, tzinfo=clock.CAMPAIGN_TZ)
DELAYS = (10, 60, 300)


def notification(recipient="unit:U001", event_type="pairing_approved"):
    event = s.envelope(event_type, s.pairing("p1", "c1", "U001", status="approved"))
    return domain.new_notification(event, recipient, "标题", "正文", domain.SKIPPED, NOW)


def hook(hook_id="w0000000000000001", recipient="unit:U001", event_types=None):
    return domain_webhooks.new_webhook(hook_id, recipient, "http://127.0.0.1/h",
                                event_types or domain_webhooks.subscribed_types(recipient, None), NOW)


@pytest.mark.parametrize("recipient, expected", [
    ("committee", s.TO_COMMITTEE | {"issue_forwarded", "issue_transferred"}),
    ("unit:U001", s.TO_UNIT),
    ("department:elderly-care", s.TO_DEPARTMENT),
])
def test_by_default_a_webhook_takes_everything_its_recipient_is_told_of(recipient, expected):
    assert set(domain_webhooks.subscribed_types(recipient, None)) == expected


def test_a_type_the_recipient_never_gets_is_refused():
    with pytest.raises(ValidationError) as error:
        domain_webhooks.subscribed_types("department:elderly-care", ["issue_forwarded", "summary_requested"])
    assert list(error.value.messages) == ["webhook.event_types"]
    assert domain_webhooks.subscribed_types("unit:U001", ["issue_answered"]) == ["issue_answered"]


def test_a_notification_makes_one_delivery_per_webhook_of_its_recipient_that_takes_it():
    note = notification()
    mine, chosen_other = hook("w0000000000000001"), hook("w0000000000000002", event_types=["issue_answered"])
    others = hook("w0000000000000003", recipient="unit:U002")
    [delivery] = domain_webhooks.deliveries_for(note, [mine, chosen_other, others], NOW)
    assert delivery == {
        "id": domain_webhooks.delivery_id(mine["id"], note["id"]), "webhook_id": mine["id"], "event_id": note["event_id"],
        "event_type": "pairing_approved", "status": "pending", "attempts": 0, "last_status": None,
        "last_attempt_at": None, "next_attempt_at": clock.iso(NOW), "created_at": clock.iso(NOW),
        "updated_at": clock.iso(NOW), "revision": 1}
    assert is_id("delivery", delivery["id"])
    # The same fact again (any event_id) gives the same delivery id.
    assert domain_webhooks.deliveries_for(note, [mine], NOW)[0]["id"] == delivery["id"]


def test_the_signature_is_the_hex_hmac_sha256_of_the_body():
    body = json.dumps({"event_id": "e1", "data": {"name": "养老服务司"}}, ensure_ascii=False).encode()
    expected = hmac.new(b"0123456789abcdef", body, hashlib.sha256).hexdigest()
    assert domain_webhooks.signature(body, "0123456789abcdef") == f"sha256={expected}"
    delivery = domain_webhooks.deliveries_for(notification(), [hook()], NOW)[0]
    headers = domain_webhooks.request_headers(delivery, body, "0123456789abcdef")
    assert headers["X-Leifeng-Signature-256"] == f"sha256={expected}"
    assert (headers["X-Leifeng-Event"], headers["X-Leifeng-Delivery"]) == ("pairing_approved", delivery["id"])


@pytest.mark.parametrize("status", [200, 201, 204, 299])
def test_any_2xx_is_delivered(status):
    delivery = domain_webhooks.deliveries_for(notification(), [hook()], NOW)[0]
    done, delay = domain_webhooks.attempted(delivery, status, DELAYS, NOW)
    assert delay is None
    assert {k: done[k] for k in ("status", "attempts", "last_status", "last_attempt_at", "next_attempt_at")} == {
        "status": "delivered", "attempts": 1, "last_status": status, "last_attempt_at": clock.iso(NOW),
        "next_attempt_at": None}


def test_anything_else_is_retried_after_each_delay_then_failed():
    delivery = domain_webhooks.deliveries_for(notification(), [hook()], NOW)[0]
    waits = []
    for answer in (500, None, 302, 404):
        delivery, delay = domain_webhooks.attempted(delivery, answer, DELAYS, NOW)
        waits.append(delay)
        assert delivery["last_status"] == answer
    assert waits == [10, 60, 300, None]
    assert (delivery["status"], delivery["attempts"], delivery["next_attempt_at"]) == ("failed", 4, None)


def test_a_retry_is_due_after_its_delay():
    delivery = domain_webhooks.deliveries_for(notification(), [hook()], NOW)[0]
    waiting, delay = domain_webhooks.attempted(delivery, 503, DELAYS, NOW)
    assert waiting["status"] == "pending" and waiting["next_attempt_at"] == clock.iso(NOW + timedelta(seconds=delay))


def test_re_arming_starts_a_fresh_schedule_and_keeps_the_last_answer():
    delivery = domain_webhooks.deliveries_for(notification(), [hook()], NOW)[0]
    for _ in range(len(DELAYS) + 1):
        delivery, _ = domain_webhooks.attempted(delivery, 503, DELAYS, NOW)
    rearmed = domain_webhooks.rearmed(delivery, NOW)
    assert (rearmed["id"], rearmed["status"], rearmed["attempts"], rearmed["last_status"]) == \
        (delivery["id"], "pending", 0, 503)
    assert rearmed["revision"] == delivery["revision"] + 1


@pytest.mark.parametrize("address, private", [
    ("127.0.0.1", True), ("::1", True), ("10.0.0.1", True), ("172.16.5.4", True), ("192.168.1.1", True),
    ("169.254.169.254", True), ("fe80::1%eth0", True), ("fd00::1", True), ("0.0.0.0", True),
    ("93.184.216.34", False), ("2606:2800:220:1::1", False)])
def test_which_addresses_are_private(address, private):
    assert domain_webhooks.is_private(address) is private


def spec(**more):
    return {"webhook": {"recipient": "unit:U001", "url": "https://hooks.example.org/leifeng?x=1",
                        "secret": "0123456789abcdef", **more}}


def test_a_good_registration_loads_with_its_defaults():
    assert load(RegisterWebhookArgs, spec()) == {**spec(), "webhook": {**spec()["webhook"], "event_types": None},
                                                 "request_id": None}


@pytest.mark.parametrize("url", [
    "https://hooks.example.org", "http://10.0.0.5:8080/in", "http://[::1]:9000/x", "https://例子.example/"])
def test_urls_are_http_or_https_with_a_host_in_printable_ascii(url):
    if url.isascii():
        assert load(RegisterWebhookArgs, spec(url=url))["webhook"]["url"] == url
    else:
        with pytest.raises(ValidationError) as error:
            load(RegisterWebhookArgs, spec(url=url))
        assert list(error.value.messages) == ["webhook.url"]


@pytest.mark.parametrize("url", [
    "http://127.0.0.1:0/x", "http://hooks.example.org:65536/", f"http://{'a' * 64}.example.org/",
    f"http://{'.'.join(['abcdefghi'] * 26)}/", "http://hooks..example.org/", "http://hooks%2eexample.org/"])
def test_a_url_that_could_never_be_delivered_to_is_refused(url):
    with pytest.raises(ValidationError) as error:
        load(RegisterWebhookArgs, spec(url=url))
    assert list(error.value.messages) == ["webhook.url"]


@pytest.mark.parametrize("url", [
    f"http://{'a' * 63}.example.org/", "http://receiver_1.cluster.local:8080/in", "https://hooks.example.org./x",
    "http://127.0.0.1:65535/"])
def test_a_host_within_the_dns_limits_is_taken(url):
    assert load(RegisterWebhookArgs, spec(url=url))["webhook"]["url"] == url


def test_the_service_handles_exactly_the_tables_event_types():
    handled = {}
    for name in ("notify", "keep_directory"):
        method = getattr(NotificationService, name)
        handled[name] = {entrypoint.event_type for entrypoint in getattr(method, "nameko_entrypoints", ())}
    assert handled == {"notify": set(RECIPIENTS), "keep_directory": set(domain.DIRECTORY)}


def test_nameko_run_finds_the_one_service_in_the_module():
    """A mixin class with entrypoints imported by name would be taken for a second service."""
    assert import_service("services.notification.service") == [NotificationService]


JSON = st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
                    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(), inner, max_size=3),
                    max_leaves=8)
URLISH = st.builds(lambda scheme, host, rest: f"{scheme}{host}{rest}", st.sampled_from(["http://", "https://", ""]),
                   st.text(max_size=20), st.text(max_size=20))


@settings(max_examples=300, deadline=None)
@given(recipient=JSON | st.sampled_from(["committee", "unit:U001"]), url=JSON | URLISH,
       event_types=JSON | st.lists(st.sampled_from(sorted(RECIPIENTS)), max_size=4), secret=JSON)
def test_any_registration_input_loads_or_is_a_validation_error(recipient, url, event_types, secret):
    args = {"webhook": {"recipient": recipient, "url": url, "event_types": event_types, "secret": secret}}
    try:
        loaded = load(RegisterWebhookArgs, args)["webhook"]
        domain_webhooks.subscribed_types(loaded["recipient"], loaded["event_types"])
    except ValidationError as error:
        assert all(path.startswith("webhook") for path in error.messages)
