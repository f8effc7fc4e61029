"""The shared plumbing on real RabbitMQ and Redis: auth, errors, outbox, reliable consumption."""
import gc
import json

import eventlet
from eventlet.event import Event
import pytest
import requests
from nameko.amqp.publish import Publisher
from nameko.exceptions import IncorrectSignature
from nameko.standalone.rpc import ClusterRpcProxy
from nameko.testing.services import entrypoint_waiter

from kombu import Connection, Queue

from services.common import correlation, events, topology
from services.common import rpc as rpc_module
from services.common.amqp_names import event_exchange
from services.common.confirms import MAX_IDLE, RETURNED
from services.common.events import make_event
from services.common.outbox import Bus, Outbox, encoded
from tests.helpers import publish_envelope, queue_depth, remote_error, take_message, wait_until
from tests.service.probe import DeadlineProbe, ProbeConsumer, ProbeService, ThingData

THING = {"unit_code": "U001", "title": "慰问"}


@pytest.fixture
def probe(start_service):
    return start_service(ProbeService)


def test_health_and_metrics(probe, service_config, rpc):
    base = f"http://{service_config['WEB_SERVER_ADDRESS']}"
    health = requests.get(f"{base}/health", timeout=5)
    assert health.status_code == 200
    assert health.json() == {"status": "ok", "service": "probe", "redis": "ok", "amqp": "ok"}
    rpc().probe.forgetful()
    metrics = requests.get(f"{base}/metrics", timeout=5)
    assert 'leifeng_rpc_calls_total{method="forgetful",outcome="ok",service="probe"}' in metrics.text
    assert metrics.headers["Content-Type"].count("charset") == 1  # Prometheus refuses a repeated one


def test_no_token_is_unauthenticated(probe, rpc):
    assert remote_error(lambda: rpc(token=False).probe.make_thing(THING)).exc_type == "Unauthenticated"


def forged_tokens(make_token, tmp_path):
    """Every way a token can be wrong: expired, another key, HS256 with the public key, alg none."""
    import base64
    import hashlib
    import hmac
    import time

    import jwt
    from services.common import auth

    other_private, _ = auth.keygen(tmp_path)
    claims = {"sub": "x", "role": "committee", "exp": int(time.time()) + 600}

    def b64(data):
        return base64.urlsafe_b64encode(data).rstrip(b"=").decode()
    head, body = b64(json.dumps({"alg": "HS256", "typ": "JWT"}).encode()), b64(json.dumps(claims).encode())
    return {
        "expired": make_token("committee", ttl=-120),
        "other key": auth.mint(other_private.read_text(), "committee"),
        "none": jwt.encode(claims, None, algorithm="none"),
        "garbage": "abc.def.ghi",
        "hs256": lambda public_pem: f"{head}.{body}." + b64(hmac.new(
            public_pem.encode(), f"{head}.{body}".encode(), hashlib.sha256).digest()),
    }


@pytest.mark.parametrize("kind", ["expired", "other key", "none", "garbage", "hs256"])
def test_bad_tokens_are_unauthenticated(probe, rpc, make_token, jwt_keys, tmp_path, kind):
    token = forged_tokens(make_token, tmp_path)[kind]
    if callable(token):
        token = token(open(jwt_keys["public_file"]).read())
    assert remote_error(lambda: rpc(token=token).probe.make_thing(THING)).exc_type == "Unauthenticated"


def test_role_checks_come_before_input_checks(probe, rpc):
    error = remote_error(lambda: rpc("department", department="elderly-care").probe.make_thing(None))
    assert error.exc_type == "Forbidden"


def test_a_unit_acts_only_for_itself(probe, rpc):
    error = remote_error(lambda: rpc("unit", unit="U002").probe.make_thing(THING))
    assert error.exc_type == "Forbidden"
    assert rpc("unit", unit="U001").probe.make_thing(THING)["unit_code"] == "U001"


def test_expected_errors_are_not_logged_as_faults(probe, rpc, caplog):
    remote_error(lambda: rpc().probe.get_thing("nope"))
    remote_error(lambda: rpc(token=False).probe.get_thing("nope"))
    assert [r for r in caplog.records if r.levelname == "ERROR"] == []


def test_a_wrong_argument_type_is_a_validation_error_with_a_field_map(probe, rpc, redis_client):
    error = remote_error(lambda: rpc().probe.make_thing(["not", "a", "dict"]))
    assert error.exc_type == "ValidationError"
    assert json.loads(error.value) == {"thing": ["应为对象(Invalid input type)."]}
    error = remote_error(lambda: rpc().probe.make_thing({"unit_code": "bad code!", "title": 7}))
    assert set(json.loads(error.value)) == {"thing.unit_code", "thing.title"}
    assert redis_client.keys("probe:thing:*") == []


