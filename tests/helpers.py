"""Test plumbing that is not a fixture: waiting for conditions, listening to and publishing events,
and this run's broker users."""
import functools
import gc
import socket
import subprocess
import time
import uuid
import weakref
from contextlib import contextmanager

import pytest
from nameko.exceptions import RemoteError

import redis
from kombu import Connection, Queue

from services.common import broker_users
from services.common.events import make_event
from services.common.outbox import Bus
from services.common.amqp_names import event_exchange
from services.ops import provision


def wait_until(condition, timeout=10.0, interval=0.05, message="condition"):
    """Poll `condition()` until it returns something truthy; fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {message}")
        time.sleep(interval)


@contextmanager
def workers_watched(container):
    """Weak references to the workers `container` spawns inside, with the garbage collector off:
    a worker left in a reference cycle then stays alive, where it would otherwise wait for the
    collector's next pass."""
    workers, spawn = [], container.spawn_worker

    def spawn_watched(*args, **kwargs):
        worker_ctx = spawn(*args, **kwargs)
        workers.append(weakref.ref(worker_ctx))
        return worker_ctx

    gc.disable()
    container.spawn_worker = spawn_watched
    try:
        yield workers
    finally:
        del container.spawn_worker
        gc.enable()


def all_freed(workers, at_least):
    return len(workers) >= at_least and all(worker() is None for worker in workers)


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class BusUsers:
    """This run's broker users `<prefix><name>` (contract §6): each made on first use, granted in a
    vhost on first use there (again when a test asks for another grant), and all deleted at the end
    (broker users belong to the whole broker)."""

    def __init__(self, management, prefix, keys_dir):
        self.management = management
        self.prefix = prefix
        self.keys_dir = keys_dir
        self.made = set()
        self.granted = {}  # (vhost, name) -> the Grant given there

    def uri(self, amqp_uri, name, grant=None):
        """`amqp_uri`'s vhost as `name`'s user, granted `grant` (default: its production one) there."""
        user = self.prefix + name
        if name not in self.made:
            self.management.put_user(user, provision.password(name, self.keys_dir))
            self.made.add(name)
        vhost = broker_users.vhost(amqp_uri)
        grant = grant or self.grant_of(name)
        # Again when it differs: in a shared vhost a test double may have held the name before.
        if self.granted.get((vhost, name)) != grant:
            self.management.grant(vhost, user, grant)
            self.granted[(vhost, name)] = grant
        return provision.uri_for(amqp_uri, name, self.prefix, self.keys_dir)

    def uris(self, amqp_uri, grants):
        """{name: URI} for several users at once ({name: Grant}), as the fault tier's NodeUsers makes them."""
        return {name: self.uri(amqp_uri, name, grant) for name, grant in grants.items()}

    def service_uri(self, amqp_uri, service_cls):
        """`amqp_uri`'s vhost as a service class's own user, granted what the class does on the bus."""
        return self.uri(amqp_uri, service_cls.name, broker_users.service_grant(provision.needs_of(service_cls)))

    @staticmethod
    @functools.lru_cache(maxsize=None)
    def grant_of(name):
        try:
            return provision.grant_of(name)
        except (ImportError, StopIteration):  # a test-only source of events
            return broker_users.service_grant(broker_users.Needs(name, serves_rpc=False))

    def close(self):
        if not self.made:  # a run that never used the broker (the unit tier) made no user
            return
        for name in sorted(self.made):
            self.management.delete_user(self.prefix + name)


# Set by tests/conftest.py for the session: helpers publish events as their source's user.
bus_users = None


class EventListener:
    """A plain kombu consumer bound to `<source>.events`, as a department's system would bind with the
    `integration` user: an `integration.*` queue, the exchange declared passively. It is exclusive:
    read with basic.get only, an auto-delete queue would never lose its last consumer and never go."""

    def __init__(self, amqp_uri, source, routing_key="#"):
        self.connection = Connection(amqp_uri)
        self.queue = Queue(f"integration.test-listener-{uuid.uuid4().hex[:8]}",
                           exchange=event_exchange(source, declare=False),
                           routing_key=routing_key, exclusive=True, durable=False)
        self.queue = self.queue(self.connection.default_channel)
        self.queue.declare()
        self.received = []

    def drain(self):
        while True:
            message = self.queue.get(no_ack=True)
            if message is None:
                return self.received
            self.received.append({"body": message.payload, "headers": message.headers,
                                  "properties": message.properties, "raw": message.body,
                                  "content_type": (message.content_type, message.content_encoding)})

    def events(self, event_type=None):
        return [m["body"] for m in self.drain() if event_type in (None, m["body"]["event_type"])]

    def wait_for(self, event_type, count=1, timeout=10.0, where=lambda event: True):
        def enough():
            found = [e for e in self.events(event_type) if where(e)]
            return found if len(found) >= count else None
        return wait_until(enough, timeout, message=f"{count} x {event_type}")

    def close(self):
        self.connection.release()


def publish_event(amqp_uri, source, event_type, subject, data, seq=1):
    """Publish a valid envelope as `source` would, as its broker user (for consumer tests)."""
    return publish_envelope(amqp_uri, make_event(source, event_type, subject, seq, data))


def publish_envelope(amqp_uri, envelope):
    """Publish an envelope on `amqp_uri`'s vhost as its source service's broker user."""
    bus = Bus(bus_users.uri(amqp_uri, envelope["source"]))
    try:
        bus.publish(envelope)
    finally:
        bus.close()
    return envelope


def queue_depth(amqp_uri, queue_name):
    """Ready messages in a queue, by a passive declare (the management API's counts lag)."""
    with Connection(amqp_uri) as connection:
        _, ready, _ = connection.default_channel.queue_declare(queue_name, passive=True)
        return ready


def take_message(amqp_uri, queue_name):
    """Take one message off a queue: (payload, headers), or None when it is empty."""
    with Connection(amqp_uri) as connection:
        # Not SimpleQueue: it would declare the queue, with arguments other than the quorum ones.
        message = Queue(queue_name, no_declare=True)(connection.default_channel).get(no_ack=True)
        return None if message is None else (message.payload, message.headers)


def remote_error(call):
    """The `RemoteError` that `call()` raises (fails the test when it raises none)."""
    with pytest.raises(RemoteError) as exc:
        call()
    return exc.value


def every_page(list_method, limit=1, **filters):
    """Every item of a list, following `next_cursor` a page of `limit` at a time."""
    items, cursor = [], None
    while True:
        page = list_method(**filters, limit=limit, cursor=cursor)
        items += page["items"]
        if page["next_cursor"] is None:
            return items
        cursor = page["next_cursor"]


def outcome(call):
    """"ok", or the exc_type the call failed with."""
    try:
        call()
    except RemoteError as err:
        return err.exc_type
    return "ok"


@contextmanager
def flushed_redis(url):
    """A client on a test database, empty before and after (tests own their database)."""
    client = redis.Redis.from_url(url, decode_responses=True)
    client.flushdb()
    yield client
    client.flushdb()


class ThrowawayRedis:
    """A redis-server of its own on a free port, which a test stops and starts again (on the same
    port): the shared one on 6379 must never be stopped."""

    def __init__(self):
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process = None

    def start(self):
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL)
        client = redis.Redis(port=self.port, socket_connect_timeout=1)
        wait_until(lambda: self.process.poll() is None and self._answers(client), timeout=10,
                   message=f"Redis on port {self.port}")

    @staticmethod
    def _answers(client):
        try:
            return client.ping()
        except redis.ConnectionError:
            return False

    def stop(self):
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)
