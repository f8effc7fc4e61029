"""The base of every service's store: its keys under its prefix, and atomic state changes.

A state change is a function `work(tx)` that reads under WATCH through `tx.reader`, then queues its
writes (`tx.put`, `tx.write`) and events (`tx.emit`). EXEC applies them with the outbox entries and,
inside an event handler, the mark that the event was handled, all or nothing."""
import json

from redis.exceptions import WatchError

from . import clock
from .errors import require_found
from .events import make_event
from .outbox import crash_point
from .requests import Request

HANDLED_TTL = 90 * 24 * 3600
REQUEST_TTL = 30 * 24 * 3600


class AlreadyHandled(Exception):
    """The event this worker handles was handled meanwhile (a concurrent redelivery)."""


class Transaction:
    def __init__(self, store, pipe):
        self.store = store
        self.reader = pipe
        self.writes = []
        self.events = []

    def watch(self, *keys):
        self.reader.watch(*keys)

    def get(self, key):
        """Watch a JSON record and read it (None when absent)."""
        self.reader.watch(key)
        return self.store.decode(self.reader.get(key))

    def put(self, key, record):
        self.writes.append(lambda pipe: pipe.set(key, json.dumps(record, ensure_ascii=False)))

    def write(self, queue_commands):
        """Queue raw commands: `queue_commands(pipe)` runs inside MULTI."""
        self.writes.append(queue_commands)

    def emit(self, event_type, subject, seq, data):
        self.events.append(make_event(self.store.source, event_type, subject, seq, data))

    def replayed(self, request):
        """The record id the first call with this request stored (None if new or no request_id);
        `Conflict` when that call had other arguments."""
        if request is None or not request.given:
            return None
        key = self.store.key(*request.key_parts())
        self.reader.watch(key)
        stored = request.decode(self.reader.get(key))
        return None if stored is None else stored["id"]

    def remembered(self, method, request_id):
        """The record id a previous call with this `request_id` created, if any."""
        if request_id is None:
            return None
        key = self.store.key("request", method, request_id)
        self.reader.watch(key)
        return self.reader.get(key)

    def remember(self, method, request_id, record_id=None):
        if isinstance(method, Request):
            self._bind(method, request_id)
        elif request_id is not None:
            key = self.store.key("request", method, request_id)
            self.writes.append(lambda pipe: pipe.set(key, record_id, ex=REQUEST_TTL))


    def _bind(self, request, record_id):
        if request.given:
            key, value = self.store.key(*request.key_parts()), request.encode(id=record_id)
            self.writes.append(lambda pipe: pipe.set(key, value, ex=REQUEST_TTL))


class Store:
    def __init__(self, client, prefix, source, outbox, handled_key=None):
        self.client = client
        self.prefix = prefix
        self.source = source
        self.outbox = outbox
        self.handled_key = handled_key

    def key(self, *parts):
        return self.prefix + ":".join(str(part) for part in parts)

    @staticmethod
    def decode(raw):
        return None if raw is None else json.loads(raw)

    def load(self, key):
        return self.decode(self.client.get(key))

    def load_many(self, keys):
        return [self.decode(raw) for raw in self.client.mget(keys)] if keys else []

    @staticmethod
    def now():
        return clock.now()

    def published(self, record):
        """What an event carries of `record`."""
        return record

    def change(self, key, what, change, *, owner=None, save=None, request=None):
        """One transaction: load `key` under WATCH (`NotFound` naming `what`), `owner(record)`,
        `change(tx, record, now) -> (new, event_type or None)`, `save(tx, new, before)`, emit."""
        def work(tx):
            replayed = tx.replayed(request)
            record = require_found(tx.get(key), what)
            if owner is not None:
                owner(record)
            if replayed:
                return record
            new, event_type = change(tx, record, self.now())
            (save or (lambda tx_, new_, before: tx_.put(key, new_)))(tx, new, record)
            if event_type:
                tx.emit(event_type, new["id"], new["revision"], self.published(new))
            tx.remember(request, new["id"])
            return new

        return self.transact(work)

    def ping(self):
        return self.client.ping()

    def transact(self, work, *watch):
        """Run `work(tx)` under optimistic locking, retried on conflict; commit; publish its events."""
        while True:
            with self.client.pipeline(transaction=True) as pipe:
                try:
                    result, events = self._attempt(pipe, work, watch)
                    break
                except WatchError:
                    continue
        crash_point("after_outbox_write")
        self.outbox.publish(events)
        return result

    def _attempt(self, pipe, work, watch):
        # WATCH puts the pipeline in immediate mode for the reads; this key is never written.
        pipe.watch(self.key("tx"), *watch)
        if self.handled_key:
            pipe.watch(self.handled_key)
            if pipe.exists(self.handled_key):
                raise AlreadyHandled()
        tx = Transaction(self, pipe)
        result = work(tx)
        pipe.multi()
        for queue_commands in tx.writes:
            queue_commands(pipe)
        self.outbox.stage(pipe, tx.events)
        if self.handled_key:
            pipe.set(self.handled_key, "1", ex=HANDLED_TTL)
        pipe.execute()
        return result, tx.events
