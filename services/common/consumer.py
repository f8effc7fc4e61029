"""`reliable_event_handler`: nameko's `event_handler` made safe for at-least-once delivery, and
`handles(source, *event_types)`, the one way a service declares its handlers.

- a repeated `event_id` changes nothing (the mark is checked and written in the handler's own
  transaction, which stops at once on a mark: one check, no look-up before the worker);
- an event its source service's broker user did not publish (contract §6: `user_id`, or this
  service's own with `x-first-publisher`), a body over 4 MiB or not a JSON object, and an invalid
  envelope go straight to `<service>.dead-letter`, never acted on and never logged;
- a handler that raises is retried after each of EVENT_RETRY_DELAYS through a TTL queue, the
  message behind it flowing meanwhile, then dead-lettered with the error and the attempt count;
- nothing is acked before it is handled, scheduled for retry or dead-lettered;
- the handler runs with the event's correlation id, so the events it emits carry it on."""
import logging
import time
from datetime import datetime, timezone
from functools import partial

from nameko.containers import ContainerBeingKilled
from nameko.events import SERVICE_POOL, EventHandler

from . import amqp_names, correlation, handled, metrics
from .amqp_names import ATTEMPTS, FIRST_PUBLISHER
from .broker_users import UNTRUSTED, login, trusted
from .errors import ValidationError
from .events import validate_event
from .logs import error_summary, quiet_expected_errors
from .raw_messages import RawQueueConsumer, Refused, json_object
from .settings import delays
from .storage import resources

log = logging.getLogger(__name__)


def attempts_so_far(message):
    return int((message.headers or {}).get(ATTEMPTS, 0))


class RawEventConsumer(RawQueueConsumer):
    """Hands event handlers the undecoded message: the handler checks its publisher, then its body."""

    def screen(self, provider, message):
        self.handle_message(provider, None, message)


