"""The metrics of issue 15 on real RabbitMQ and Redis: latency histograms per RPC method and per
event handler with their outcome, the outbox's oldest entry, and the dead-letter depth."""
import time

import pytest
from prometheus_client import REGISTRY

from services.common import scrape
from services.common.events import make_event
from services.common.outbox import Outbox
from tests.helpers import queue_depth, remote_error, wait_until
from tests.service.probe import ProbeConsumer, ProbeService

THING = {"unit_code": "U001", "title": "慰问"}


def observed(name, **labels):
    return REGISTRY.get_sample_value(name, labels) or 0.0


@pytest.fixture
def probe(start_service):
    return start_service(ProbeService)


def test_rpc_latency_is_observed_per_method_and_outcome(probe, rpc):
    ok = {"service": "probe", "method": "make_thing", "outcome": "ok"}
    missing = {"service": "probe", "method": "get_thing", "outcome": "NotFound"}
    before = observed("leifeng_rpc_duration_seconds_count", **ok), observed("leifeng_rpc_duration_seconds_count", **missing)
    rpc().probe.make_thing(THING)
    assert remote_error(lambda: rpc().probe.get_thing("nothing")).exc_type == "NotFound"
    after = observed("leifeng_rpc_duration_seconds_count", **ok), observed("leifeng_rpc_duration_seconds_count", **missing)
    assert (after[0] - before[0], after[1] - before[1]) == (1, 1)
    assert observed("leifeng_rpc_duration_seconds_bucket", **ok, le="+Inf") >= 1


def test_handler_latency_is_observed_with_the_error_type_as_outcome(probe, start_service, rpc, service_config):
    start_service(ProbeConsumer)
    labels = {"service": "probeconsumer", "handler": "on_thing", "event_type": "thing_made"}
    before = {outcome: observed("leifeng_event_handler_duration_seconds_count", **labels, outcome=outcome)
              for outcome in ("ok", "RuntimeError")}
    rpc().probe.make_thing(THING)
    rpc().probe.make_thing({**THING, "poison": True})

    def counted():
        now = {outcome: observed("leifeng_event_handler_duration_seconds_count", **labels, outcome=outcome) - seen
               for outcome, seen in before.items()}
        return now if now["ok"] == 1 and now["RuntimeError"] >= 1 else None

    wait_until(counted, message="one ok and a failed attempt observed")
    wait_until(lambda: queue_depth(service_config["AMQP_URI"], "probeconsumer.dead-letter") == 1, timeout=15,
               message="the poison event dead-lettered")
    assert scrape.dead_letter_depth(service_config["AMQP_URI"], "probeconsumer") == 1
    assert scrape.dead_letter_depth(service_config["AMQP_URI"], "nosuchservice") == -1


def test_the_outbox_reports_the_age_of_its_oldest_entry(redis_client):
    outbox = Outbox(redis_client, "aged:", "aged", bus=None)
    assert outbox.oldest_age() == 0
    pipe = redis_client.pipeline(transaction=True)
    outbox.stage(pipe, [make_event("probe", "thing_made", "t1", 1, {"id": "t1", "unit_code": "U001"})])
    pipe.execute()
    [(event_id, _)] = redis_client.zrange("aged:outbox:staged", 0, -1, withscores=True)
    redis_client.zadd("aged:outbox:staged", {event_id: time.time() - 90})
    assert 90 <= outbox.oldest_age() < 120
