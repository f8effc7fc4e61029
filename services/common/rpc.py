"""The RPC boundary (contract §3 and §6): `@rpc`, nameko's entrypoint with hostile messages refused
at once, and what `@allow` checks of every call's arguments.

Every RPC method of a service (and the topology step) declares its `rpc-<service>` queue with the
same quorum arguments (`amqp_names.rpc_queue`).

A request whose body is larger than 4 MiB (checked before decoding), is not a JSON object
(`services.common.raw_messages`: compressed bodies and other content types included), has no
`args` (a list) and `kwargs` (an object), is nested deeper than any valid call, or has no
`reply_to` is never acted on: the caller gets a `ValidationError` (`_schema`) reply at once instead
of waiting for its timeout, and one log line names the reason and the size, never the body.
nameko's own consumer would log the whole body of an undecodable message and never answer it."""
import inspect
import logging
import sys
import traceback
import uuid
from functools import partial

import amqp.exceptions
import kombu.exceptions
import kombu.serialization
import redis.exceptions
from kombu import Connection
from kombu.pools import producers
from nameko import rpc as nameko_rpc
from nameko.constants import (AMQP_SSL_CONFIG_KEY, DEFAULT_RETRY_POLICY, DEFAULT_TRANSPORT_OPTIONS,
                              LOGIN_METHOD_CONFIG_KEY, PERSISTENT)
from nameko.exceptions import IncorrectSignature, serialize

from . import amqp_names
from .errors import InternalError, ServiceError, Unavailable, ValidationError
from .raw_messages import RawQueueConsumer, Refused, json_object, size_of
from .redis_ha import NotReplicated
from .schemas import SURROGATES, dotted, nodes, safe_key

log = logging.getLogger(__name__)

# A valid call nests a handful of levels (report -> volunteers -> item -> field).
MAX_DEPTH = 32
READ_ONLY_PREFIXES = ("get_", "list_")
READ_ONLY_METHODS = ("reporting_progress", "campaign_report")
# Redis or the broker out of reach (contract §3 v2 `Unavailable`): builtin ConnectionError and
# TimeoutError cover sockets refused, reset or timed out under kombu and nameko's publisher;
# NotReplicated is a write no Redis replica confirmed in time (the retry finds it if it was kept).
OUTAGES = (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError, NotReplicated,
           kombu.exceptions.OperationalError, amqp.exceptions.ConnectionError, ConnectionError, TimeoutError)


def is_read_only(method):
    """Contract §7's read-only methods; every other method changes state (and is audited)."""
    return method.startswith(READ_ONLY_PREFIXES) or method in READ_ONLY_METHODS


def nesting_depth(value):
    """How deep lists and objects nest in `value`, without recursion."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, (dict, list)):
            deepest = max(deepest, depth)
            if depth > MAX_DEPTH:
                return depth
            children = item.values() if isinstance(item, dict) else item
            stack.extend((child, depth + 1) for child in children)
    return deepest


def admitted_body(message):
    """The request's decoded body, or `Refused` naming why it is not acted on."""
    body = json_object(message)
    if not isinstance(body.get("args"), list) or not isinstance(body.get("kwargs"), dict):
        raise Refused("not an object with args and kwargs")
    if nesting_depth(body) > MAX_DEPTH:
        raise Refused("nested too deeply")
    return body


class GuardedQueueConsumer(RawQueueConsumer):
    """Takes each request undecoded, so its size is checked first."""

    steps_back = True

    def screen(self, provider, message):
        try:
            if not isinstance(message.properties.get("reply_to"), str):
                raise Refused("no reply_to")
            body = admitted_body(message)
        except Refused as refusal:
            self.container.spawn_managed_thread(partial(provider.refuse, message, str(refusal)))
            return
        self.handle_message(provider, body, message)


class Replies:
    """How a service answers its callers. Each reply is serialised once (nameko serialises it twice,
    the first time only to see that it can be), through a connection described once (nameko builds
    a kombu Connection, parsing the broker's URL, to find its producer pool for every reply).
    Without a broker confirm: a reply goes to the one caller waiting for it, who calls again with
    its request_id if none arrives, so a confirm (one more round trip before the request is acked)
    would protect nothing."""

    def __init__(self, config):
        self.exchange = nameko_rpc.get_rpc_exchange(config)
        # Its own options: nameko's publish writes `confirm_publish` into the dict every other
        # Publisher (events, the retry and dead-letter paths, RPC requests) shares.
        self.connection = Connection(config[nameko_rpc.AMQP_URI_CONFIG_KEY], ssl=config.get(AMQP_SSL_CONFIG_KEY),
                                     login_method=config.get(LOGIN_METHOD_CONFIG_KEY),
                                     transport_options={**DEFAULT_TRANSPORT_OPTIONS, "confirm_publish": False})

    def answer(self, message, result, exc_info):
        """nameko's reply (`{"result", "error"}`, encoded as the request was); a result that cannot
        be encoded is an `InternalError` (nameko's own error would quote the value)."""
        content_type = message.properties["content_type"]
        serializer = kombu.serialization.registry.type_to_name[content_type]
        error = serialize(exc_info[1]) if exc_info is not None else None
        try:
            _, encoding, body = kombu.serialization.dumps({"result": result, "error": error}, serializer)
        except Exception as exc:
            exc_info, result = sys.exc_info(), None
            _, encoding, body = kombu.serialization.dumps(
                {"result": None, "error": serialize(internal_error(exc))}, serializer)
        self.publish(message, body, content_type, encoding)
        return result, exc_info

    def refuse(self, message):
        """Always JSON: the request's own content type may be anything."""
        error = ValidationError.field("_schema", "请求不是有效的 JSON 对象或过大(Not a valid JSON object or too large).")
        _, encoding, body = kombu.serialization.dumps({"result": None, "error": serialize(error)}, "json")
        self.publish(message, body, "application/json", encoding)

    def publish(self, message, body, content_type, encoding):
        with producers[self.connection].acquire(block=True) as producer:
            producer.publish(body, content_type=content_type, content_encoding=encoding, exchange=self.exchange,
                             routing_key=message.properties["reply_to"], delivery_mode=PERSISTENT,
                             correlation_id=message.properties.get("correlation_id"),
                             retry=True, retry_policy=DEFAULT_RETRY_POLICY)


