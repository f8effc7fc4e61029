"""Readiness: an instance whose Redis is out of reach stops taking work from its queues (RPC and
events) so that the other instances of its service take it, and resumes by itself once Redis
answers again. Without this it would keep taking calls and answer them `Unavailable`, and bounce
events into their retries, while a healthy instance stood idle.

`watch(shared, service)` (a managed thread of the container's `Storage`) pings Redis every
second and keeps `shared.ready`; each `PausableQueueConsumer` (the queue
consumer of our RPC and event entrypoints) compares it on every turn of its consume loop (at least
once a second) and cancels its AMQP consumers (basic.cancel) or starts them again. Messages
already delivered are still handled; nothing new arrives while paused. A service without Redis
(the gateway) is always ready, and so is one whose PAUSE_WITHOUT_REDIS is false (it keeps taking
work and answers `Unavailable`: a single instance whose callers prefer a quick 503 to waiting)."""
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
                log.warning("%s: Redis out of reach (%s); this instance stops consuming its queues", service, error)
        shared.ready = ready
        metrics.READY.labels(service).set(1 if ready else 0)
        eventlet.sleep(interval)


class PausableQueueConsumer(SteadyQueueConsumer):
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
        elif ready and self.paused:
            current = list(self._consumers.values())
            for consumer in self.paused:
                if any(consumer is kept for kept in current):  # one removed at shutdown stays cancelled
                    consumer.consume()
            self.paused = []
