"""`python -m services.ops` against a real broker: queue counts and the dead-letter queue of the
probe consumer, filled by its real retry path."""
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from nameko.amqp.publish import Publisher

from services.common import amqp_names, topology
from services.common.amqp_names import FIRST_PUBLISHER
from services.common.events import make_event
from services.ops.__main__ import main
from tests.helpers import free_port, publish_event, queue_depth, take_message, wait_until
from tests.service.probe import ProbeConsumer

ROOT = Path(__file__).resolve().parents[2]
CONFIG = str(ROOT / "config.yml")
DEAD_LETTER = "probeconsumer.dead-letter"
ORIGINAL = amqp_names.consumer_queue_name("probe", "thing_made", "probeconsumer", "on_thing")
PROBE_CONSUMER = "tests.service.probe:ProbeConsumer"


@pytest.fixture
def amqp_uri(service_config, monkeypatch):
    monkeypatch.setenv("AMQP_URI", service_config["AMQP_URI"])
    monkeypatch.setenv("EVENT_RETRY_DELAYS", json.dumps(service_config["EVENT_RETRY_DELAYS"]))
    return service_config["AMQP_URI"]


@pytest.fixture
def ops(amqp_uri, capsys):
    def run(*argv):
        code = main(["--config", CONFIG, *argv])
        out, err = capsys.readouterr()
        return code, out, err
    return run


@pytest.fixture
def consumer(start_service):
    return start_service(ProbeConsumer)


@pytest.fixture
def dead_lettered(consumer, amqp_uri):
    """`dead_lettered(n)`: n poison events through the consumer's retries into its dead-letter queue."""
    def make(count):
        events = [publish_event(amqp_uri, "probe", "thing_made", f"t{n}", {"id": f"t{n}", "unit_code": "U1",
                                                                           "poison": True})
                  for n in range(count)]
        wait_until(lambda: queue_depth(amqp_uri, DEAD_LETTER) == count, timeout=15,
                   message=f"{count} events dead-lettered")
        return events
    return make


def effects(redis_client):
    return {key: int(value) for key, value in redis_client.hgetall("probeconsumer:effects").items()}


def rows(output):
    """The table's rows by their first column."""
    lines = [line.split() for line in output.splitlines() if line and not line.startswith("(")]
    return {cells[0]: cells for cells in lines[1:] if cells}


def healthy_event(n):
    return make_event("probe", "thing_made", f"x{n}", 1, {"id": f"x{n}", "unit_code": "U1"})


def letter_into_dead_letter_queue(bus_users, amqp_uri, envelope, original_queue, error="RuntimeError"):
    """A dead-lettered event as the consumer leaves it (as its own broker user, vouching for the
    probe's user unless the event was untrusted), for a fix that is already deployed."""
    headers = {"x-attempts": 6, "x-error": error, "x-original-queue": original_queue,
               "x-event-type": envelope["event_type"], "x-dead-lettered-at": "2026-03-01T08:00:00+00:00"}
    if not error.startswith("untrusted publisher"):
        headers[FIRST_PUBLISHER] = bus_users.prefix + "probe"
    consumer_uri = bus_users.uri(amqp_uri, "probeconsumer")
    Publisher(consumer_uri, serializer="json").publish(
        envelope, exchange=amqp_names.dead_letter_exchange("probeconsumer"), routing_key=DEAD_LETTER,
        headers=headers, user_id=bus_users.prefix + "probeconsumer",
        declare=[amqp_names.dead_letter_queue("probeconsumer")])


def test_queues_lists_every_project_queue_from_the_management_api(ops, dead_lettered, amqp_uri, service_config):
    dead_lettered(1)
    names = topology.project_queue_names([ProbeConsumer], service_config["EVENT_RETRY_DELAYS"])

    def listed():
        code, out, _ = ops("queues", "--service-class", PROBE_CONSUMER)
        table = rows(out)
        return (code, out, table) if table[DEAD_LETTER][2] == "1" and table[ORIGINAL][4] == "1" else None

    # The management API samples its counts (every 5 s by default).
    code, out, table = wait_until(listed, timeout=15, message="the management API to catch up")
    assert code == 0 and "management API" in out
    assert list(table) == names
    assert table[DEAD_LETTER][1:] == ["dead-letter", "1", "0", "0", "dead-letters"]
    assert table[ORIGINAL][1:] == ["consumer", "0", "0", "1", "ok"]
    assert table["probeconsumer.retry.50ms"][1] == "retry"


