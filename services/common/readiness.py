"""Readiness: an instance whose Redis is out of reach stops taking work from its queues (RPC and
events) so that the other instances of its service take it, and resumes by itself once Redis
answers again. Without this it would keep taking calls and answer them `Unavailable`, and bounce
events into their retries, while a healthy instance stood idle.

Events wait in their queue while no instance can take them. Calls do not wait for nobody: an
instance leaves its RPC queue only to another instance consuming it, and when (paused) it sees
nobody consuming it, it takes the calls again and answers them `Unavailable` (contract §3: retry
with the same request_id) until its Redis is back, rather than let callers time out. So with one
Redis for all instances, or one instance, callers are told at once; with an instance cut off alone,
the others take its share.

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
    # Calls are not left waiting for nobody (above): a consumer of RPC queues sets this.
    answers_when_alone = False

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.paused = []
        self.alone = False  # consuming without Redis, as nobody else consumes the queues

    def on_consume_ready(self, connection, channel, consumers, **kwargs):
        # After a (re)connection every consumer is new and consuming; the next turn pauses it again.
        self.paused = []
        super().on_consume_ready(connection, channel, consumers, **kwargs)

    def on_iteration(self):
        super().on_iteration()
        if is_ready(self.container):
            self.alone = False
            if self.paused:
                self.resume()
        elif self.alone or self.should_stop:
            return
        elif self.paused:
            if self.answers_when_alone and not self.others_consuming(self.paused):
                self.alone = True
                self.resume()
        elif self.answers_when_alone and not self.others_consuming(self._consumers.values(), own=1):
            self.alone = True
        else:
            self.paused = list(self._consumers.values())
            for consumer in self.paused:
                consumer.cancel()

    def resume(self):
        current = list(self._consumers.values())
        for consumer in self.paused:
            if any(consumer is kept for kept in current):  # one removed at shutdown stays cancelled
                consumer.consume()
        self.paused = []

    @staticmethod
    def others_consuming(consumers, own=0):
        """Whether some other instance consumes each of the queues (`own`: this one's consumers on each)."""
        return all(queue.queue_declare(passive=True).consumer_count > own
                   for consumer in consumers for queue in consumer.queues)
