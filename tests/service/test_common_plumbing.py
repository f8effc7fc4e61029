"""The shared plumbing on real RabbitMQ and Redis: auth, errors, outbox, reliable consumption."""
import json

import pytest
import requests
from nameko.exceptions import IncorrectSignature
from nameko.testing.services import entrypoint_waiter

from services.common import topology
from tests.helpers import publish_envelope, queue_depth, remote_error, take_message, wait_until
from tests.service.probe import ProbeConsumer, ProbeService

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
    assert json.loads(error.value) == {"thing": ["Invalid input type."]}
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


@pytest.fixture
def consumer(start_service):
    return start_service(ProbeConsumer)


def effects(redis_client):
    return {k: int(v) for k, v in redis_client.hgetall("probeconsumer:effects").items()}


def test_the_same_event_delivered_twice_has_one_effect(probe, consumer, rpc, redis_client, service_config):
    from tests.helpers import publish_event
    event = publish_event(service_config["AMQP_URI"], "probe", "thing_made", "t9", {"id": "t9", "unit_code": "U1"})
    with entrypoint_waiter(consumer, "on_thing_made"):
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