def test_queues_fall_back_to_a_passive_declare_without_the_management_api(ops, dead_lettered, monkeypatch):
    dead_lettered(1)
    monkeypatch.setenv("RABBIT_API_URI", f"http://127.0.0.1:{free_port()}")
    code, out, _ = ops("queues", "--service-class", PROBE_CONSUMER,
                       "--service-class", "tests.service.probe:ProbeService")
    table = rows(out)
    assert code == 0 and "passive declare" in out
    assert table[DEAD_LETTER][1:] == ["dead-letter", "1", "-", "0", "dead-letters"]
    assert table[ORIGINAL][1:] == ["consumer", "0", "-", "1", "ok"]
    # Nothing declared the probe service's own queues in this vhost.
    assert table["probe.dead-letter"][2:] == ["missing", "-", "-", "-"]
    assert "python -m services.common.topology" in out


def test_queues_shows_a_subscriber_queue_that_no_consumer_reads(ops, amqp_uri, service_config):
    topology.declare(amqp_uri, [ProbeConsumer], service_config["EVENT_RETRY_DELAYS"])
    for n in range(3):
        publish_event(amqp_uri, "probe", "thing_made", f"t{n}", {"id": f"t{n}", "unit_code": "U1"})

    def listed():
        table = rows(ops("queues", "--service-class", PROBE_CONSUMER)[1])
        return table if table[ORIGINAL][2] == "3" else None

    table = wait_until(listed, timeout=15, message="the management API to count the waiting events")
    assert table[ORIGINAL][1:] == ["consumer", "3", "0", "0", "no-consumer"]


def test_list_shows_each_dead_letter_without_consuming_it(ops, dead_lettered, amqp_uri):
    events = dead_lettered(2)
    for _ in range(2):
        code, out, _ = ops("dead-letters", "list", "probeconsumer")
        assert code == 0
        assert queue_depth(amqp_uri, DEAD_LETTER) == 2
    table = rows(out)
    assert sorted(row[1] for row in table.values()) == sorted(event["event_id"] for event in events)
    assert list(table) == ["1", "2"]
    for row in table.values():
        assert row[2:4] == ["thing_made", "6"] and row[5] == "RuntimeError"
    assert "(2 of 2 messages in probeconsumer.dead-letter)" in out


def test_list_stops_at_the_limit(ops, dead_lettered):
    dead_lettered(2)
    code, out, _ = ops("dead-letters", "list", "probeconsumer", "--limit", "1")
    assert code == 0 and list(rows(out)) == ["1"]
    assert "(1 of 2 messages" in out


def test_show_prints_the_envelope(ops, dead_lettered):
    [event] = dead_lettered(1)
    code, out, _ = ops("dead-letters", "show", "probeconsumer", event["event_id"])
    assert code == 0 and json.loads(out) == event


@pytest.mark.parametrize("argv, message", [
    (("dead-letters", "show", "probeconsumer", "nope"), "No such event"),
    (("dead-letters", "list", "nobody"), "No broker password for nobody"),
    (("dead-letters", "drop", "nobody", "--all"), "No broker password for nobody"),
    (("queues", "--service-class", "tests.service.probe:Nobody"), "No such service class"),
    (("queues", "--service-class", "tests.nowhere:ProbeConsumer"), "No such service class"),
])
def test_unknown_events_queues_and_classes_are_reported(ops, consumer, argv, message):
    code, out, err = ops(*argv)
    assert code == 1 and message in err and out == ""


