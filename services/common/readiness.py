"""Readiness: an instance whose Redis is out of reach stops taking events and steps back from its
calls, so that the other instances of its service take them, and resumes by itself once Redis
answers again. Without this it would keep taking calls and answer them `Unavailable`, and bounce
events into their retries, while a healthy instance stood idle.

Events wait in their queue while no instance can take them. Calls are not left waiting for nobody:
the instance's RPC consumer steps back (consumes again at a lower priority) rather than stopping,
so the broker hands it a call only when no instance with its Redis is there to take it (or all of
theirs are busy), and it answers that call `Unavailable` at once (contract §3: retry with the same
request_id) rather than let the caller time out. So with one Redis for all instances, or one
instance, callers are told at once; with an instance cut off alone, the others take its share.

`watch(shared, service)` (a managed thread of the container's `Storage`) pings Redis every
second and keeps `shared.ready`; each `PausableQueueConsumer` (the queue consumer of our RPC and
event entrypoints) compares it on every turn of its consume loop (at least once a second) and
cancels its AMQP consumers (basic.cancel; an RPC consumer then consumes again at the lower
priority) or starts them again. Messages already delivered are still handled. A service without
Redis (the gateway) is always ready, and so is one whose PAUSE_WITHOUT_REDIS is false (it keeps
taking every kind of work and answers `Unavailable`)."""
import logging

import eventlet

from . import metrics
from .steady_consumer import SteadyQueueConsumer

log = logging.getLogger(__name__)

INTERVAL = 1.0


def is_ready(container):
    shared = getattr(container, "leifeng_resources", None)
    return shared is None or shared.ready


def watch(shared, service, interval=INTERVAL):
    """Forever: ping Redis, keep `shared.ready` and the `leifeng_consuming` gauge."""
    while True:
        try:
            shared.client.ping()
            ready = True
        except Exception as exc:
            ready, error = False, type(exc).__name__
        if ready != shared.ready:
            if ready:
                log.warning("%s: Redis answers again; consuming resumes", service)
            else:
                log.warning("%s: Redis out of reach (%s); this instance takes no events and steps back from its calls",
                            service, error)
        shared.ready = ready
        metrics.READY.labels(service).set(1 if ready else 0)
        eventlet.sleep(interval)


class PausableQueueConsumer(SteadyQueueConsumer):
    # A consumer of RPC queues steps back (above) instead of pausing.
    steps_back = False

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.paused = []

    def on_consume_ready(self, connection, channel, consumers, **kwargs):
        # After a (re)connection every consumer is new and consuming; the next turn pauses it again.
        self.paused = []
        super().on_consume_ready(connection, channel, consumers, **kwargs)

    def on_iteration(self):
        super().on_iteration()
        ready = is_ready(self.container)
        if not ready and not self.paused and not self.should_stop:
            self.paused = list(self._consumers.values())
            for consumer in self.paused:
                consumer.cancel()
                if self.steps_back:
                    consume_at(consumer, STEPPED_BACK)
        elif ready and self.paused:
            current = list(self._consumers.values())
            for consumer in self.paused:
                if any(consumer is kept for kept in current):  # one removed at shutdown stays cancelled
                    consumer.cancel()
                    consume_at(consumer, None)
            self.paused = []


# RabbitMQ's consumer priority (`x-priority`): a queue delivers to a consumer of a lower priority
# only while every consumer of a higher one is absent or has its prefetch full.
STEPPED_BACK = {"x-priority": -1}


def consume_at(consumer, arguments):
    for queue in consumer.queues:
        queue.consumer_arguments = arguments
    consumer.consume()
