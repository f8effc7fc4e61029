"""The v2 boundary rules on real RabbitMQ and Redis, on a probe service built from services/common:
hostile RPC messages, `Unavailable`, the audit trail and deactivated units (issue 11, contract §3/§6)."""
import json
import logging
import time
import uuid
from pathlib import Path

import pytest
import redis
from kombu import Connection, Producer
from nameko.rpc import get_rpc_exchange
from nameko.rpc import rpc as nameko_rpc
from nameko.standalone.rpc import ClusterRpcProxy

from services.common.audit import AuditTrail
from services.common.auth import COMMITTEE, Auth, allow
from services.common.raw_messages import MAX_BODY
from services.common.storage import Storage
from services.common.store import Store
from services.ops.__main__ import main as ops_main
from tests import helpers
from tests.conftest import TEST_REDIS_URL
from tests.helpers import free_port, outcome, publish_event, queue_depth, remote_error, wait_until
from tests.service.rules_probe import MARKER, RawCaller, RulesProbe

CONFIG = str(Path(__file__).resolve().parents[2] / "config.yml")


@pytest.fixture
def probe(start_service):
    return start_service(RulesProbe)


def audit_entries(redis_client):
    return [entry for _, entry in redis_client.xrange("rulesprobe:audit")]


# -- hostile messages (contract §6) -------------------------------------------------------------

@pytest.fixture
def raw(probe, service_config):
    caller = RawCaller(service_config["AMQP_URI"])
    yield caller
    caller.close()


def deeply_nested(levels):
    return ('{"args": [' + "[" * levels + "]" * levels + '], "kwargs": {}}').encode()


HOSTILE = {
    "not json": b'{"args": [' + MARKER.encode(),
    "a list": json.dumps([MARKER]).encode(),
    "a string": json.dumps(MARKER).encode(),
    "no kwargs": json.dumps({"args": [MARKER]}).encode(),
    "args not a list": json.dumps({"args": MARKER, "kwargs": {}}).encode(),
    "invalid utf-8": b'{"args": ["\xff\xfe' + MARKER.encode() + b'"], "kwargs": {}}',
    "10,000 levels deep": deeply_nested(10_000),
    "100 levels deep": deeply_nested(100),
    "over 4 MiB": json.dumps({"args": [MARKER + "x" * MAX_BODY], "kwargs": {}}).encode(),
}


@pytest.mark.parametrize("kind", list(HOSTILE))
def test_a_hostile_request_gets_a_validation_error_at_once_and_nothing_logs_its_body(
        raw, rpc, caplog, kind, make_token):
    started = time.monotonic()
    reply = raw.reply(raw.send(HOSTILE[kind], token=make_token()))
    assert time.monotonic() - started < 5
    assert reply["result"] is None
    assert reply["error"]["exc_type"] == "ValidationError"
    assert list(json.loads(reply["error"]["value"])) == ["_schema"]
    assert MARKER not in caplog.text and len(max(caplog.text.splitlines() or [""], key=len)) < 500
    assert rpc().rulesprobe.get_touch("t1") == {"id": "t1", "count": 0}  # the service lives on


def test_a_number_longer_than_python_reads_is_refused_by_the_argument_it_was_given_for(raw, rpc, make_token):
    # Every number of the contract is bounded (§1): one of 5,000 digits is out of range, not broken JSON.
    body = b'{"args": [], "kwargs": {"unit_code": "U001", "thing_id": ' + b"9" * 5000 + b"}}"
    reply = raw.reply(raw.send(body, method="touch", token=make_token()))
    assert reply["error"]["exc_type"] == "ValidationError"
    assert list(json.loads(reply["error"]["value"])) == ["thing_id"]
    assert rpc().rulesprobe.get_touch("t1")["count"] == 0


def test_a_non_json_content_type_is_refused_like_a_hostile_body(raw, rpc):
    import pickle
    reply = raw.reply(raw.send(pickle.dumps({"args": [], "kwargs": {}}),
                               content_type="application/x-python-serialize"))
    assert reply["error"]["exc_type"] == "ValidationError"
    assert rpc().rulesprobe.get_touch("t1")["count"] == 0