def test_an_unexpected_exception_is_an_internal_error_with_only_a_reference(probe, rpc, caplog):
    error = remote_error(lambda: rpc().probe.boom())
    assert error.exc_type == "InternalError"
    assert len(error.value) == 12 and "Traceback" not in error.value and "139" not in error.value
    assert error.value in caplog.text


def test_a_method_that_forgets_the_ownership_check_fails_closed(probe, rpc):
    assert rpc().probe.forgetful() == "secret"
    assert remote_error(lambda: rpc("unit", unit="U001").probe.forgetful()).exc_type == "InternalError"


def test_wrong_arguments_are_nameko_incorrect_signature(probe, rpc):
    with pytest.raises(IncorrectSignature):
        rpc().probe.get_thing()
    with pytest.raises(IncorrectSignature):
        rpc().probe.make_thing(THING, surprise=1)


def test_the_caller_and_its_role_are_checked_before_the_argument_names(probe, rpc, caplog):
    # Contract §3's order: Unauthenticated, Forbidden, then the input, argument names included.
    assert remote_error(lambda: rpc(token=False).probe.get_thing()).exc_type == "Unauthenticated"
    assert remote_error(lambda: rpc("ops").probe.get_thing(surprise=1)).exc_type == "Forbidden"
    assert remote_error(lambda: rpc("department", department="d1").probe.make_thing()).exc_type == "Forbidden"
    with pytest.raises(IncorrectSignature):
        rpc("unit", unit="U001").probe.make_thing(THING, surprise=1)
    assert "Traceback" not in caplog.text  # an answer, not a fault


def test_a_repeated_request_id_returns_the_first_record(probe, rpc, redis_client):
    first = rpc().probe.make_thing(THING, request_id="r-1")
    again = rpc().probe.make_thing(THING, request_id="r-1")
    assert first == again
    assert len(redis_client.keys("probe:thing:*")) == 1


def test_events_are_published_with_a_valid_envelope_and_no_token(probe, rpc, listen, redis_client):
    listener = listen("probe")
    record = rpc().probe.make_thing(THING)
    [message] = wait_until(lambda: listener.drain())
    body = message["body"]
    assert (body["event_type"], body["source"], body["subject"], body["version"]) == (
        "thing_made", "probe", record["id"], 1)
    assert body["data"] == record
    assert "auth_token" not in json.dumps(message["headers"])
    # The body is sent as the outbox staged it, encoded once: UTF-8 JSON, its Chinese unescaped.
    assert message["content_type"] == ("application/json", "utf-8")
    assert message["raw"] == json.dumps(body, ensure_ascii=False)  # py-amqp hands UTF-8 bodies decoded
    wait_until(lambda: redis_client.zcard("probe:outbox:staged") == 0, message="outbox emptied")


def test_the_relay_publishes_what_a_crash_left_in_the_outbox(probe, listen, redis_client):
    """An entry committed with its state change but never published, as a crash after EXEC leaves it."""
    listener = listen("probe")
    from services.common.events import make_event
    from services.common.outbox import Outbox
    event = make_event("probe", "thing_made", "t-orphan", 1, {"id": "t-orphan", "unit_code": "U001"})
    pipe = redis_client.pipeline(transaction=True)
    Outbox(redis_client, "probe:", "probe", bus=None).stage(pipe, [event])
    pipe.execute()
    [published] = listener.wait_for("thing_made", timeout=10)
    assert published == event
    wait_until(lambda: redis_client.zcard("probe:outbox:staged") == 0, message="outbox emptied")


# No queue is ever bound for it: the broker returns it.
events.register("probe", "thing_lost", ThingData)


def full_queue(amqp_uri, routing_key):
    """A queue bound to `probe.events` that refuses every message: the broker nacks what it routes there."""
    with Connection(amqp_uri) as connection:
        Queue(f"integration.full-{routing_key}", exchange=event_exchange("probe", declare=False),
              routing_key=routing_key, auto_delete=False, durable=False,
              queue_arguments={"x-max-length": 0, "x-overflow": "reject-publish"})(connection.default_channel).declare()


