"""Webhook rules on plain dicts (contract §8): what a webhook may subscribe to, which deliveries an
inbox notification makes, how a delivery is signed, and what an attempt's answer makes of it."""
import hashlib
import hmac
import ipaddress
from datetime import timedelta

from services.common import clock
from services.common.errors import ValidationError
from services.common.ids import derived_id
from services.common.records import created, revised

from .recipients import audience_of, event_types_of

PENDING, DELIVERED, FAILED = "pending", "delivered", "failed"
DELIVERY_STATUSES = (PENDING, DELIVERED, FAILED)
SIGNATURE_HEADER = "X-Leifeng-Signature-256"


def subscribed_types(recipient, requested):
    """The event types a new webhook gets: all its recipient is told of by default; a type the
    recipient never gets is refused rather than silently never delivered."""
    allowed = event_types_of(audience_of(recipient))
    if requested is None:
        return allowed
    unknown = sorted(set(requested) - set(allowed))
    if unknown:
        raise ValidationError.field(
            "webhook.event_types", f"收件人不会收到这些事件(Never delivered to this recipient): {', '.join(unknown)}")
    return list(requested)


def is_private(address):
    """Loopback, private, link-local and other non-public addresses (receivers inside the cluster)."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    return not ip.is_global


def new_webhook(webhook_id, recipient, url, event_types, now):
    return created(webhook_id, now, recipient=recipient, url=url, event_types=list(event_types))


def deleted(webhook, now):
    """A deleted webhook is kept (without its secret and deliveries) so a repeated delete finds it."""
    return revised(webhook, now, deleted_at=clock.iso(now))


def delivery_id(webhook_id, notification_id):
    """One delivery per webhook and notification, and so per webhook and fact (see domain.notification_id)."""
    return derived_id("delivery", [webhook_id, notification_id])


def deliveries_for(notification, webhooks, now):
    """A pending delivery of `notification`'s event for each of its recipient's webhooks that takes it."""
    return [created(delivery_id(hook["id"], notification["id"]), now, webhook_id=hook["id"],
                    event_id=notification["event_id"], event_type=notification["event_type"], status=PENDING,
                    attempts=0, last_status=None, last_attempt_at=None, next_attempt_at=clock.iso(now))
            for hook in webhooks
            if hook["recipient"] == notification["recipient"] and notification["event_type"] in hook["event_types"]]


def signature(body, secret):
    """`sha256=<hex HMAC-SHA256 of the body bytes with the webhook's secret>`."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def request_headers(delivery, body, secret):
    return {"Content-Type": "application/json; charset=utf-8", "X-Leifeng-Event": delivery["event_type"],
            "X-Leifeng-Delivery": delivery["id"], SIGNATURE_HEADER: signature(body, secret)}


def attempted(delivery, http_status, delays, now):
    """(delivery, seconds until the next attempt or None) after one attempt: any 2xx is delivered;
    anything else (`http_status` None = no answer in time) is retried after each of `delays`, then failed."""
    attempts = delivery["attempts"] + 1
    done = {"attempts": attempts, "last_status": http_status, "last_attempt_at": clock.iso(now)}
    if http_status is not None and 200 <= http_status < 300:
        return revised(delivery, now, status=DELIVERED, next_attempt_at=None, **done), None
    if attempts <= len(delays):
        delay = delays[attempts - 1]
        due = clock.iso(now + timedelta(seconds=delay))
        return revised(delivery, now, status=PENDING, next_attempt_at=due, **done), delay
    return revised(delivery, now, status=FAILED, next_attempt_at=None, **done), None


def rearmed(delivery, now):
    """The same delivery, due now with a fresh retry schedule (its last answer is kept)."""
    return revised(delivery, now, status=PENDING, attempts=0, next_attempt_at=clock.iso(now))