def test_exactly_4_mib_is_still_decoded_and_answered(raw, make_token):
    body = json.dumps({"args": [], "kwargs": {"thing_id": ""}}).encode()
    body = body.replace(b'""', b'"' + b"x" * (MAX_BODY - len(body)) + b'"')
    assert len(body) == MAX_BODY
    reply = raw.reply(raw.send(body, token=make_token()), timeout=10)
    assert reply["error"] is None and reply["result"]["count"] == 0


def test_a_request_without_reply_to_is_dropped_and_the_service_lives_on(raw, rpc, service_config, caplog):
    raw.send(b"garbage " + MARKER.encode(), reply=False)
    raw.send(json.dumps({"args": [], "kwargs": {}}).encode(), method="no_such_method", reply=False)
    wait_until(lambda: caplog.text.count("rpc request refused") == 2, message="both refused")
    assert MARKER not in caplog.text
    assert rpc().rulesprobe.get_touch("t1")["count"] == 0


def test_a_request_that_cannot_be_decompressed_is_refused_and_the_service_lives_on(raw, rpc, caplog):
    correlation_id = uuid.uuid4().hex
    raw.producer.publish(b"not gzip " + MARKER.encode(), exchange=get_rpc_exchange({}),
                         routing_key="rulesprobe.get_touch", content_type="application/json",
                         content_encoding="binary", headers={"compression": "application/x-gzip"},
                         correlation_id=correlation_id, reply_to=raw.reply_key)
    assert raw.reply(correlation_id)["error"]["exc_type"] == "ValidationError"
    assert MARKER not in caplog.text
    assert rpc().rulesprobe.get_touch("t1")["count"] == 0


def test_an_undecodable_event_is_dead_lettered_without_logging_its_body(probe, service_config, caplog):
    """From pairing's own broker user, so it is trusted and its body is read (contract §6)."""
    user = helpers.bus_users.prefix + "pairing"
    with Connection(helpers.bus_users.uri(service_config["AMQP_URI"], "pairing")) as connection:
        Producer(connection.default_channel).publish(
            b'{"event_id": "' + MARKER.encode(), exchange="pairing.events", routing_key="unit_deactivated",
            content_type="application/json", content_encoding="binary", user_id=user)
    wait_until(lambda: queue_depth(service_config["AMQP_URI"], "rulesprobe.dead-letter") == 1,
               message="the event dead-lettered")
    with Connection(service_config["AMQP_URI"]) as connection:  # taken raw: the body is not JSON
        letter = connection.default_channel.basic_get("rulesprobe.dead-letter", no_ack=True)
    assert letter.headers["x-error"] == "ValidationError: not JSON"
    assert MARKER not in caplog.text


def test_a_service_declaring_nameko_s_own_rpc_does_not_start(start_service):
    class Careless:
        name = "careless"
        auth = Auth()
        store = Storage(Store)

        @nameko_rpc
        @allow(COMMITTEE)
        def get_thing(self):
            return "unchecked"

    with pytest.raises(SystemExit, match="use services.common.rpc.rpc"):
        start_service(Careless)


# -- arguments: valid Unicode at any depth -------------------------------------------------------

@pytest.mark.parametrize("value, path", [
    ("\ud800", "value"),
    (["ok", "\udfff"], "value.1"),
    ({"a": {"b": ["\ud83d"]}}, "value.a.b.0"),
    ({"\ud800": 1}, "value"),
])
def test_a_lone_surrogate_anywhere_is_a_validation_error_naming_its_path(probe, rpc, value, path):
    error = remote_error(lambda: rpc().rulesprobe.echo(value))
    assert error.exc_type == "ValidationError"
    assert list(json.loads(error.value)) == [path]


def test_a_lone_surrogate_in_an_id_or_a_code_never_reaches_redis(probe, rpc, redis_client):
    error = remote_error(lambda: rpc().rulesprobe.touch("t\ud800", "U001"))
    assert (error.exc_type, list(json.loads(error.value))) == ("ValidationError", ["thing_id"])
    error = remote_error(lambda: rpc().rulesprobe.touch("t1:unit:U001", "U001"))
    assert (error.exc_type, list(json.loads(error.value))) == ("ValidationError", ["thing_id"])
    assert redis_client.keys("rulesprobe:touched:*") == []


def test_a_surrogate_in_the_token_is_unauthenticated(probe, rpc):
    assert outcome(lambda: rpc(token="eyJ\ud800.x.y").rulesprobe.get_touch("t1")) == "Unauthenticated"


# -- Unavailable (contract §3 v2) ----------------------------------------------------------------

