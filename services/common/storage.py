"""The Redis `DependencyProvider`: one client per service process, keys under `<service>:`.

It also runs the outbox relay, so every service that stores state also publishes what it staged,
and the Redis watch that pauses the container's consumers while Redis is out of reach (readiness)."""
import gc
import logging
from dataclasses import dataclass

import eventlet
from nameko.extensions import DependencyProvider

from . import correlation, handled, metrics, readiness
from .audit import CallAudit
from .outbox import Bus, Outbox
from .redis_ha import redis_client
from .settings import flag, number, require_setting
from .unit_check import UnitCheck

log = logging.getLogger(__name__)


@dataclass
class Resources:
    client: object  # redis.Redis (redis_ha)
    bus: Bus
    outbox: Outbox
    relaying: bool = False
    ready: bool = True  # Redis answered the last ping (services.common.readiness)


def resources(container):
    """One Redis client, bus publisher and outbox per service container, shared by its stores,
    its consumers and its health probe. Kept on the container (extensions hold a proxy of it)."""
    shared = getattr(container, "leifeng_resources", None)
    if shared is None:
        config = container.config
        client = redis_client(config)
        bus = Bus(require_setting(config, "AMQP_URI"))
        outbox = Outbox(client, f"{container.service_name}:", container.service_name, bus, forget_later=True)
        shared = container.leifeng_resources = Resources(client, bus, outbox)
    return shared


class Storage(DependencyProvider):
    def __init__(self, store_cls):
        self.store_cls = store_cls
        self.relay_thread = self.watch_thread = None

    def setup(self):
        shared = resources(self.container)
        self.service = self.container.service_name
        self.prefix = f"{self.service}:"
        self.client = shared.client
        self.outbox = shared.outbox
        self.relay_interval = number(self.container.config, "OUTBOX_RELAY_INTERVAL", 2)

    def start(self):
        shared = resources(self.container)
        if not shared.relaying:  # a service with two stores still runs one relay
            shared.relaying = True
            # What is loaded by now (modules, schemas, the container) lives as long as the process:
            # kept out of the collector's generations, a full collection walks only what calls made.
            gc.freeze()
            self.relay_thread = self.container.spawn_managed_thread(self.relay_forever)
            if flag(self.container.config, "PAUSE_WITHOUT_REDIS"):
                self.watch_thread = self.container.spawn_managed_thread(lambda: readiness.watch(shared, self.service))

    def stop(self, graceful=True):
        for thread in (self.relay_thread, self.watch_thread):
            if thread is not None:
                thread.kill()
        if self.relay_thread is not None:  # the one Storage that runs the relay closes the bus once
            if graceful:
                self.outbox.settle()
            resources(self.container).bus.close(graceful)

    def kill(self):
        self.stop(graceful=False)

    def relay_forever(self):
        while True:
            eventlet.sleep(self.relay_interval)
            try:
                self.outbox.relay(older_than=self.relay_interval)
                metrics.OUTBOX_BACKLOG.labels(self.service).set(self.outbox.backlog())
                metrics.OUTBOX_OLDEST_AGE.labels(self.service).set(self.outbox.oldest_age())
            except Exception as exc:
                log.warning("outbox relay: %s", type(exc).__name__)

    def make_store(self, handled_key=None, correlation_id=None, on_marked=None, audit=None, unit_check=None):
        return self.store_cls(self.client, self.prefix, self.service, self.outbox, handled_key=handled_key,
                              correlation_id=correlation_id, on_marked=on_marked, audit=audit,
                              unit_check=unit_check)

    def get_dependency(self, worker_ctx):
        """A store for this worker: inside an event handler it writes the handled mark with its
        changes, inside an RPC call the call's audit entry and deferred unit check; its events carry
        the worker's correlation id."""
        handled_key = getattr(worker_ctx.entrypoint, "handled_key", None)
        if handled_key is None:
            return self.make_store(None, correlation.ensure(worker_ctx.data), audit=CallAudit.of_worker(worker_ctx),
                                   unit_check=UnitCheck.of_worker(worker_ctx))
        return self.make_store(handled_key(worker_ctx), correlation.ensure(worker_ctx.data),
                               on_marked=handled.Committed.of_worker(worker_ctx).set)
