"""Fakes for the unit tier: an in-memory Redis with WATCH/MULTI/EXEC semantics (only the commands
the base store and a list page use) and an outbox that records what it stages and publishes."""
import json

import pytest
from redis.exceptions import WatchError


class FakeRedis:
    def __init__(self):
        self.data = {}
        self.versions = {}
        self.ttls = {}
        # Called before each EXEC: a test's concurrent writer.
        self.before_exec = None
        # Sorted sets at score 0 (list indexes), and every key MGET read, in order.
        self.indexes = {}
        self.read = []
        # The command names of each round trip a transaction made before MULTI.
        self.round_trips = []

    def _write(self, key, value, ex=None):
        self.data[key] = value
        self.versions[key] = self.versions.get(key, 0) + 1
        if ex is not None:
            self.ttls[key] = ex

    def get(self, key):
        return self.data.get(key)

    def mget(self, keys):
        self.read.extend(keys)
        return [self.data.get(key) for key in keys]

    def zadd(self, key, mapping):
        self.indexes.setdefault(key, set()).update(mapping)

    def zrevrangebylex(self, key, upper, lower, start, num):
        """Only what `listing.page` asks: from "+" or below an exclusive "(member", down to "-"."""
        assert lower == "-" and (upper == "+" or upper.startswith("("))
        members = sorted((m for m in self.indexes.get(key, ()) if upper == "+" or m < upper[1:]), reverse=True)
        return members[start:start + num]

    def exists(self, key):
        return int(key in self.data)

    def set(self, key, value, ex=None, nx=False):
        if nx and key in self.data:
            return None
        self._write(key, value, ex)
        return True

    def pipeline(self, transaction=True):
        return FakePipeline(self)


class FakePipeline:
    """Immediate reads after WATCH, queued writes after MULTI, EXEC failing if a watched key moved."""

    def __init__(self, redis):
        self.redis = redis
        self.watched = {}
        self.queued = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def watch(self, *keys):
        for key in keys:
            self.watched.setdefault(key, self.redis.versions.get(key, 0))

    def round_trip(self, *commands):
        """Like the real pipeline's: each `(name, *args)` in turn."""
        self.redis.round_trips.append([name for name, *_ in commands])
        return [self.mget(args) if name == "MGET" else getattr(self, name.lower())(*args) for name, *args in commands]

    def get(self, key):
        return self.redis.get(key)

    def mget(self, keys):
        return [self.redis.get(key) for key in keys]

    def exists(self, key):
        return self.redis.exists(key)

    def multi(self):
        self.queued = []

    def set(self, key, value, ex=None):
        self.queued.append((key, value, ex))

    def execute(self):
        if self.redis.before_exec is not None:
            self.redis.before_exec()
        if any(self.redis.versions.get(key, 0) != version for key, version in self.watched.items()):
            raise WatchError()
        for key, value, ex in self.queued:
            self.redis._write(key, value, ex)


class FakeOutbox:
    """Stages each event as `outbox:<event_id>` on the transaction's pipeline, like the real one."""

    def __init__(self):
        self.published = []

    def stage(self, pipe, events):
        staged = [(event, json.dumps(event, ensure_ascii=False)) for event in events]
        for event, body in staged:
            pipe.set(f"outbox:{event['event_id']}", body)
        return staged

    @staticmethod
    def committed(redis):
        return [json.loads(value) for key, value in redis.data.items() if key.startswith("outbox:")]

    def publish(self, staged):
        self.published.extend(event for event, _ in staged)


@pytest.fixture
def fake_redis():
    return FakeRedis()


@pytest.fixture
def fake_outbox():
    return FakeOutbox()
