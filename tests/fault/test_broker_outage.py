"""RabbitMQ stopped and started under a flowing stream, on a node of the test's own; with
LOG_FORMAT=json, every line the services log meanwhile is one JSON object and the broker loss a
warning without a traceback."""
import json

from tests.fault.support import CONSUMER, PRODUCER, beats, effects, outbox_backlog
from tests.helpers import wait_until

OPEN_ENDED = 100_000


def test_a_broker_restart_while_events_flow_loses_nothing_and_applies_nothing_twice(
        own_rabbit, own_cluster, fault_redis):
    json_logs = {"LOG_FORMAT": "json", "PYTHONWARNINGS": "ignore"}  # as the image runs them
    producer = own_cluster.spawn(PRODUCER, FAULT_EMIT_PAUSE="0.02", **json_logs)
    consumer = own_cluster.spawn(CONSUMER, MAX_WORKERS="4", FAULT_HANDLER_PAUSE="0.05", **json_logs)
    producer.wait_ready()
    consumer.wait_ready()
    # Its reply dies with the broker; what the stream committed is read from Redis instead.
    own_cluster.rpc().faultproducer.emit.call_async(OPEN_ENDED)
    wait_until(lambda: len(effects(fault_redis)) >= 20, message="the stream to flow")

    own_rabbit.stop()
    # The producer goes on committing; what it cannot publish waits in its outbox.
    wait_until(lambda: outbox_backlog(fault_redis) >= 3,
               message="events committed while the broker is down")
    own_rabbit.start()
    committed_at_restart = len(beats(fault_redis))
    wait_until(lambda: len(effects(fault_redis)) >= committed_at_restart + 20, timeout=60,
               message="the stream to flow again")
    fault_redis.set("faultproducer:halt", 1)
    # The call runs twice: the first run carries on after the outage, and the request, unacked
    # when the broker stopped, is delivered again to the reconnected producer.
    wait_until(lambda: producer.metric("leifeng_rpc_calls_total", method="emit") == 2, timeout=30,
               message="both runs of the stream halted")

    event_ids = set(beats(fault_redis).values())
    wait_until(lambda: set(effects(fault_redis)) == event_ids, timeout=30,
               message="every committed beat applied")
    assert effects(fault_redis) == {event_id: 1 for event_id in event_ids}
    assert outbox_backlog(fault_redis) == 0
    # Nobody restarted them: both reconnected by themselves.
    assert producer.process.poll() is None and consumer.process.poll() is None
    assert producer.starts == consumer.starts == 1
    for process in (producer, consumer):
        assert_broker_loss_logged_in_json(process.log_path.read_text())


def assert_broker_loss_logged_in_json(log):
    not_json = [line for line in log.splitlines() if line.strip() and not line.startswith("{")]
    assert not not_json, not_json[:5]
    lines = [json.loads(line) for line in log.splitlines() if line.strip()]
    from_broker_clients = [line for line in lines if line["logger"].startswith(("kombu", "nameko.messaging"))]
    assert any(line["level"] == "WARNING" for line in from_broker_clients), log[-3000:]
    assert not [line for line in from_broker_clients if "traceback" in line], log[-3000:]
