"""The base of every service's store: its keys under its prefix, and atomic state changes.

A state change is a function `work(tx)` that reads under WATCH through `tx.get` / `tx.reader`, then
queues its writes (`tx.put`, `tx.write`) and events (`tx.emit`). EXEC applies them with the outbox
entries and, inside an event handler, the mark that the event was handled, all or nothing.

`Store.change` and `Store.create` are the usual shapes of such a function: not found, ownership,
the rule, the save and the event in that order, with `now` taken in one place (`Store.now`) and a
repeated `request_id` answered with the record (see `services.common.requests`)."""
import json

from redis.exceptions import WatchError

from . import clock, handled
from .correlation import new_correlation_id
from .errors import require_found
from .events import make_event
from .requests import REQUEST_TTL


class Transaction:
    def __init__(self, store, pipe):
        self.store = store
        self.reader = pipe
        self.writes = []
        self.events = []
        self.watched = set()
        # Raw values read under WATCH: the store's value before this transaction, read once.
        self.fetched = {}
        # The reply of each read command sent, for the same reasons.
        self.answered = {}

    def read(self, watch, *commands):
        """WATCH the keys of `watch` not watched yet and run the read `commands` (tuples such as
        `("HGETALL", key)`) not run yet, all in one round trip; the commands' replies."""
        new = [key for key in dict.fromkeys(watch) if key not in self.watched]
        asked = [command for command in dict.fromkeys(commands) if command not in self.answered]
        sent = [("WATCH", *new)] if new else []
        if sent or asked:
            replies = self.reader.round_trip(*sent, *asked)
            self.watched.update(new)
            self.answered.update(zip(asked, replies[len(sent):]))
            for command, reply in zip(asked, replies[len(sent):]):
                if command[0] == "MGET":  # string records read under WATCH: `get` answers from them
                    self.fetched.update((key, value) for key, value in zip(command[1:], reply)
                                        if key in self.watched and key not in self.fetched)
        return [self.answered[command] for command in commands]

    def watch(self, *keys):
        """WATCH the keys not watched yet (none: no round trip)."""
        self.read(keys)

    def prefetch(self, *keys):
        """Watch and read string `keys` at once (one round trip: WATCH of those not watched yet and
        one MGET); `get` then answers from what was read."""
        keys = [key for key in dict.fromkeys(keys) if key not in self.fetched]
        if keys:
            self.read(keys, ("MGET", *keys))

    def begin(self, watch, mark=None, prefetch=(), reads=()):
        """The first round trip: WATCH `watch`, the handled `mark` and `prefetch`, whether the mark
        exists (AlreadyHandled if so), the values of `prefetch` and the replies of `reads` (a later
        `read` of the same command is answered from it)."""
        keys = list(dict.fromkeys(prefetch))
        marked = [("EXISTS", mark)] if mark else []
        replies = self.read([*watch, *([mark] if mark else []), *keys], *marked, *reads,
                            *([("MGET", *keys)] if keys else []))
        if mark:
            handled.check(replies[0])

    def get(self, key):
        """Watch a JSON record and read it (None when absent)."""
        self.prefetch(key)
        return self.store.decode(self.fetched[key])

    def put(self, key, record):
        self.writes.append(lambda pipe: pipe.set(key, json.dumps(record, ensure_ascii=False)))

    def write(self, queue_commands):
        """Queue raw commands: `queue_commands(pipe)` runs inside MULTI."""
        self.writes.append(queue_commands)

    def emit(self, event_type, subject, seq, data):
        self.events.append(make_event(self.store.source, event_type, subject, seq, data,
                                      correlation_id=self.store.correlation_id))

    def finish(self):
        """Last reads and writes once the work is done, before MULTI (a hook: CountedTransaction)."""

    def replayed(self, request):
        """The record id a first call with this request stored (None if new or no request_id);
        `Conflict` when that call had other arguments."""
        stored = self._stored(request)
        return None if stored is None else stored["id"]

    def _stored(self, request):
        key = self.store.request_key(request)
        if key is None:
            return None
        self.prefetch(key)
        return request.decode(self.fetched[key])

    def first_result(self, request, current):
        """What a repeat of `request` returns: the first call's result (contract §3). A first call
        stored with its record id only (until 2026-12-03) gets `current(record_id)`, the record as
        it is now; every such entry's REQUEST_TTL is over by 2027-01-02, and `current` can go."""
        stored = self._stored(request)
        return stored["result"] if "result" in stored else current(stored["id"])

    def remember(self, request, record_id, result):
        """Bind `request` to the record it made and the result it returns:
        `tx.remember(request, record_id, record)`."""
        if request.given:
            key, value = self.store.key(*request.key_parts()), request.encode(id=record_id, result=result)
            self.writes.append(lambda pipe: pipe.set(key, value, ex=REQUEST_TTL))


def put_record(key):
    """The default save of `Store.change`: the record at its key."""
    return lambda tx, record, before: tx.put(key, record)