@pytest.mark.parametrize("argv", [("replay", "probeconsumer"), ("drop", "probeconsumer", "e1", "--all")])
def test_replay_and_drop_need_exactly_one_event_or_all(ops, argv, capsys):
    with pytest.raises(SystemExit) as exit_:
        ops("dead-letters", *argv)
    assert exit_.value.code == 2
    assert "give one EVENT_ID or --all" in capsys.readouterr().err


def test_replay_republishes_to_the_original_queue_with_attempts_reset(ops, dead_lettered, consumer, amqp_uri):
    first, second = dead_lettered(2)
    consumer.stop()  # so the replayed copy stays in its queue to be looked at
    code, out, _ = ops("dead-letters", "replay", "probeconsumer", second["event_id"])
    assert code == 0 and f"replayed {second['event_id']} -> {ORIGINAL}" in out
    payload, headers = take_message(amqp_uri, ORIGINAL)
    assert payload == second
    assert headers["x-attempts"] == 0 and headers["x-original-queue"] == ORIGINAL
    assert headers[FIRST_PUBLISHER] == os.environ["AMQP_USER_PREFIX"] + "probe"
    assert queue_depth(amqp_uri, DEAD_LETTER) == 1
    assert json.loads(ops("dead-letters", "show", "probeconsumer", first["event_id"])[1]) == first


def test_replay_all_after_a_fix_lets_the_consumer_handle_them(ops, consumer, amqp_uri, redis_client, bus_users):
    envelopes = [healthy_event(n) for n in range(3)]
    for envelope in envelopes:
        letter_into_dead_letter_queue(bus_users, amqp_uri, envelope, ORIGINAL)
    code, out, _ = ops("dead-letters", "replay", "probeconsumer", "--all")
    assert code == 0 and out.count("replayed") == 3
    wait_until(lambda: effects(redis_client) == {envelope["event_id"]: 1 for envelope in envelopes},
               message="the replayed events handled")
    assert queue_depth(amqp_uri, DEAD_LETTER) == 0


@pytest.mark.parametrize("action", ["replay", "drop"])
def test_replay_and_drop_all_of_an_empty_queue_do_nothing(ops, consumer, action):
    code, out, _ = ops("dead-letters", action, "probeconsumer", "--all")
    assert code == 0 and out.strip() == "(probeconsumer.dead-letter is empty)"


def test_an_untrusted_publisher_letter_is_never_replayed(ops, consumer, amqp_uri, redis_client, bus_users):
    envelope = healthy_event(1)
    letter_into_dead_letter_queue(bus_users, amqp_uri, envelope, ORIGINAL, error="untrusted publisher: user_id guest")
    code, out, _ = ops("dead-letters", "replay", "probeconsumer", "--all")
    assert code == 1 and out.strip() == f"kept {envelope['event_id']}: untrusted publisher: never replayed"
    assert queue_depth(amqp_uri, DEAD_LETTER) == 1 and effects(redis_client) == {}


def test_replay_keeps_an_event_whose_queue_is_gone(ops, consumer, amqp_uri, bus_users):
    envelope = healthy_event(1)
    letter_into_dead_letter_queue(bus_users, amqp_uri, envelope, "evt-probe-thing_made--gone.on_thing")
    code, out, _ = ops("dead-letters", "replay", "probeconsumer", envelope["event_id"])
    assert code == 1 and f"kept {envelope['event_id']}" in out and "does not exist" in out
    assert queue_depth(amqp_uri, DEAD_LETTER) == 1


def test_drop_removes_one_event_or_all(ops, dead_lettered, amqp_uri):
    first, second, third = dead_lettered(3)
    code, out, _ = ops("dead-letters", "drop", "probeconsumer", second["event_id"])
    assert code == 0 and out.strip() == f"dropped {second['event_id']}"
    remaining = rows(ops("dead-letters", "list", "probeconsumer")[1])
    # The three retry concurrently, so they reach the dead-letter queue in any order.
    assert sorted(row[1] for row in remaining.values()) == sorted([first["event_id"], third["event_id"]])
    code, out, _ = ops("dead-letters", "drop", "probeconsumer", "--all")
    assert code == 0 and out.count("dropped") == 2
    assert queue_depth(amqp_uri, DEAD_LETTER) == 0


