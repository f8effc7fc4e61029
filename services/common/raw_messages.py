"""Messages taken off the bus undecoded (contract §6), for RPC requests (`services.common.rpc`) and
events (`services.common.consumer`) alike: kombu would decode any body first, of any size, depth or
compression, and log one it cannot decode in full. One size limit and one way to read a body.
HTTP bodies (the gateway) have the same limit."""
import json
import math
from functools import partial

from .readiness import PausableQueueConsumer

MAX_BODY = 4 * 1024 * 1024


def size_of(body):
    """Bytes on the wire: py-amqp hands over a body with a `content_encoding` already decoded."""
    return len(body.encode()) if isinstance(body, str) else len(body)


class Refused(Exception):
    """A message that is not acted on; the text is the (data-free) reason."""


def _integer(digits):
    """A JSON integer. One longer than Python converts (4,300 digits) is out of every field's range
    (contract §1 bounds every number): it is read as infinity, as a float that large already is,
    so the field it is given for refuses it by name instead of the whole body failing."""
    try:
        return int(digits)
    except ValueError:
        return -math.inf if digits.startswith("-") else math.inf


def loads(text, **options):
    """JSON text (str or UTF-8 bytes) as Python values, integers of any length included. The C
    parser reads almost every message; only one it refused is read again, with the integer hook."""
    try:
        return json.loads(text, **options)
    except ValueError:
        return json.loads(text, parse_int=_integer, **options)


def json_object(message):
    """The message's body as a JSON object, or `Refused` naming why. The size is checked before
    decoding; a compressed body is refused (kombu inflates it before anyone could check its size),
    as is any other content type."""
    if size_of(message.body) > MAX_BODY:
        raise Refused("larger than 4 MiB")
    if message.content_type != "application/json" or (message.headers or {}).get("compression"):
        raise Refused("not a JSON message")
    try:
        body = loads(message.body)
    except (ValueError, RecursionError):  # invalid JSON or UTF-8, nesting past the parser
        raise Refused("not JSON") from None
    if not isinstance(body, dict):
        raise Refused("not a JSON object")
    return body


class RawQueueConsumer(PausableQueueConsumer):
    """nameko's QueueConsumer handing each message undecoded (kombu's `on_message`) to
    `screen(provider, message)`, and taking none while the service's Redis is out of reach
    (readiness). A message kombu cannot even make (a `compression` it cannot undo)
    goes there too, as it is: kombu's default would log its whole body and never settle it."""

    def get_consumers(self, consumer_cls, channel):
        for provider in self._providers:
            consumer = consumer_cls(queues=[provider.queue], on_message=partial(self.screen, provider),
                                    on_decode_error=partial(self.undecodable, provider))
            consumer.qos(prefetch_count=self.prefetch_count)
            self._consumers[provider] = consumer
        return self._consumers.values()

    def undecodable(self, provider, message, exc):
        self.screen(provider, message)

    def screen(self, provider, message):
        raise NotImplementedError
