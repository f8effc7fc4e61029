"""Webhook deliveries apart from the event handlers (a `JobLoop`, queue `delivery`, contract §8):
each due delivery is POSTed in its own green thread, at most WEBHOOK_TIMEOUT long, so a slow or
dead receiver holds up no other webhook and no inbox; retried after each of WEBHOOK_RETRY_DELAYS,
then failed."""
import logging
import resource
from collections import Counter
from dataclasses import dataclass

import eventlet
import requests

from services.common import correlation
from services.common.settings import delays, flag, number

from . import domain_webhooks, metrics
from .hosts import NotPublic, require_public
from .jobs import JobLoop

log = logging.getLogger(__name__)

DEFAULT_RETRY_DELAYS = [10, 60, 300, 1800, 7200]
# At most this many attempts to one webhook at once, so a dead receiver with a backlog holds a few
# of the loop's threads, never all of them; its other deliveries wait this long and are looked at again.
PER_WEBHOOK = 4
BUSY_WAIT_SECONDS = 1.0
# Attempts at once per process. An attempt waiting on a dead receiver costs a green thread and a
# socket, and a Redis connection when it records its outcome (attempts timing out together hold
# one each), so the cap is set by the open-file limit, not by CPU: high enough that even a couple
# of hundred dead receivers at once (each holding at most PER_WEBHOOK) leave room for the live ones
# (contract §8), and at most a quarter of the limit, leaving the rest for those Redis connections
# and the service's own.
MOST_ATTEMPTS_AT_ONCE = 1000


def attempts_at_once():
    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft == resource.RLIM_INFINITY:
        return MOST_ATTEMPTS_AT_ONCE
    return max(PER_WEBHOOK, min(MOST_ATTEMPTS_AT_ONCE, soft // 4))


@dataclass(frozen=True)
class WebhookSettings:
    timeout: float
    retry_delays: tuple
    allow_private: bool

    @classmethod
    def from_config(cls, config):
        private = config.get("WEBHOOK_ALLOW_PRIVATE")
        return cls(timeout=number(config, "WEBHOOK_TIMEOUT", 10),
                   retry_delays=tuple(delays(config, "WEBHOOK_RETRY_DELAYS", DEFAULT_RETRY_DELAYS)),
                   allow_private=True if private in (None, "") else flag(config, "WEBHOOK_ALLOW_PRIVATE"))


class WebhookSender(JobLoop):
    queue = "delivery"
    claim_at_most = 50
    pending_gauge = metrics.WEBHOOK_DELIVERIES_PENDING

    def setup(self):
        super().setup()
        self.settings = WebhookSettings.from_config(self.container.config)
        self.max_in_flight = attempts_at_once()
        self.in_flight = Counter()

    def attempt_seconds(self):
        return self.settings.timeout

    def run(self, delivery_id):
        job = self.store.delivery_job(delivery_id)
        if job is None:
            self.store.drop_delivery_job(delivery_id)
            return
        delivery, url, secret, body = job
        token = correlation.bind(correlation.of_envelope(body), service="notification", event_id=delivery["event_id"])
        try:
            self.attempt(delivery_id, delivery, url, secret, body)
        finally:
            correlation.unbind(token)

    def attempt(self, delivery_id, delivery, url, secret, body):
        hook_id = delivery["webhook_id"]
        if self.in_flight[hook_id] >= PER_WEBHOOK:
            self.store.postpone_job(self.queue, delivery_id, BUSY_WAIT_SECONDS)
            return
        self.in_flight[hook_id] += 1
        try:
            http_status = self.post(url, body, domain_webhooks.request_headers(delivery, body, secret))
        finally:
            self.in_flight[hook_id] -= 1
            if not self.in_flight[hook_id]:
                del self.in_flight[hook_id]
        self.record(delivery_id, http_status)

    def record(self, delivery_id, http_status):
        def outcome(current):
            return domain_webhooks.attempted(current, http_status, self.settings.retry_delays, self.store.now())

        updated = self.store.record_delivery_attempt(delivery_id, outcome)
        if updated is not None:
            self.count(updated)

    def post(self, url, body, headers):
        """The receiver's HTTP status, or None when it did not answer within the timeout (or at all).
        Redirects are not followed: a receiver answers itself or the attempt failed. While private
        addresses are not allowed, a host that is not public is not asked at all."""
        try:
            with eventlet.Timeout(self.settings.timeout):  # the name's look-up included
                if not self.settings.allow_private:
                    require_public(url)
                response = requests.post(url, data=body, headers=headers, timeout=self.settings.timeout,
                                         allow_redirects=False, stream=True)
                response.close()
                return response.status_code
        except NotPublic:
            log.warning("webhook delivery: host refused (not public)")
            return None
        except (eventlet.Timeout, requests.RequestException, OSError) as exc:
            log.info("webhook delivery: no answer (%s)", type(exc).__name__)
            return None

    @staticmethod
    def count(delivery):
        if delivery["status"] == domain_webhooks.DELIVERED:
            outcome = "delivered"
            log.info("webhook delivery %s: delivered (attempt %d)", delivery["id"], delivery["attempts"])
        else:
            outcome = "failed" if delivery["status"] == domain_webhooks.FAILED else "retry"
            log.warning("webhook delivery %s: attempt %d failed (HTTP %s)%s", delivery["id"], delivery["attempts"],
                        delivery["last_status"], "; given up" if outcome == "failed" else "")
        metrics.WEBHOOK_DELIVERIES.labels(outcome).inc()
