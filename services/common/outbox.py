"""The transactional outbox: events are staged in Redis with the state change that caused them,
published right after, a transaction's events (or a relay's batch) together with one wait for all
their publisher confirms, and removed only once the broker confirmed them. A relay publishes
whatever a crash, a broker outage or a nack left behind."""
import json
import logging
import time
import uuid

import eventlet
from amqp.exceptions import MessageNacked
from nameko.amqp.publish import Publisher, UndeliverableMessage
from nameko.constants import PERSISTENT

from . import metrics
from .amqp_names import event_exchange
from .broker_users import login
from .confirms import ACKED, CONFIRM_TIMEOUT, NACKED, RETURNED, ConfirmChannels

log = logging.getLogger(__name__)

RELEASE_LOCK = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end return 0"
# A relay batch may wait CONFIRM_TIMEOUT twice (an idle channel found broken, then a new one) plus
# the reconnection: the lock outlasts that, so a slow broker does not get the batch from two relays.
RELAY_LOCK_MS = (2 * CONFIRM_TIMEOUT + 5) * 1000
RETRY_POLICY = {"max_retries": 2, "interval_start": 0.2, "interval_step": 0.4, "interval_max": 1}


class Bus:
    """Publishes envelopes to `<source>.events`. Headers carry no caller context, token included.

    Every message carries `user_id`, the user this process connects as: the broker refuses any
    other, so consumers know who really published it (contract §6)."""

    def __init__(self, amqp_uri):
        self.user = login(amqp_uri)
        self.publisher = Publisher(
            amqp_uri, use_confirms=True, mandatory=True, serializer="json",
            delivery_mode=PERSISTENT, retry=True, retry_policy=RETRY_POLICY)
        self.channels = ConfirmChannels(amqp_uri, RETRY_POLICY)
        self.exchanges = {}  # source -> its events exchange, made once (a kombu Exchange costs ~10 µs)

    def publish_all(self, staged, outcomes):
        """Publish `staged` events ([(envelope, body)], mandatory, persistent) and wait once for all
        their confirms: `outcomes[event_id]` is ACKED, RETURNED (no queue bound) or NACKED; raises if
        the broker could not be reached or did not answer, leaving there what it settled before."""
        messages = []
        for envelope, body in staged:
            exchange = self._exchange(envelope["source"])
            # The body as staged: given its content type, kombu sends it as it is, not encoded again.
            messages.append((envelope["event_id"], body, {
                "exchange": exchange, "routing_key": envelope["event_type"], "declare": [exchange],
                "content_type": "application/json", "content_encoding": "utf-8",
                "mandatory": True, "delivery_mode": PERSISTENT, "headers": {}, "user_id": self.user}))
        self.channels.publish(messages, outcomes)

    def _exchange(self, source):
        if source not in self.exchanges:
            self.exchanges[source] = event_exchange(source)
        return self.exchanges[source]

    def publish(self, envelope):
        """One envelope; UndeliverableMessage when no queue is bound for it."""
        outcomes = {}
        self.publish_all([(envelope, encoded(envelope))], outcomes)
        if outcomes[envelope["event_id"]] == RETURNED:
            raise UndeliverableMessage()
        if outcomes[envelope["event_id"]] == NACKED:
            raise MessageNacked()

    def close(self, graceful=True):
        """Close the connections kept for confirms (at the container's stop, or a short-lived Bus:
        a script, a test); not `graceful` when killed, since the broker may not answer."""
        self.channels.close(graceful)

    def send(self, exchange, routing_key, message, headers, declare=()):
        """Move a received message, body untouched, on this service's own retry and dead-letter paths."""
        self.publisher.publish(
            message.body, exchange=exchange, routing_key=routing_key, headers=headers, declare=list(declare),
            mandatory=False, user_id=self.user, content_type=message.content_type or "application/octet-stream",
            content_encoding=message.content_encoding or "binary")


def encoded(envelope):
    """An event's body, as the outbox stages it and the bus publishes it."""
    return json.dumps(envelope, ensure_ascii=False)