class GuardedRpcConsumer(nameko_rpc.RpcConsumer):
    queue_consumer = GuardedQueueConsumer()

    def handle_result(self, message, result, exc_info):
        """nameko's, answered by `Replies`."""
        result, exc_info = self.replies.answer(message, result, exc_info)
        self.queue_consumer.ack_message(message)
        return result, exc_info

    def setup(self):
        """`rpc-<service>` as a quorum queue (`amqp_names.rpc_queue`): nameko's own is a classic
        queue without arguments, and a queue's arguments cannot differ between declarations."""
        self.replies = Replies(self.container.config)
        if self.queue is None:
            self.queue = amqp_names.rpc_queue(self.container.service_name,
                                              nameko_rpc.get_rpc_exchange(self.container.config))
            self.queue_consumer.register_provider(self)
            self._registered = True

    def refuse(self, message, reason):
        log.warning("rpc request refused: %s (%d bytes)", reason, size_of(message.body))
        if isinstance(message.properties.get("reply_to"), str):
            self.reply_refusal(message)
        self.queue_consumer.ack_message(message)  # if its connection is gone: redelivered, refused again

    def reply_refusal(self, message):
        try:
            self.replies.refuse(message)
        except Exception as exc:
            log.warning("rpc refusal not sent (%s)", type(exc).__name__)


class Rpc(nameko_rpc.Rpc):
    rpc_consumer = GuardedRpcConsumer()

    def check_signature(self, args, kwargs):
        """A method under `@allow` checks that its arguments fit (`fitting`) after the caller's token
        and role, in the contract's order (§3: Forbidden before any input error); nameko would check
        before any of them, and so tell a caller of the wrong role the method's argument names."""
        method = getattr(self.container.service_cls, self.method_name)
        if not hasattr(method, "allowed_roles"):
            super().check_signature(args, kwargs)


rpc = Rpc.decorator


def check_unicode(named):
    """`ValidationError` naming the argument path of the first lone surrogate in a string or an
    object's key (it could not be encoded for Redis, a log line or a reply); `named` are the call's
    arguments by name."""
    for value, where in nodes(named):
        if isinstance(value, str) and SURROGATES.search(value):
            raise ValidationError.field(dotted(where, safe_key), "含有无效的 Unicode 字符(Invalid Unicode).")
        if isinstance(value, dict) and any(not isinstance(key, str) or SURROGATES.search(key) for key in value):
            raise ValidationError.field(dotted(where, safe_key),
                                        "键名含有无效的 Unicode 字符(Invalid Unicode in a key).")


def fitting(method, signature, args, kwargs):
    """The call's arguments by name (`signature` is `method`'s), or nameko's `IncorrectSignature` (a
    wrong, unknown or missing argument name) when they do not fit, worded as nameko's own check
    (getcallargs) words it: binding to the signature made once costs a tenth of that check."""
    named = arguments(signature, args, kwargs)
    if named is not None:
        return named
    try:
        inspect.getcallargs(method, None, *args, **kwargs)
    except TypeError as exc:
        raise IncorrectSignature(str(exc)) from None
    raise IncorrectSignature("the arguments do not fit the method")


def arguments(signature, args, kwargs):
    """The call's arguments by name; None when they do not fit (the call is refused: `fitting`)."""
    try:
        return dict(list(signature.bind(None, *args, **kwargs).arguments.items())[1:])
    except TypeError:
        return None


def answer_for(exc, where):
    """What the caller gets for an exception raised in `where` ("service.method"): our own errors
    as they are, an outage as `Unavailable` (one warning line), anything else as `InternalError`."""
    if isinstance(exc, (ServiceError, IncorrectSignature)):
        return exc
    if isinstance(exc, OUTAGES):
        log.warning("%s unavailable: %s", where, type(exc).__name__)
        return Unavailable("服务暂时不可用, 请稍后用同一 request_id 重试(Temporarily unavailable, retry).")
    return internal_error(exc)


def internal_error(exc):
    """Log where it failed under a fresh reference; the caller gets only the reference.

    The frames are logged, not the exception's text, which may quote the data being handled."""
    ref = uuid.uuid4().hex[:12]
    frames = "".join(traceback.format_tb(exc.__traceback__))
    log.error("internal error ref=%s: %s\n%s", ref, type(exc).__name__, frames)
    return InternalError(ref)
