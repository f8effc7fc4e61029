"""The baseline of issue 16: the smallest nameko pair that does what a completion does once, an RPC
that dispatches one event and a handler that writes one Redis key (the moment it wrote it, so the
bench reads the latency back). Plain nameko, on purpose: it is the framework's own limit here.

    nameko run --config config.yml bench.baseline:BaselineCaller
    nameko run --config config.yml bench.baseline:BaselineHandler"""
import time

import redis
from nameko.events import EventDispatcher, event_handler
from nameko.extensions import DependencyProvider
from nameko.rpc import rpc

KEY = "bench:baseline:{}"


class Redis(DependencyProvider):
    def setup(self):
        self.client = redis.Redis.from_url(self.container.config["REDIS_URL"])

    def get_dependency(self, worker_ctx):
        return self.client


class BaselineCaller:
    name = "bench_baseline"
    dispatch = EventDispatcher()

    @rpc
    def ping(self, number):
        self.dispatch("pinged", {"number": number})
        return number


class BaselineHandler:
    name = "bench_baseline_handler"
    redis = Redis()

    @event_handler("bench_baseline", "pinged")
    def on_pinged(self, payload):
        self.redis.set(KEY.format(payload["number"]), repr(time.time()), ex=3600)