def test_a_batch_is_confirmed_at_once_and_only_a_nacked_event_stays_in_the_outbox(service_config, listen,
                                                                                  redis_client, bus_users):
    amqp_uri = service_config["AMQP_URI"]
    listener = listen("probe", "thing_made")
    full_queue(amqp_uri, "thing_renamed")
    bus = Bus(bus_users.uri(amqp_uri, "probe"))
    outbox = Outbox(redis_client, "outboxtest:", "probe", bus)
    made, renamed, lost = (make_event("probe", event_type, "t1", 1, {"id": "t1", "unit_code": "U001"})
                           for event_type in ("thing_made", "thing_renamed", "thing_lost"))
    pipe = redis_client.pipeline(transaction=True)
    staged = outbox.stage(pipe, [made, renamed, lost])
    pipe.execute()
    outbox.publish(staged)
    assert bus.channels.idle == []  # a channel that got a nack is not used again
    bus.close()
    assert listener.wait_for("thing_made") == [made]
    # Unroutable: dropped (and counted), as no consumer will ever ask for it. Nacked: the relay's.
    assert redis_client.hkeys("outboxtest:outbox") == [renamed["event_id"]]
    assert redis_client.zrange("outboxtest:outbox:staged", 0, -1) == [renamed["event_id"]]


def test_a_peak_of_concurrent_batches_leaves_a_few_channels_open(service_config, listen, redis_client, bus_users):
    listener = listen("probe", "thing_made")
    bus = Bus(bus_users.uri(service_config["AMQP_URI"], "probe"))
    outbox = Outbox(redis_client, "outboxtest:", "probe", bus)
    made = [make_event("probe", "thing_made", f"t{n}", 1, {"id": f"t{n}", "unit_code": "U001"})
            for n in range(3 * MAX_IDLE)]
    batches = [[(event, encoded(event))] for event in made]
    pool = eventlet.GreenPool()
    for batch in batches:
        pool.spawn(outbox.publish, batch)
    pool.waitall()
    try:
        assert len(listener.wait_for("thing_made", count=len(batches))) == len(batches)
        assert 1 <= len(bus.channels.idle) <= MAX_IDLE
    finally:
        bus.close()


@pytest.mark.own_vhost
def test_an_exchange_deleted_under_an_idle_channel_is_declared_again_on_a_new_one(service_config, bus_users):
    """A confirm channel declares an exchange once; when it is gone (deleted by an operator) the
    publish fails on that channel and succeeds on a new one, which declares it again."""
    amqp_uri = service_config["AMQP_URI"]
    bus = Bus(bus_users.uri(amqp_uri, "probe"))
    first, second = (make_event("probe", "thing_made", f"t{n}", 1, {"id": f"t{n}", "unit_code": "U001"})
                     for n in (1, 2))
    try:
        bus.publish_all([(first, encoded(first))], {})
        with Connection(amqp_uri) as admin:
            admin.default_channel.exchange_delete("probe.events")
        outcomes = {}
        bus.publish_all([(second, encoded(second))], outcomes)
        assert outcomes == {second["event_id"]: RETURNED}  # published; no queue is bound to the new one
        with Connection(amqp_uri) as admin:
            admin.default_channel.exchange_declare("probe.events", "topic", durable=True, passive=True)
    finally:
        bus.close()


@pytest.fixture
def consumer(start_service):
    return start_service(ProbeConsumer)


def effects(redis_client):
    return {k: int(v) for k, v in redis_client.hgetall("probeconsumer:effects").items()}


def test_the_same_event_delivered_twice_has_one_effect(probe, consumer, rpc, redis_client, service_config):
    from tests.helpers import publish_event
    event = publish_event(service_config["AMQP_URI"], "probe", "thing_made", "t9", {"id": "t9", "unit_code": "U1"})
    with entrypoint_waiter(consumer, "on_thing"):
        publish_envelope(service_config["AMQP_URI"], event)
    wait_until(lambda: effects(redis_client) == {event["event_id"]: 1})
    assert effects(redis_client) == {event["event_id"]: 1}


def test_a_poison_event_is_retried_then_dead_lettered_while_others_flow(
        probe, consumer, rpc, redis_client, service_config):
    poison = rpc().probe.make_thing({**THING, "poison": True})
    healthy = rpc().probe.make_thing(THING)
    wait_until(lambda: len(effects(redis_client)) == 1, message="healthy event handled")
    wait_until(lambda: queue_depth(service_config["AMQP_URI"], "probeconsumer.dead-letter") == 1,
               timeout=15, message="poison event dead-lettered")
    payload, headers = take_message(service_config["AMQP_URI"], "probeconsumer.dead-letter")
    assert headers["x-attempts"] == 6 and headers["x-error"].startswith("RuntimeError")
    assert payload["data"]["id"] == poison["id"]
    assert healthy["id"] != poison["id"]