def test_redis_out_of_reach_is_unavailable_in_one_line_without_a_traceback(start_service, rpc, caplog):
    # An instance that keeps consuming without Redis (tests/service/test_readiness.py: one that pauses).
    start_service(RulesProbe, REDIS_URL=f"redis://127.0.0.1:{free_port()}/0", PAUSE_WITHOUT_REDIS=False)
    for call in (lambda: rpc().rulesprobe.get_touch("t1"), lambda: rpc("unit", unit="U001").rulesprobe.touch(
            "t1", "U001")):
        error = remote_error(call)
        assert error.exc_type == "Unavailable"
        assert "127.0.0.1" not in error.value
    assert "Traceback" not in caplog.text and "InternalError" not in caplog.text
    assert any("rulesprobe.get_touch unavailable: ConnectionError" in r.getMessage() for r in caplog.records)


def test_a_broker_out_of_reach_inside_an_rpc_is_unavailable(probe, rpc, caplog):
    error = remote_error(lambda: rpc().rulesprobe.publish_elsewhere(free_port()))
    assert error.exc_type == "Unavailable"
    assert "Traceback" not in caplog.text


# -- the audit trail -----------------------------------------------------------------------------

def test_every_state_changing_call_is_audited_whatever_its_outcome(probe, rpc, redis_client):
    rpc("unit", unit="U001").rulesprobe.touch("t1", "U001", note=MARKER, request_id="r-1")
    remote_error(lambda: rpc("unit", unit="U002").rulesprobe.touch("t1", "U001"))
    remote_error(lambda: rpc("department", department="elderly-care").rulesprobe.touch("t2", "U001"))
    remote_error(lambda: rpc(token=False).rulesprobe.touch("t3", "U001"))
    remote_error(lambda: rpc().rulesprobe.touch("t4", "bad code!"))
    rpc().rulesprobe.get_touch("t1")  # read-only: not audited
    entries = audit_entries(redis_client)
    assert [(e["method"], e["sub"], e["role"], e["unit"], e["department"], e["record"], e["outcome"])
            for e in entries] == [
        ("touch", "unit:U001", "unit", "U001", "-", "t1", "ok"),
        ("touch", "unit:U002", "unit", "U002", "-", "t1", "Forbidden"),
        ("touch", "department:elderly-care", "department", "-", "elderly-care", "t2", "Forbidden"),
        ("touch", "unauthenticated", "-", "-", "-", "t3", "Unauthenticated"),
        ("touch", "committee:cli", "committee", "-", "-", "t4", "ValidationError"),
    ]
    assert all(e["service"] == "rulesprobe" and e["at"].endswith("+08:00") for e in entries)
    assert MARKER not in json.dumps(entries) and "r-1" not in json.dumps(entries)


def test_a_hostile_id_argument_is_not_copied_into_the_trail(probe, rpc, redis_client):
    remote_error(lambda: rpc().rulesprobe.touch("x" * 5000, "U001"))
    remote_error(lambda: rpc().rulesprobe.touch("t\ud800", "U001"))
    assert [e["record"] for e in audit_entries(redis_client)] == ["-", "-"]


def test_the_trail_drops_entries_older_than_the_retention(redis_client):
    old_ms = int(time.time() * 1000) - 200 * 86400 * 1000
    redis_client.xadd("rulesprobe:audit", {"method": "ancient"}, id=f"{old_ms}-0")
    AuditTrail(redis_client, "rulesprobe", retention_days=180).record("touch", None, "t1", "Unauthenticated")
    assert [e["method"] for e in audit_entries(redis_client)] == ["touch"]


def test_the_ops_cli_prints_the_trail_filtered(probe, rpc, redis_client, monkeypatch, capsys):
    rpc("unit", unit="U001").rulesprobe.touch("t1", "U001")
    rpc().rulesprobe.touch("t2", "U002")
    monkeypatch.setenv("REDIS_URL", TEST_REDIS_URL)

    def lines(*argv):
        assert ops_main(["--config", CONFIG, "audit", "--service", "rulesprobe", *argv]) == 0
        return capsys.readouterr().out.strip().splitlines()

    assert len(lines()) == 3  # a header and two calls
    [header, row] = lines("--who", "unit:U001")
    assert header.split()[:3] == ["at", "service", "method"] and "t1" in row.split()
    assert "t2" in lines("--record", "t2")[1].split()
    assert lines("--since", "2999-01-01") == ["没有记录(no entries)"]
    assert ops_main(["--config", CONFIG, "audit", "--since", "tomorrow"]) == 1


