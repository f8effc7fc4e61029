"""`SteadyQueueConsumer`: nameko's queue consumer, never left draining a connection that carries
none of its consumers.

kombu's `Connection.drain_events` reads `connection.connection`, which quietly opens a new
connection when the current one is marked broken (kombu issue 220). py-amqp marks it broken when
a write fails, and a worker's ack is a write: when a broker node goes, a worker's ack can fail
before the consume loop's own read sees the loss. The loop then drains the new connection, which
has no consumers on it, and never reads its queues again while looking healthy (the fault tier
saw it: a killed cluster node left summary's `activity_completed` queue with hundreds of messages
and no consumer, the process idle). So before each drain the loop checks the connection its
consumers were set up on; if that one is broken it raises a connection error, and kombu's
ConsumerMixin reconnects and sets the consumers up again, as for any connection lost.

The same failed ack, raised in a worker, would kill the whole container (nameko catches only
py-amqp's own ConnectionError there, not the socket's error): it is logged and let go, as the
broker redelivers a message whose connection is gone."""
import logging

from nameko.messaging import QueueConsumer

log = logging.getLogger(__name__)


class ConsumersConnectionLost(ConnectionError):
    """The connection the consumers were set up on is broken (kombu may have replaced it)."""


class SteadyQueueConsumer(QueueConsumer):
    consumers_on = None  # py-amqp's connection under the current consumers
    # Seconds an idle consume loop waits for a message before it looks at `should_stop` and its
    # pending cancels again (kombu's default: 1). A container's stop or kill waits on it, for the
    # loop to close its channel properly; ten idle wake-ups a second cost next to nothing.
    safety_interval = 0.1

    def consume(self, limit=None, timeout=None, safety_interval=None, **kwargs):
        return super().consume(limit, timeout, safety_interval or self.safety_interval, **kwargs)

    def on_consume_ready(self, connection, channel, consumers, **kwargs):
        self.consumers_on = channel.connection
        super().on_consume_ready(connection, channel, consumers, **kwargs)

    def on_iteration(self):
        under = self.consumers_on
        if under is not None and not under.connected:
            self.consumers_on = None
            # Its socket too, if it still has one: the broker then requeues what it delivered there.
            under.collect()
            raise ConsumersConnectionLost("the consumers' connection is broken")
        super().on_iteration()

    def ack_message(self, message):
        self._settle(super().ack_message, message)

    def requeue_message(self, message):
        self._settle(super().requeue_message, message)

    @staticmethod
    def _settle(ack_or_requeue, message):
        try:
            ack_or_requeue(message)
        except OSError as exc:
            log.warning("a %s message not settled (%s): its connection is gone, the broker redelivers it",
                        message.delivery_info.get("routing_key"), type(exc).__name__)