def test_a_consumer_started_after_publication_gets_every_event(probe, rpc, start_service, redis_client,
                                                               service_config):
    topology.declare(service_config["AMQP_URI"], [ProbeConsumer], service_config["EVENT_RETRY_DELAYS"])
    for _ in range(5):
        rpc().probe.make_thing(THING)
    start_service(ProbeConsumer)
    wait_until(lambda: len(effects(redis_client)) == 5, message="five effects")
    assert set(effects(redis_client).values()) == {1}


# Idempotent requests (contract §3 v2) through Store.create and Store.change.

def test_a_request_id_reused_with_other_arguments_is_a_conflict(probe, rpc, redis_client):
    rpc().probe.make_thing(THING, request_id="r-1")
    error = remote_error(lambda: rpc().probe.make_thing({**THING, "title": "另一件"}, request_id="r-1"))
    assert error.exc_type == "Conflict" and "request_id 已用于另一请求" in error.value
    assert len(redis_client.keys("probe:thing:*")) == 1


def test_a_request_id_is_scoped_to_its_caller(probe, rpc, redis_client):
    by_committee = rpc().probe.make_thing(THING, request_id="r-1")
    by_unit = rpc("unit", unit="U001").probe.make_thing(THING, request_id="r-1")
    assert by_committee["id"] != by_unit["id"]


def test_a_repeated_change_returns_the_record_without_changing_it_again(probe, rpc, listen):
    thing = rpc().probe.make_thing(THING)
    listener = listen("probe", "thing_renamed")
    first = rpc().probe.rename_thing(thing["id"], "新名", request_id="r-2")
    again = rpc().probe.rename_thing(thing["id"], "新名", request_id="r-2")
    assert first == again and again["revision"] == 2
    assert len(listener.wait_for("thing_renamed")) == 1
    assert remote_error(lambda: rpc().probe.rename_thing(thing["id"], "别名", request_id="r-2")).exc_type == "Conflict"


def test_a_change_checks_found_then_owner(probe, rpc):
    thing = rpc().probe.make_thing(THING)
    assert remote_error(lambda: rpc().probe.rename_thing("nothing", "新名")).exc_type == "NotFound"
    other_unit = rpc("unit", unit="U002").probe
    assert remote_error(lambda: other_unit.rename_thing(thing["id"], "新名")).exc_type == "Forbidden"
    assert rpc().probe.get_thing(thing["id"])["title"] == THING["title"]


# Correlation ids (contract §4 v2, §7).

@pytest.fixture
def rpc_as(service_config, make_token):
    """`rpc_as(correlation_id)`: the committee's proxy sending that correlation id in context data."""
    proxies = []

    def connect(correlation_id):
        context = {"auth_token": make_token("committee"), "correlation_id": correlation_id}
        proxies.append(ClusterRpcProxy(service_config, context_data=context, timeout=15))
        return proxies[-1].start()
    yield connect
    for proxy in proxies:
        proxy.stop()


def test_a_call_runs_with_the_callers_correlation_id_and_passes_it_on(probe, rpc_as):
    assert rpc_as("gw-1").probe.whoami() == {"context": "gw-1", "logging": "gw-1"}
    assert rpc_as("gw-1").probe.ask_myself() == {"mine": "gw-1", "nested": "gw-1"}


def test_a_call_without_a_well_formed_correlation_id_gets_a_new_one_for_itself_and_nested_calls(probe, rpc, rpc_as):
    plain = rpc().probe.ask_myself()
    assert correlation.is_valid(plain["mine"]) and plain["nested"] == plain["mine"]
    odd = rpc_as("no spaces allowed").probe.whoami()
    assert correlation.is_valid(odd["context"]) and odd["context"] == odd["logging"] != "no spaces allowed"


def test_events_carry_the_correlation_id_through_every_handler(probe, consumer, rpc_as, listen):
    made, noted = listen("probe", "thing_made"), listen("probeconsumer", "thing_noted")
    thing = rpc_as("gw-2").probe.make_thing(THING)
    [event] = made.wait_for("thing_made")
    [follow_up] = noted.wait_for("thing_noted")
    assert event["correlation_id"] == follow_up["correlation_id"] == "gw-2"
    assert follow_up["subject"] == thing["id"]


# Deadline checks: one mixin for the RPC and the timer.

@pytest.fixture
def deadline_probe(start_service):
    return start_service(DeadlineProbe)


