"""The real system under the cluster tests: pairing, activity, summary and notification, each started
as `make run` starts it (scripts/service.sh, the broker already provisioned), on the broker and
Redis the test gives, and driven by bench/pipeline.py's `complete_activity` completions from callers
that call again with the same request id until they are answered (contract §3 v2)."""
import json
import os
import time
from collections import Counter

import eventlet
from nameko.exceptions import RemoteError

from bench.load import closed_loop
from bench.pipeline import Pipeline
from services.common import broker_users, listing
from services.common.redis_ha import redis_client
from services.ops import provision
from tests.fault.support import RETRY_DELAYS, ServiceProcess
from tests.helpers import wait_until

SERVICES = broker_users.RPC_SERVICES
# Where bench.pipeline.PROBLEM's category is forwarded (services/summary/departments.json).
DEPARTMENT = "elderly-care"
# Long enough for a lost reply to be asked for again soon, short enough for a loaded machine.
RPC_TIMEOUT = 10
ANSWER_WITHIN = 90


class RealSystem:
    """The four services on `amqp_uri` (the administrator's), each as its own broker user made by
    `users` (`.uris(amqp_uri, {name: grant})`), with the Redis of `redis_settings`; `amqp_uri` is then
    the callers' (`rpc-client`) and `redis` a client that follows a failover like theirs."""

    def __init__(self, amqp_uri, users, redis_settings, jwt_keys, make_token, log_dir):
        users.uris(amqp_uri, {name: provision.grant_of(name) for name in (*SERVICES, broker_users.RPC_CLIENT)})
        provision.declare_topology(amqp_uri, RETRY_DELAYS)  # quorum queues, as `make run` declares them
        self.amqp_uri = broker_users.uri_for(amqp_uri, broker_users.RPC_CLIENT)
        self.token = make_token
        self.redis = redis_client(redis_settings)
        env = {**os.environ, "AMQP_URI": amqp_uri, "BUS_PROVISIONED": "1", **redis_settings,
               "JWT_PUBLIC_KEY_FILE": jwt_keys["public_file"], "EVENT_RETRY_DELAYS": str(RETRY_DELAYS),
               "EMAIL_RETRY_DELAYS": str(RETRY_DELAYS), "OUTBOX_RELAY_INTERVAL": "0.3",
               "DEADLINE_CHECK_INTERVAL": "3600", "PYTHONWARNINGS": "ignore"}
        self.processes = [ServiceProcess(name, ["bash", "scripts/service.sh", name], f"rpc-{name}", env, log_dir)
                          for name in SERVICES]
        try:
            for process in self.processes:
                process.start()
            for process in self.processes:
                process.wait_ready(timeout=60)
        except BaseException:
            self.close()
            raise

    def untouched(self):
        """Every process still running, started once: it reconnected by itself, nobody restarted it."""
        return {process.name: (process.running(), process.starts) for process in self.processes}

    def outbox_backlog(self):
        return sum(self.redis.zcard(f"{name}:outbox:staged") for name in SERVICES)

    def close(self):
        for process in self.processes:
            if process.process is not None:
                process.kill()


class Completions:
    """`callers` concurrent callers completing `numbers` of a Pipeline's activities, each completion
    with its own request id. A caller whose call failed (Unavailable, no answer, its connection
    lost) calls again with the same id, on a new proxy, until it is answered."""

    def __init__(self, pipeline, callers):
        self.pipeline = pipeline
        self.callers = callers
        self.answered = {}
        self.unanswered = {}  # number -> the error a caller gave up on

    def start(self, numbers):
        self.flow = eventlet.spawn(closed_loop, self.complete, numbers, self.callers)
        return self

    def wait(self):
        self.flow.wait()
        assert not self.unanswered, f"calls given up on: {self.unanswered}"
        return self.answered

    def complete(self, slot, number):
        try:
            self.answered[number] = self._until_answered(slot, number)
        except Exception as exc:  # noqa: BLE001  for wait() to report
            self.unanswered[number] = repr(exc)[:300]

    def _until_answered(self, slot, number):
        request_id = f"complete-{self.pipeline.activities[number]}"
        limit = time.monotonic() + ANSWER_WITHIN
        while True:
            try:
                return self.pipeline.complete(slot, number, request_id)
            except RemoteError as exc:
                if exc.exc_type != "Unavailable" or time.monotonic() > limit:
                    raise
            except Exception:  # noqa: BLE001  no answer, or the connection went with a broker node
                if time.monotonic() > limit:
                    raise
                self.renew(slot)
            eventlet.sleep(0.2)  # as callers are asked to: "retry later with the same request_id"

    def renew(self, slot):
        try:
            self.pipeline.unit.renew(slot)
        except Exception:  # noqa: BLE001  the broker is failing over: the next attempt renews again
            pass


def pipeline(system, callers):
    return Pipeline(system, callers, rpc_timeout=RPC_TIMEOUT)


def records(redis, prefix, index_key):
    """The records listed in a list index (services.common.listing), loaded from `<prefix><id>`."""
    ids = [listing.record_id(member) for member in redis.zrange(index_key, 0, -1)]
    return [json.loads(raw) for raw in redis.mget([prefix + record_id for record_id in ids]) if raw] if ids else []


def differences(system, pipeline):
    """What differs from each completed activity having one summary request, one issue forwarded to
    DEPARTMENT, the unit told of the summary and the department of the issue, each exactly once:
    {what: (missing, extra)}, empty when nothing does."""
    redis = system.redis
    summaries = records(redis, "summary:summary:", "summary:summaries")
    issues = records(redis, "summary:issue:", "summary:issues")
    told_unit = records(redis, "notification:n:", f"notification:inbox:unit:{pipeline.code}")
    told_department = records(redis, "notification:n:", f"notification:inbox:department:{DEPARTMENT}")
    found = {
        "summaries": Counter(summary["activity_id"] for summary in summaries),
        "issues": Counter((issue["source"]["id"], issue["department"]) for issue in issues),
        "unit notices": Counter(n["subject"] for n in told_unit if n["event_type"] == "summary_requested"),
        "department notices": Counter(n["subject"] for n in told_department if n["event_type"] == "issue_forwarded"),
    }
    expected = {
        "summaries": Counter(pipeline.activities),
        "issues": Counter((activity_id, DEPARTMENT) for activity_id in pipeline.activities),
        "unit notices": Counter(summary["id"] for summary in summaries),
        "department notices": Counter(issue["id"] for issue in issues),
    }
    return {what: (sum((expected[what] - found[what]).values()), sum((found[what] - expected[what]).values()))
            for what in expected if found[what] != expected[what]}


def wait_each_once(system, pipeline, timeout=90):
    """Until every completion has its effects once and every outbox is drained."""
    seen = {}

    def settled():
        seen["differences"] = differences(system, pipeline)
        seen["outbox backlog"] = system.outbox_backlog()
        return not seen["differences"] and not seen["outbox backlog"]
    try:
        wait_until(settled, timeout=timeout, interval=0.5, message="every completion's effects, each once")
    except AssertionError as exc:
        raise AssertionError(f"{exc}; (missing, extra) and backlog: {seen}") from None