def test_the_command_line_entry_point(dead_lettered, amqp_uri):
    [event] = dead_lettered(1)
    done = subprocess.run([sys.executable, "-m", "services.ops", "dead-letters", "list", "probeconsumer"],
                          cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert event["event_id"] in done.stdout and done.stderr == ""


def test_rescale_due_scores_turns_millisecond_scores_into_seconds_once(ops, service_config, redis_client, monkeypatch):
    monkeypatch.setenv("REDIS_URL", service_config["REDIS_URL"])
    redis_client.zadd("summary:due:ack", {"I0000001": 1772323200000, "i0123456789abcdef": 1772323300.5})
    redis_client.zadd("summary:due:summary", {"S0000001": 1772323200123})
    code, out, _ = ops("rescale-due-scores")
    assert code == 0 and "summary:due:ack: 1 rescaled" in out and "summary:due:summary: 1 rescaled" in out
    assert redis_client.zscore("summary:due:ack", "I0000001") == 1772323200.0
    assert redis_client.zscore("summary:due:ack", "i0123456789abcdef") == 1772323300.5
    assert redis_client.zscore("summary:due:summary", "S0000001") == 1772323200.123
    assert ops("rescale-due-scores")[1].count(": 0 rescaled") == 3


def test_backfill_indexes_lists_old_records_under_every_filter_combination(ops, service_config, redis_client,
                                                                           monkeypatch):
    monkeypatch.setenv("REDIS_URL", service_config["REDIS_URL"])
    issue = {"id": "i0123456789abcdef", "department": "elderly-care", "unit_code": "U1", "campaign_id": "c1",
             "status": "forwarded", "created_at": "2024-03-12T09:00:00+08:00"}
    activity = {"id": "a0123456789abcdef", "campaign_id": "c1", "unit_code": "U1", "status": "completed",
                "created_at": "2024-03-12T09:00:00+08:00"}
    unit = {"code": "U1", "active": False, "created_at": "2024-03-01T09:00:00+08:00"}
    pairing = {**activity, "id": "p0123456789abcdef", "status": "approved"}
    delivery = {"id": "d0123456789abcdef", "webhook_id": "w0123456789abcdef", "status": "failed",
                "created_at": "2024-03-12T09:00:00+08:00"}
    redis_client.set(f"summary:issue:{issue['id']}", json.dumps(issue))
    redis_client.set(f"activity:activity:{activity['id']}", json.dumps(activity))
    redis_client.set("pairing:unit:U1", json.dumps(unit))
    redis_client.set(f"pairing:pairing:{pairing['id']}", json.dumps(pairing))
    redis_client.set(f"notification:delivery:{delivery['id']}", json.dumps(delivery))
    # Sorted sets under the records' patterns: not records, skipped.
    redis_client.zadd("pairing:unit:U1:campaigns", {"c1": 1})
    redis_client.zadd("notification:delivery:due", {delivery["id"]: 1})
    indexes = {"summary:issues": 16, "activity:index": 8, "pairing:pairings": 4, "pairing:units": 2,
               "notification:deliveries": 2}
    for _ in range(2):
        code, out, _ = ops("backfill-indexes")
        assert code == 0 and out.splitlines() == [
            "units: 1 indexed", "pairings: 1 indexed", "activities: 1 indexed", "summaries: 0 indexed",
            "issues: 1 indexed", "deliveries: 1 indexed"]
        assert {prefix: len(redis_client.keys(f"{prefix}*")) for prefix in indexes} == indexes
    assert redis_client.zcard("summary:issues:department:elderly-care:campaign:c1:status:forwarded") == 1
    assert redis_client.zcard("activity:index:unit:U1:status:completed") == 1
    assert redis_client.zrange("pairing:units:status:deactivated", 0, -1) == ["1709254800000:U1"]
    assert redis_client.zcard("pairing:pairings:c1:U1:status:approved") == 1
    assert redis_client.zcard("pairing:pairings:c1:status:approved") == 1
    assert redis_client.zcard(f"notification:deliveries:{delivery['webhook_id']}:status:failed") == 1