def checks(redis_client):
    return [json.loads(entry) for entry in redis_client.lrange("probedeadline:checks", 0, -1)]


def test_check_deadlines_runs_the_services_checks_at_the_given_time(deadline_probe, rpc, redis_client):
    result = rpc().probedeadline.check_deadlines(now="2026-03-10T00:00:00+08:00")
    assert result == {"checks": 1, "now": "2026-03-10T00:00:00+08:00"}
    assert rpc("ops").probedeadline.check_deadlines()["checks"] == 2
    assert remote_error(lambda: rpc("unit", unit="U001").probedeadline.check_deadlines()).exc_type == "Forbidden"
    assert len(checks(redis_client)) == 2


def test_a_repeated_check_returns_the_first_reply(deadline_probe, rpc, redis_client):
    first = rpc().probedeadline.check_deadlines(now="2026-03-10T00:00:00+08:00", request_id="tick-1")
    again = rpc().probedeadline.check_deadlines(now="2026-03-10T00:00:00+08:00", request_id="tick-1")
    assert first == again and len(checks(redis_client)) == 1
    other = remote_error(lambda: rpc().probedeadline.check_deadlines(now="2026-03-11T00:00:00+08:00",
                                                                    request_id="tick-1"))
    assert other.exc_type == "Conflict"


def test_a_time_is_refused_unless_the_clock_may_be_overridden(start_service, rpc, redis_client):
    start_service(DeadlineProbe, ALLOW_CLOCK_OVERRIDE=False)
    error = remote_error(lambda: rpc().probedeadline.check_deadlines(now="2026-03-10T00:00:00+08:00"))
    assert error.exc_type == "Forbidden" and checks(redis_client) == []


def test_the_timer_runs_the_checks_each_tick_with_a_new_correlation_id(start_service, redis_client):
    start_service(DeadlineProbe, DEADLINE_CHECK_INTERVAL=0.05)
    wait_until(lambda: len(checks(redis_client)) >= 2, message="two timer ticks")
    first, second = checks(redis_client)[:2]
    assert first[1] != second[1]


def test_a_service_outbox_forgets_published_events_after_the_call_several_calls_at_once(
        service_config, listen, redis_client, bus_users):
    listener = listen("probe", "thing_made")
    bus = Bus(bus_users.uri(service_config["AMQP_URI"], "probe"))
    outbox = Outbox(redis_client, "outboxlater:", "probe", bus, forget_later=True)
    events = [make_event("probe", "thing_made", f"t{n}", 1, {"id": f"t{n}", "unit_code": "U001"}) for n in range(6)]
    pipe = redis_client.pipeline(transaction=True)
    staged = outbox.stage(pipe, events)
    pipe.execute()
    # The first removal is held until every call has returned: the others' wait and go together.
    # How many calls the first removal takes depends on when the hub first ran it (one or more).
    opened, forgotten, remove = Event(), [], outbox._forget
    outbox._forget = lambda event_ids: opened.wait() or forgotten.append(list(event_ids)) or remove(event_ids)
    for each in staged:
        outbox.publish([each])
    assert redis_client.hlen("outboxlater:outbox") == len(events)  # each call returned before removal
    opened.send()
    outbox.settle()
    try:
        assert len(listener.wait_for("thing_made", count=len(events))) == len(events)
        assert [event_id for batch in forgotten for event_id in batch] == [e["event_id"] for e in events]
        assert len(forgotten) <= 2  # the held one, then all the rest in one round trip
        assert redis_client.hlen("outboxlater:outbox") == 0 and redis_client.zcard("outboxlater:outbox:staged") == 0
    finally:
        bus.close()


def test_a_started_service_keeps_what_it_loaded_out_of_the_collectors_generations(start_service):
    # A full collection would otherwise walk every module and schema each time (tens of ms here).
    gc.unfreeze()
    assert gc.get_freeze_count() == 0
    start_service(ProbeService)
    assert gc.get_freeze_count() > 0


def test_a_reply_is_published_without_waiting_for_a_broker_confirm(probe, rpc, monkeypatch):
    sent, publish = [], rpc_module.Replies.publish
    monkeypatch.setattr(rpc_module.Replies, "publish", lambda self, message, *rest: sent.append(
        self.connection.transport_options["confirm_publish"]) or publish(self, message, *rest))
    assert rpc("unit", unit="U001").probe.make_thing(THING)["unit_code"] == "U001"
    assert sent == [False]
    # Every other publisher still connects with confirms (nameko shares one dict of options).
    assert Publisher.transport_options.get("confirm_publish", True) is True