class Outbox:
    def __init__(self, client, prefix, service, bus, forget_later=False):
        self.client = client
        self.service = service
        self.bus = bus
        self.entries = f"{prefix}outbox"
        self.staged = f"{prefix}outbox:staged"
        self.lock = f"{prefix}outbox:relay-lock"
        # In a service, published entries are removed by one green thread once the call has answered
        # (or the handler acked): a round trip off their path, and under load one for many calls.
        self.forget_later = forget_later
        self.forgettable, self.forgetter = [], None

    def stage(self, pipe, envelopes):
        """Queue the events on a MULTI pipeline, so they commit with the state change; returns them
        as staged ([(envelope, body)]) for `publish`, which sends the same bodies."""
        staged = [(envelope, encoded(envelope)) for envelope in envelopes]
        if not staged:
            return staged
        stamp = time.time()
        # One command each for all of them: every command queued in a MULTI costs a reply to parse.
        pipe.hset(self.entries, mapping={envelope["event_id"]: body for envelope, body in staged})
        pipe.zadd(self.staged, {envelope["event_id"]: stamp for envelope, _ in staged})
        return staged

    def publish(self, staged):
        """Publish what `stage` returned with one wait for their confirms, then forget the settled
        ones in one round trip: now, or soon after with others' (`forget_later`). Until then they are
        only staged: a crash meanwhile has them published again, which consumers take as a duplicate."""
        settled = self._send(staged)
        if not self.forget_later:
            self._forget(settled)
        elif settled:
            self.forgettable.extend(settled)
            if self.forgetter is None:
                self.forgetter = eventlet.spawn(self._forget_pending)

    def _forget_pending(self):
        try:
            while self.forgettable:
                event_ids, self.forgettable = self.forgettable, []
                self._forget(event_ids)
        finally:
            self.forgetter = None

    def settle(self):
        """Wait until what was published so far is forgotten (a service stopping)."""
        if self.forgetter is not None:
            self.forgetter.wait()

    def _send(self, staged):
        """The ids of the events the broker took (or had no queue for); the others stay staged."""
        if not staged:
            return []
        outcomes, error = {}, None
        try:
            self.bus.publish_all(staged, outcomes)
        except Exception as exc:
            error = type(exc).__name__
        settled = []
        for envelope, _ in staged:
            if self._settled(envelope, outcomes.get(envelope["event_id"]), error):
                settled.append(envelope["event_id"])
        return settled

    def _settled(self, envelope, outcome, error):
        event_type, event_id = envelope["event_type"], envelope["event_id"]
        if outcome == ACKED:
            metrics.EVENTS_PUBLISHED.labels(self.service, event_type).inc()
            # The relay runs outside any worker: the line names the event's own correlation id.
            log.info("event %s %s published", event_type, event_id, extra={
                "correlation_id": envelope.get("correlation_id"), "event_id": event_id, "event_type": event_type})
            return True
        if outcome == RETURNED:
            # Nobody subscribes to it yet; topology declares every consumer queue up front.
            log.info("event %s %s unroutable: no queue bound", event_type, event_id)
            metrics.EVENTS_UNROUTABLE.labels(self.service, event_type).inc()
            return True
        log.warning("event %s %s not published yet (%s); the relay retries it",
                    event_type, event_id, "nacked" if outcome == NACKED else error)
        return False

    def _forget(self, event_ids):
        if not event_ids:
            return
        try:
            # Not a MULTI: each removal stands alone, an entry left staged is only published again.
            pipe = self.client.pipeline(transaction=False)
            pipe.hdel(self.entries, *event_ids)
            pipe.zrem(self.staged, *event_ids)
            pipe.execute()
        except Exception as exc:
            # They stay staged and will be published again: consumers are idempotent.
            log.warning("%d outbox entries not removed (%s)", len(event_ids), type(exc).__name__)

    def relay(self, older_than, batch=200):
        """Publish entries staged more than `older_than` seconds ago; one relay at a time."""
        token = uuid.uuid4().hex
        if not self.client.set(self.lock, token, nx=True, px=max(int(older_than * 3000), RELAY_LOCK_MS)):
            return 0
        try:
            ids = self.client.zrangebyscore(self.staged, "-inf", time.time() - older_than, start=0, num=batch)
            entries = dict(zip(ids, self.client.hmget(self.entries, ids) if ids else []))
            sent = self._send([(json.loads(raw), raw) for raw in entries.values() if raw is not None])
            # Published, or its entry already gone: unstaged either way.
            self._forget(sent + [event_id for event_id, raw in entries.items() if raw is None])
            return len(sent)
        finally:
            # Only our own lock: one that expired meanwhile may now be another relay's.
            self.client.eval(RELEASE_LOCK, 1, self.lock, token)

    def backlog(self):
        return self.client.zcard(self.staged)

    def oldest_age(self):
        """Seconds since the oldest entry still staged was written (0 when none is)."""
        oldest = self.client.zrange(self.staged, 0, 0, withscores=True)
        return max(0.0, time.time() - oldest[0][1]) if oldest else 0.0
