"""Processes dying at the worst moments: a consumer between its effect and its ack, a publisher
between its Redis write and its publish."""
import pytest
from nameko.exceptions import RpcTimeout

from tests.fault.support import CONSUMER, CONSUMER_QUEUE, PRODUCER, beats, consumers, effects, outbox_backlog
from tests.helpers import wait_until


# The consumer commits this beat's effect, then waits (never acking it) until it is killed.
HELD = 50
# The producer waits before this beat until the test lets it go on: the kill lands mid-stream.
RESUME = 100


def test_a_consumer_killed_between_a_commit_and_its_ack_mid_stream_applies_each_of_200_events_once(
        cluster, fault_redis):
    producer = cluster.spawn(PRODUCER, FAULT_EMIT_HOLD_AT=str(RESUME))
    # Four workers: the others go on while one holds beat HELD between its commit and its ack.
    consumer = cluster.spawn(CONSUMER, MAX_WORKERS="4", FAULT_HOLD_AFTER_COMMIT=str(HELD))
    producer.wait_ready()
    consumer.wait_ready()
    stream = cluster.rpc().faultproducer.emit.call_async(200)

    def held_and_committed():
        event_id = beats(fault_redis).get(HELD)
        return event_id if event_id and effects(fault_redis).get(event_id) == 1 else None

    wait_until(held_and_committed, message=f"beat {HELD}'s effect committed")
    consumer.kill()
    applied_before_kill = len(effects(fault_redis))
    assert len(beats(fault_redis)) <= RESUME, "the stream waits mid-way for the test"
    wait_until(lambda: consumers(cluster.amqp_uri, CONSUMER_QUEUE) == 0, message="the broker to see the kill")

    fault_redis.set("faultproducer:go", 1)
    consumer.start(FAULT_HOLD_AFTER_COMMIT=None).wait_ready()
    event_ids = stream.result()
    assert len(event_ids) == 200
    wait_until(lambda: len(effects(fault_redis)) == 200, timeout=30, message="200 effects")
    # Beat HELD was committed and never acked: it came back to the new process and was recognised.
    wait_until(lambda: consumer.metric("leifeng_events_duplicate_total") >= 1
               and consumer.metric("leifeng_events_handled_total") >= 200 - applied_before_kill,
               message="the held beat skipped and the rest handled")
    assert effects(fault_redis) == {event_id: 1 for event_id in event_ids}
    assert consumer.metric("leifeng_events_handled_total") == 200 - applied_before_kill


def test_a_publisher_killed_between_its_write_and_its_publish_is_relayed_after_restart(cluster, fault_redis):
    producer = cluster.spawn(PRODUCER, LEIFENG_CRASH_POINT="after_outbox_write")
    consumer = cluster.spawn(CONSUMER)
    producer.wait_ready()
    consumer.wait_ready()
    reply = cluster.rpc(timeout=1).faultproducer.emit.call_async(1)
    wait_until(lambda: producer.process.poll() is not None, message="the producer to crash")
    assert producer.process.returncode == 70
    with pytest.raises(RpcTimeout):
        reply.result()
    [event_id] = beats(fault_redis).values()
    assert outbox_backlog(fault_redis) == 1 and effects(fault_redis) == {}

    producer.start(LEIFENG_CRASH_POINT=None).wait_ready()
    wait_until(lambda: effects(fault_redis) == {event_id: 1}, message="the relayed event's effect")
    # The unanswered call comes back to the new process too; it finds beat 0 done and emits nothing.
    wait_until(lambda: producer.metric("leifeng_rpc_calls_total", method="emit") == 1,
               message="the redelivered call handled")
    assert producer.metric("leifeng_events_published_total") == 1
    assert outbox_backlog(fault_redis) == 0 and beats(fault_redis) == {0: event_id}
    assert effects(fault_redis) == {event_id: 1}
