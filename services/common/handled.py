"""The "event already handled" protocol, in one place (a leaf module).

A consumer marks `<service>:handled:<method>:<event_id>` in the transaction that applies the event
(so the mark and the effect commit together), checks it under WATCH before applying, and skips a
delivery whose mark exists. A handler that changed nothing gets its mark after it returns."""

HANDLED_TTL = 90 * 24 * 3600


class AlreadyHandled(Exception):
    """The event this worker handles was handled meanwhile (a concurrent redelivery)."""


def mark_key(service, method, event_id):
    return f"{service}:handled:{method}:{event_id}"


def check(pipe, key):
    """Inside a transaction, before its reads: watch the mark and stop if it is already there."""
    pipe.watch(key)
    if pipe.exists(key):
        raise AlreadyHandled()


def mark(pipe, key):
    """Queue the mark on a MULTI pipeline, with the handler's writes."""
    pipe.set(key, "1", ex=HANDLED_TTL)


def mark_unless_marked(client, key):
    """After a handler that wrote nothing: the mark, unless its transaction already wrote it."""
    client.set(key, "1", nx=True, ex=HANDLED_TTL)


def is_marked(client, key):
    return bool(client.exists(key))
