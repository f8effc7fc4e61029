"""Correlation ids (contract §4 v2 and §7): one id follows a request through every RPC, event and
log line it causes. A leaf module: the nameko side is `services.common.tracing`.

The id travels in RPC context data under `correlation_id` (the gateway puts X-Request-Id there),
in every event envelope, and into the handler of each event; a call or a timer tick that arrives
without one gets a new one. A context var (per greenlet under eventlet) holds the current worker's
id, and what else its log lines name (`service`, `entrypoint`, `rpc_method`, `event_id`,
`event_type`), for the
log filter."""
import contextvars
import json
import logging
import re
import uuid

KEY = "correlation_id"
# X-Request-Id's shape (contract §7): anything else from outside is replaced, never logged.
PATTERN = re.compile(r"[A-Za-z0-9._~-]{1,64}\Z")  # with re.match too: the whole value
NONE = "-"

# The fields a worker's log lines carry besides the correlation id (logformat.FIELDS).
FIELDS = ("service", "entrypoint", "rpc_method", "event_id", "event_type")

_current = contextvars.ContextVar(KEY, default=None)
_fields = contextvars.ContextVar("log_fields", default={})
# The service a process runs, for lines outside any worker ("-" until a container names it).
_process = {"service": NONE}


def new_correlation_id():
    return uuid.uuid4().hex


def is_valid(value):
    return isinstance(value, str) and PATTERN.fullmatch(value) is not None


def ensure(context_data):
    """The context's correlation id, made (and put there, so nested RPCs carry it) when it has
    none or one of the wrong shape."""
    if not is_valid(context_data.get(KEY)):
        context_data[KEY] = new_correlation_id()
    return context_data[KEY]


def of_envelope(raw):
    """The correlation id of an event envelope kept as JSON text (a webhook delivery's body), or a
    new one when it has none of the right shape."""
    try:
        given = json.loads(raw).get(KEY)
    except (ValueError, AttributeError):
        given = None
    return given if is_valid(given) else new_correlation_id()


def current():
    return _current.get()


def bind(correlation_id, **fields):
    """Make `correlation_id` (and the worker's `fields`) current; returns the token `unbind` takes."""
    return _current.set(correlation_id), _fields.set(fields)


def unbind(token):
    current_token, fields_token = token
    _fields.reset(fields_token)
    _current.reset(current_token)


def name_process(service):
    _process["service"] = service


class LogFilter(logging.Filter):
    """Adds `correlation_id` and the worker's fields to every record a handler emits ("-" outside a
    worker). A record given its own (`extra=`, the outbox relay naming an event's) keeps them."""

    def filter(self, record):
        given = getattr(record, KEY, None)
        if given == NONE or not is_valid(given):
            record.correlation_id = current() or NONE
        fields = {"service": _process["service"], **_fields.get()}
        for name in FIELDS:
            if getattr(record, name, None) is None:
                setattr(record, name, fields.get(name))
        return True