class Store:
    transaction = Transaction

    def __init__(self, client, prefix, source, outbox, handled_key=None, correlation_id=None, on_marked=None,
                 audit=None, unit_check=None):
        self.client = client
        self.prefix = prefix
        self.source = source
        self.outbox = outbox
        self.handled_key = handled_key
        # Told once a transaction committed the handled mark, so the consumer need not write it.
        self.on_marked = on_marked
        # Inside an RPC call, its audit entry (services.common.audit.CallAudit) goes with its first commit.
        self.audit = audit
        # Inside an RPC call, its deferred deactivated-unit check (services.common.unit_check).
        self.unit_check = unit_check
        # Outside a worker (a script), one id for everything this store emits.
        self.correlation_id = correlation_id or new_correlation_id()

    def key(self, *parts):
        return self.prefix + ":".join(str(part) for part in parts)

    def request_key(self, request):
        """Where a request's outcome is kept (None without a request_id)."""
        return self.key(*request.key_parts()) if request is not None and request.given else None

    @staticmethod
    def now():
        """The one place a state change takes the time."""
        return clock.now()

    @staticmethod
    def published(record):
        """What a record's events carry (a hook: a store may drop private fields)."""
        return record

    @staticmethod
    def decode(raw):
        return None if raw is None else json.loads(raw)

    def load(self, key):
        return self.decode(self.client.get(key))

    def load_many(self, keys):
        return [self.decode(raw) for raw in self.client.mget(keys)] if keys else []

    def ping(self):
        return self.client.ping()

    def change(self, key, what, change, *, owner=None, save=None, request=None):
        """Change the record at `key` in one transaction and return it as saved.

        Not found (`NotFound` naming `what`), `owner(record)` (raises Forbidden), then a repeated
        `request` returns the first call's result; else `change(tx, record, now)` returns
        `(new_record, event_type or None)`, `save(tx, new_record, before)` writes it (default: at
        `key`) and `event_type` is emitted with `published(new_record)`. A `change` returning the
        record itself changed nothing: nothing is saved or emitted."""
        save = save or put_record(key)
        known = [k for k in (key, self.request_key(request)) if k is not None]

        def work(tx):
            record = require_found(tx.get(key), what)
            if owner is not None:
                owner(record)
            if tx.replayed(request) is not None:
                return tx.first_result(request, lambda _id: record)
            new_record, event_type = change(tx, record, self.now())
            if new_record is not record:
                self._save(tx, new_record, record, save, event_type)
            if request is not None:
                tx.remember(request, new_record["id"], new_record)
            return new_record

        return self.transact(work, prefetch=known)

    def create(self, key_of, make, *, save=None, request=None):
        """Make a record in one transaction and return it; a repeated `request` returns the record
        as the first call returned it. `make(tx, now)` returns `(record, event_type or None)`;
        `save(tx, record, None)` writes it (default: at `key_of(record["id"])`)."""
        def work(tx):
            if tx.replayed(request) is not None:
                return tx.first_result(request, lambda record_id: tx.get(key_of(record_id)))
            record, event_type = make(tx, self.now())
            self._save(tx, record, None, save or put_record(key_of(record["id"])), event_type)
            if request is not None:
                tx.remember(request, record["id"], record)
            return record

        request_key = self.request_key(request)
        return self.transact(work, prefetch=[request_key] if request_key else [])

    def once(self, request, run):
        """`run()`'s reply, or the first call's for a repeated `request`. For idempotent work that
        spans several transactions (a deadline check): a crash before the reply is kept only
        means a repeat runs it again."""
        if not request.given:
            return run()
        key = self.request_key(request)
        stored = request.decode(self.client.get(key))
        if stored is not None:
            return stored["result"]
        result = run()
        self.client.set(key, request.encode(result=result), ex=REQUEST_TTL, nx=True)
        return result

    def _save(self, tx, record, before, save, event_type):
        save(tx, record, before)
        if event_type is not None:
            tx.emit(event_type, record["id"], record["revision"], self.published(record))

    def transact(self, work, *watch, prefetch=(), reads=()):
        """Run `work(tx)` under optimistic locking, retried on conflict; commit; publish its events.
        `watch` keys are watched from the start; `prefetch` keys and `reads` commands (of watched
        keys) are read then too, for `tx.get` and `tx.read`."""
        while True:
            with self.client.pipeline(transaction=True) as pipe:
                try:
                    result, staged = self._attempt(pipe, work, watch, prefetch, reads)
                    break
                except WatchError:
                    continue
        self.publish(staged)
        return result

    def publish(self, staged):
        """Publish committed events (as the outbox staged them) now; the outbox relay publishes
        them later if this fails."""
        self.outbox.publish(staged)

    def _attempt(self, pipe, work, watch, prefetch, reads):
        # WATCH puts the pipeline in immediate mode for the reads; the "tx" key is never written.
        # One round trip for WATCH (it, the handled mark, `watch`), the mark's check and the reads,
        # with a unit's deferred deactivation check: refused before the work decides anything.
        tx = self.transaction(self, pipe)
        check = self.unit_check.asked if self.unit_check is not None else None
        tx.begin((self.key("tx"), *watch), self.handled_key, prefetch, (*reads, check) if check else reads)
        if check:
            self.unit_check.judge(tx.answered[check])
        result = work(tx)
        tx.finish()
        pipe.multi()
        for queue_commands in tx.writes:
            queue_commands(pipe)
        staged = self.outbox.stage(pipe, tx.events)
        if self.handled_key:
            handled.mark(pipe, self.handled_key)
        if self.audit is not None:
            self.audit.stage(pipe, result)
        pipe.execute()
        if self.handled_key and self.on_marked:
            self.on_marked()
        if self.audit is not None:
            self.audit.committed()
        return result, staged
