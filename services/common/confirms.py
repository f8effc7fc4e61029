"""Publishing a batch of messages with one wait for all their publisher confirms.

nameko's Publisher waits for each message's confirm before it sends the next (py-amqp's
`basic_publish_confirm`): a round trip per event. A `ConfirmChannel` is a channel in confirm mode
that publishes a batch and then waits once. The broker numbers a channel's messages from 1 and acks
or nacks them, `multiple` settling every earlier one too, and returns an unroutable mandatory message
(`basic.return`) before it acks it."""
from functools import partial

from kombu import Connection, Producer

ACKED, RETURNED, NACKED = "acked", "returned", "nacked"
# Seconds to wait for the broker's next confirm before giving the channel up (the outbox relay
# publishes whatever was not confirmed).
CONFIRM_TIMEOUT = 10
# Channels kept open between batches per process: each concurrent worker (max_workers: 10) and the
# relay needs one at a busy time, so these stay open; a larger peak's extra ones are closed after it.
MAX_IDLE = 12


class ConfirmChannel:
    """One connection and its channel in confirm mode, reused batch after batch."""

    def __init__(self, amqp_uri, retry_policy):
        self.connection = Connection(amqp_uri)
        try:
            self.connection.ensure_connection(**retry_policy)
            self.channel = self.connection.channel()
            self.channel.confirm_select()
        except BaseException:
            self.drop()
            raise
        self.producer = Producer(self.channel, serializer="json")
        self.sent = 0  # the delivery tag of the latest message published
        self.unsettled = {}  # delivery tag -> message id, until the broker settles it
        self.returned = set()
        self.outcomes = {}
        self.declared = set()  # exchange names declared on this connection
        self.channel.events["basic_ack"].add(partial(self._settle, ACKED))
        self.channel.events["basic_nack"].add(partial(self._settle, NACKED))
        self.channel.events["basic_return"].add(self._returned)

    def publish(self, messages, outcomes):
        """Publish `messages` ([(message_id, body, publish kwargs)]) and wait until the broker has
        settled every one: `outcomes[message_id]` is ACKED, RETURNED or NACKED as it does (those
        settled before an error stay there)."""
        self.outcomes = outcomes
        for message_id, body, kwargs in messages:
            self._declare(kwargs.get("declare") or ())
            self.producer.publish(body, message_id=message_id, retry=False, timeout=CONFIRM_TIMEOUT,
                                  **{**kwargs, "declare": None})
            self.sent += 1
            self.unsettled[self.sent] = message_id
        while self.unsettled:
            self.connection.drain_events(timeout=CONFIRM_TIMEOUT)

    def _declare(self, exchanges):
        """Declare each exchange once per connection, as kombu's own cache would; asking kombu on
        every publish bound a copy of the exchange each time (2% of a service's CPU)."""
        for exchange in exchanges:
            if exchange.name not in self.declared:
                self.producer.maybe_declare(exchange)
                self.declared.add(exchange.name)

    def _settle(self, outcome, delivery_tag, multiple):
        tags = [tag for tag in self.unsettled if tag <= delivery_tag] if multiple else [delivery_tag]
        for tag in tags:
            message_id = self.unsettled.pop(tag, None)
            if message_id is not None:
                returned = outcome == ACKED and message_id in self.returned
                self.returned.discard(message_id)
                self.outcomes[message_id] = RETURNED if returned else outcome

    def _returned(self, _exc, _exchange, _routing_key, message):
        self.returned.add(message.properties.get("message_id"))

    def close(self):
        try:
            self.connection.close()
        except Exception:  # already broken: nothing to release
            pass

    def drop(self):
        """Let the socket go without the close handshake: a broker that stopped answering (an alarm,
        a dying node) would keep a graceful close waiting without limit."""
        self.connection.collect()


class ConfirmChannels:
    """Idle `ConfirmChannel`s of one broker URI: a worker takes one for a batch, so concurrent
    batches never share a channel (and its delivery tags); one that failed is closed, not reused."""

    def __init__(self, amqp_uri, retry_policy):
        self.amqp_uri, self.retry_policy = amqp_uri, retry_policy
        self.idle = []

    def publish(self, messages, outcomes):
        """ConfirmChannel.publish on an idle channel; if that one fails (its connection may have
        died while idle), what it did not settle is published once more on a new one."""
        if self.idle:
            try:
                return self._publish_on(self.idle.pop(), messages, outcomes)
            except Exception:
                messages = [message for message in messages if message[0] not in outcomes]
        self._publish_on(ConfirmChannel(self.amqp_uri, self.retry_policy), messages, outcomes)

    def close(self, graceful=True):
        while self.idle:
            channel = self.idle.pop()
            if graceful:
                channel.close()
            else:
                channel.drop()

    def _publish_on(self, channel, messages, outcomes):
        try:
            channel.publish(messages, outcomes)
        except BaseException:
            channel.drop()
            raise
        if NACKED in outcomes.values():
            # A nack after a node loss can come from the channel's stale view of a queue's leader:
            # the relay's next try gets a channel of its own.
            channel.drop()
        elif len(self.idle) >= MAX_IDLE:
            channel.close()
        else:
            self.idle.append(channel)
