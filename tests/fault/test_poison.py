"""A poison event: retried on a growing schedule, dead-lettered without holding up the stream,
seen and replayed with the ops commands once the handler is fixed."""
import time
from datetime import datetime

from tests.fault.support import (CONSUMER, CONSUMER_QUEUE, DEAD_LETTER, PRODUCER, RETRY_DELAYS, effects,
                                 ops)
from tests.helpers import queue_depth, wait_until


def table_row(output, first_cell):
    return next((line.split() for line in output.splitlines() if line.split()[:1] == [first_cell]), None)


def test_a_poison_event_is_retried_dead_lettered_and_replayed_after_a_fix(cluster, fault_redis):
    producer = cluster.spawn(PRODUCER)
    consumer = cluster.spawn(CONSUMER)
    producer.wait_ready()
    consumer.wait_ready()
    rpc = cluster.rpc()
    [poison_id] = rpc.faultproducer.emit(1, poison=True)
    published_at = time.monotonic()
    later_ids = rpc.faultproducer.emit(3, start=1)
    wait_until(lambda: set(later_ids) <= set(effects(fault_redis)), timeout=5,
               message="the events behind the poison handled")
    handled_after = time.monotonic() - published_at
    assert handled_after < 5

    wait_until(lambda: queue_depth(cluster.amqp_uri, DEAD_LETTER) == 1, timeout=30, message="the dead letter")
    attempts_at = [float(stamp) for stamp in fault_redis.lrange(f"faultconsumer:attempts:{poison_id}", 0, -1)]
    waits = [later - earlier for earlier, later in zip(attempts_at, attempts_at[1:])]
    assert len(attempts_at) == 6
    # Each retry waited its own step of the growing schedule: at least 97% of it, as the broker's
    # TTL timer may fire a few ms early (3.193 s seen for 3.2); the upper bound leaves room for the
    # time to fail and requeue on a loaded machine, and only catches a schedule far off.
    assert all(delay * 0.97 <= waited < delay * 3 + 2 for waited, delay in zip(waits, RETRY_DELAYS)), waits
    assert consumer.metric("leifeng_event_retries_total") == 5
    assert consumer.metric("leifeng_events_dead_lettered_total") == 1
    assert poison_id not in effects(fault_redis)

    def dead_letter_counted():
        done = ops(cluster.amqp_uri, "queues", "--service-class", CONSUMER)
        row = table_row(done.stdout, DEAD_LETTER)
        return done if row and row[2] == "1" else None

    # The management API samples its counts every few seconds.
    listed = wait_until(dead_letter_counted, timeout=30, interval=0.5, message="ops queues to count it")
    assert "management API" in listed.stdout
    assert table_row(listed.stdout, CONSUMER_QUEUE)[1:] == ["consumer", "0", "0", "1", "ok"]
    assert table_row(listed.stdout, DEAD_LETTER)[-1] == "dead-letters"

    listing = ops(cluster.amqp_uri, "dead-letters", "list", "faultconsumer")
    assert listing.returncode == 0, listing.stderr
    _, event_id, event_type, attempts, dead_lettered_at, error = table_row(listing.stdout, "1")[:6]
    assert (event_id, event_type, attempts, error) == (poison_id, "beat", "6", "RuntimeError")
    assert datetime.fromisoformat(dead_lettered_at).timestamp() >= attempts_at[-1] - 1
    assert queue_depth(cluster.amqp_uri, DEAD_LETTER) == 1

    fault_redis.set("faultconsumer:fixed", 1)
    replay = ops(cluster.amqp_uri, "dead-letters", "replay", "faultconsumer", poison_id)
    assert replay.returncode == 0, replay.stderr
    assert replay.stdout.strip() == f"replayed {poison_id} -> {CONSUMER_QUEUE}"
    wait_until(lambda: effects(fault_redis).get(poison_id) == 1, message="the replayed event's effect")
    assert queue_depth(cluster.amqp_uri, DEAD_LETTER) == 0
    assert effects(fault_redis) == {event_id: 1 for event_id in [poison_id, *later_ids]}