def test_an_audit_entry_carries_the_calls_correlation_id(probe, service_config, redis_client, make_token):
    context = {"auth_token": make_token(), "correlation_id": "req-42.a"}
    with ClusterRpcProxy(service_config, context_data=context) as proxy:
        proxy.rulesprobe.touch("t1", "U001")
    assert audit_entries(redis_client)[0]["correlation_id"] == "req-42.a"


def test_redis_failures_in_the_audit_write_never_fail_the_call(caplog):
    trail = AuditTrail(redis.Redis(port=free_port(), socket_connect_timeout=1), "rulesprobe")
    with caplog.at_level(logging.WARNING):
        trail.record("touch", None, "t1", "ok")
    assert "audit entry for rulesprobe.touch not written (ConnectionError)" in caplog.text


# -- deactivated units (contract §3 v2) ----------------------------------------------------------

def test_a_deactivated_unit_is_refused_every_state_change_once_the_service_has_seen_it(
        probe, rpc, redis_client, service_config):
    assert rpc("unit", unit="U001").rulesprobe.touch("t1", "U001")["id"] == "t1"
    publish_event(service_config["AMQP_URI"], "pairing", "unit_deactivated", "U001",
                  {"code": "U001", "name": "一单位", "active": False}, seq=2)
    wait_until(lambda: redis_client.sismember("rulesprobe:units:deactivated", "U001"), message="seen")
    error = remote_error(lambda: rpc("unit", unit="U001").rulesprobe.touch("t1", "U001"))
    assert (error.exc_type, error.value) == ("Forbidden", "单位已停用(Unit deactivated).")
    assert rpc("unit", unit="U001").rulesprobe.get_touch("t1")["count"] == 1  # reads stay open
    assert rpc("unit", unit="U002").rulesprobe.touch("t2", "U002")["id"] == "t2"
    assert rpc().rulesprobe.touch("t1", "U001")["id"] == "t1"
    assert audit_entries(redis_client)[1]["outcome"] == "Forbidden"


def test_the_deactivation_check_comes_after_the_token_and_role_checks(probe, rpc, redis_client):
    redis_client.sadd("rulesprobe:units:deactivated", "U001")
    assert outcome(lambda: rpc(token=False).rulesprobe.touch("t1", "U001")) == "Unauthenticated"
    error = remote_error(lambda: rpc("unit", unit="U001").rulesprobe.echo("x"))
    assert (error.exc_type, error.value) == ("Forbidden", "无权调用此方法(Role not allowed).")


@pytest.mark.parametrize("call", [
    lambda probe: probe.touch("t\ud800", "U001"),  # refused for its input before any transaction
    lambda probe: probe.touch("t1", "U001", note="x" * 10_000),  # refused by the method's own schema
    lambda probe: probe.touch("t1", "U001", colour="red"),  # an argument it does not take
    lambda probe: probe.touch("t1", "U002"),  # another unit's record
    lambda probe: probe.remark("U001"),  # ends without any transaction
], ids=["surrogate", "input", "signature", "owner", "no transaction"])
def test_a_deferred_unit_check_is_forbidden_before_any_other_outcome_with_or_without_a_transaction(
        probe, rpc, redis_client, call):
    redis_client.sadd("rulesprobe:units:deactivated", "U001")
    error = remote_error(lambda: call(rpc("unit", unit="U001").rulesprobe))
    assert (error.exc_type, error.value) == ("Forbidden", "单位已停用(Unit deactivated).")
    assert redis_client.keys("rulesprobe:touched:*") == []
    assert rpc("unit", unit="U002").rulesprobe.remark("U002") == {"unit_code": "U002"}


def test_a_unit_check_not_deferred_refuses_before_the_method_does_anything(probe, rpc, redis_client):
    assert rpc("unit", unit="U001").rulesprobe.look_outside("U001") == {"unit_code": "U001"}
    redis_client.sadd("rulesprobe:units:deactivated", "U001")
    error = remote_error(lambda: rpc("unit", unit="U001").rulesprobe.look_outside("U001"))
    assert (error.exc_type, error.value) == ("Forbidden", "单位已停用(Unit deactivated).")
    assert redis_client.get("rulesprobe:looked:U001") == "1"
