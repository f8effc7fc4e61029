"""The "event already handled" protocol, in one place (a leaf module).

A consumer marks `<service>:handled:<method>:<event_id>` in the transaction that applies the event
(so the mark and the effect commit together) and checks it under WATCH before applying: a delivery
whose mark exists changes nothing. A handler whose transaction did not write the mark (it made
none) gets it after it returns; one whose transaction did is not marked again (COMMITTED)."""

HANDLED_TTL = 90 * 24 * 3600


# The worker context attribute a store sets once its transaction has committed the mark.
COMMITTED = "leifeng_handled_mark_committed"


class AlreadyHandled(Exception):
    """The event this worker handles was handled meanwhile (a concurrent redelivery)."""


def mark_key(service, method, event_id):
    return f"{service}:handled:{method}:{event_id}"


def check(marked):
    """Inside a transaction that watches the mark, before its reads: stop if the mark is there
    (`marked`: the reply of EXISTS, sent with that WATCH)."""
    if marked:
        raise AlreadyHandled()


def mark(pipe, key):
    """Queue the mark on a MULTI pipeline, with the handler's writes."""
    pipe.set(key, "1", ex=HANDLED_TTL)


def mark_unless_marked(client, key):
    """After a handler that wrote nothing: the mark, unless its transaction already wrote it."""
    client.set(key, "1", nx=True, ex=HANDLED_TTL)

