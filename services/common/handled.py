"""The "event already handled" protocol, in one place (a leaf module).

A consumer marks `<service>:handled:<method>:<event_id>` in the transaction that applies the event
(so the mark and the effect commit together) and checks it under WATCH before applying: a delivery
whose mark exists changes nothing. A handler whose transaction did not write the mark (it made
none) gets it after it returns; one whose transaction did is not marked again (`Committed`)."""

HANDLED_TTL = 90 * 24 * 3600


class Committed:
    """Whether a worker's transaction committed its handled mark: kept on the worker, set by the
    worker's stores through `set`. They hold this, not the worker: the worker holds its service
    instance and that holds the stores, so a store holding the worker would make a reference cycle,
    and every event's objects would wait for the garbage collector instead of going at once."""

    def __init__(self):
        self.value = False

    def set(self):
        self.value = True

    @classmethod
    def of_worker(cls, worker_ctx):
        return worker_ctx.__dict__.setdefault("leifeng_handled_mark_committed", cls())


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