class ReliableEventHandler(EventHandler):
    queue_consumer = RawEventConsumer()

    def __init__(self, source_service, event_type, **kwargs):
        # Every failure is "expected": it is retried and logged in one line here, not by nameko.
        super().__init__(source_service, event_type, handler_type=SERVICE_POOL, reliable_delivery=True,
                         requeue_on_error=False, expected_exceptions=(Exception,), **kwargs)

    def setup(self):
        config = self.container.config
        self.service = self.container.service_name
        self.delays = delays(config, "EVENT_RETRY_DELAYS", amqp_names.DEFAULT_DELAYS)
        shared = resources(self.container)
        self.client = shared.client
        self.bus = shared.bus
        quiet_expected_errors()
        super().setup()
        self.queue = amqp_names.consumer_queue(self.source_service, self.event_type, self.service, self.method_name)
        self.own_user = login(config["AMQP_URI"])
        self.source_user = f"{config.get('AMQP_USER_PREFIX') or ''}{self.source_service}"

    def handled_key(self, worker_ctx):
        return self._mark(worker_ctx.args[0]["event_id"])

    def _mark(self, event_id):
        return handled.mark_key(self.service, self.method_name, event_id)

    def handle_message(self, _undecoded, message):
        if not trusted(message.properties, message.headers, self.source_user, self.own_user):
            self._untrusted(message)
            return
        try:
            body = json_object(message)
        except Refused as refusal:
            self._give_up(message, None, f"ValidationError: {refusal}", attempts_so_far(message) + 1)
            return
        claimed = body.get("source")
        if isinstance(claimed, str) and claimed != self.source_service:
            # Published on this source's exchange by its user, but in another service's name: that
            # service's user did not publish it (contract §6), whatever the exchange vouches for.
            self._untrusted(message, " for another source")
            return
        try:
            validate_event(body)
            if (body["source"], body["event_type"]) != (self.source_service, self.event_type):
                raise ValidationError.field("event_type", "事件类型与队列不符(Event does not belong here).")
        except ValidationError as err:
            self._give_up(message, body, f"ValidationError: {err}", attempts_so_far(message) + 1)
            return
        try:
            context = {correlation.KEY: body.get("correlation_id") or correlation.new_correlation_id()}
            self.container.spawn_worker(self, (body,), {}, context_data=context,
                                        handle_result=partial(self.timed_result, message, time.monotonic()))
        except ContainerBeingKilled:
            self.queue_consumer.requeue_message(message)

    def _untrusted(self, message, why=""):
        publisher = message.properties.get("user_id") or "none"
        self._give_up(message, None, f"{UNTRUSTED}: user_id {publisher}{why}", attempts_so_far(message) + 1)

    def timed_result(self, message, started, worker_ctx, result=None, exc_info=None):
        outcome = "ok" if exc_info is None else exc_info[0].__name__
        metrics.observe_handler(self.service, self.method_name, self.event_type, outcome, time.monotonic() - started)
        return self.handle_result(message, worker_ctx, result, exc_info)

    def handle_result(self, message, worker_ctx, result=None, exc_info=None):
        body = worker_ctx.args[0]
        if exc_info is not None and issubclass(exc_info[0], handled.AlreadyHandled):
            # A concurrent redelivery committed first: nothing to do but let this copy go.
            metrics.EVENTS_DUPLICATE.labels(self.service, self.event_type).inc()
            self.queue_consumer.ack_message(message)
            return None, None
        if exc_info is None:
            self._finish(message, body, handled.Committed.of_worker(worker_ctx).value)
            return result, None
        error = error_summary(exc_info[1])
        attempt = attempts_so_far(message) + 1
        if attempt <= len(self.delays):
            self._retry(message, body, error, attempt)
        else:
            self._give_up(message, body, error, attempt)
        return result, exc_info

    def _finish(self, message, body, marked):
        try:
            if not marked:
                handled.mark_unless_marked(self.client, self._mark(body["event_id"]))
        except Exception as exc:
            # Acked anyway: the handler's transaction already wrote the mark if it changed state.
            log.warning("handled mark for %s not written (%s)", body["event_id"], type(exc).__name__)
        metrics.EVENTS_HANDLED.labels(self.service, self.event_type).inc()
        self.queue_consumer.ack_message(message)

    def _retry(self, message, body, error, attempt):
        seconds = self.delays[attempt - 1]
        queue = self.queue.name
        headers = {ATTEMPTS: attempt, amqp_names.LAST_ERROR: error, amqp_names.ORIGINAL_QUEUE: queue,
                   FIRST_PUBLISHER: self.source_user}
        self._forward(message, lambda: self.bus.send(
            amqp_names.retry_exchange(self.service), f"{amqp_names.delay_ms(seconds)}.{queue}", message, headers,
            declare=[amqp_names.retry_queue(self.service, seconds)]))
        log.warning("event %s %s failed (attempt %d, %s); retry in %ss",
                    self.event_type, body.get("event_id"), attempt, error.split(":")[0], seconds)
        metrics.EVENT_RETRIES.labels(self.service, self.event_type).inc()

    def _give_up(self, message, body, error, attempt):
        dead_letter = amqp_names.dead_letter_queue(self.service)
        headers = {ATTEMPTS: attempt, amqp_names.ERROR: error, amqp_names.ORIGINAL_QUEUE: self.queue.name,
                   amqp_names.EVENT_TYPE: self.event_type,
                   amqp_names.DEAD_LETTERED_AT: datetime.now(timezone.utc).isoformat()}
        if not error.startswith(UNTRUSTED):  # vouched for only once its user_id was checked
            headers[FIRST_PUBLISHER] = self.source_user
        self._forward(message, lambda: self.bus.send(amqp_names.dead_letter_exchange(self.service),
                                                     dead_letter.name, message, headers, declare=[dead_letter]))
        log.error("event %s %s dead-lettered after %d attempts: %s",
                  self.event_type, body.get("event_id") if isinstance(body, dict) else None, attempt,
                  error.split(":")[0])
        metrics.EVENTS_DEAD_LETTERED.labels(self.service, self.event_type).inc()

    def _forward(self, message, publish):
        """Ack only once the copy is confirmed; if the broker refuses, the original comes back."""
        try:
            publish()
        except Exception as exc:
            log.warning("could not move event (%s); requeued", type(exc).__name__)
            self.queue_consumer.requeue_message(message)
            return
        self.queue_consumer.ack_message(message)


reliable_event_handler = ReliableEventHandler.decorator


def handles(source, *event_types):
    """Declare the decorated method the reliable handler of each of `source`'s `event_types`
    (one queue per event type, contract §4): `@handles("pairing", "pairing_approved", ...)`."""
    if not event_types:
        raise TypeError("handles() needs at least one event type")

    def decorate(method):
        for event_type in event_types:
            method = reliable_event_handler(source, event_type)(method)
        return method
    return decorate
