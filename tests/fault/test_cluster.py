"""Losing a machine: a RabbitMQ cluster node killed, then a Redis primary killed, while work flows.
Both clusters are the test's own (tests/fault/cluster_support.py); the services are given every
node (AMQP_URI `uri;uri;uri`, REDIS_SENTINELS) and nobody restarts or reconfigures them."""
import signal

import pytest
from nameko.exceptions import RemoteError

from services.common.redis_ha import NotReplicated, redis_client

from tests.fault.cluster_support import SENTINEL_SERVICE, RabbitCluster, SentinelRedis
from tests.fault.support import CONSUMER, PRODUCER, Cluster, NodeUsers, beats, effects, outbox_backlog
from tests.helpers import wait_until

BEATS = 200


@pytest.fixture
def rabbit_cluster():
    nodes = RabbitCluster()
    try:
        nodes.start()
        yield nodes
    finally:
        nodes.close()


@pytest.fixture
def services_on(jwt_keys, make_token, tmp_path, bus_users):
    made = []

    def make(amqp_uri, users_node):
        users = NodeUsers(users_node, bus_users.prefix, bus_users.keys_dir) if users_node else bus_users
        made.append(Cluster(amqp_uri, jwt_keys, tmp_path, make_token("committee"), users))
        return made[-1]
    yield make
    for cluster in made:
        cluster.close()


def flow(services, **env):
    producer = services.spawn(PRODUCER, FAULT_EMIT_PAUSE="0.01", **env)
    consumer = services.spawn(CONSUMER, MAX_WORKERS="4", FAULT_HANDLER_PAUSE="0.01", **env)
    return producer.wait_ready(), consumer.wait_ready()


def call_until_answered(call):
    answers = []

    def answered():
        try:
            answers.append(call())
            return True
        except RemoteError:
            return False
    wait_until(answered, timeout=30, interval=0.5, message="an answer")
    return answers[0]


def assert_each_beat_applied_once(client, producer, consumer):
    wait_until(lambda: len(beats(client)) == BEATS, timeout=60, message="every beat committed")
    event_ids = set(beats(client).values())
    wait_until(lambda: set(effects(client)) == event_ids, timeout=60, message="every beat applied")
    assert effects(client) == {event_id: 1 for event_id in event_ids}
    wait_until(lambda: outbox_backlog(client) == 0, message="the outbox to drain")
    # Nobody restarted them: they reconnected by themselves.
    assert producer.process.poll() is None and consumer.process.poll() is None
    assert producer.starts == consumer.starts == 1


def test_a_rabbitmq_node_killed_while_events_flow_loses_nothing_and_applies_nothing_twice(
        rabbit_cluster, services_on, fault_redis):
    services = services_on(rabbit_cluster.amqp_uri, rabbit_cluster.nodes[0])
    producer, consumer = flow(services)
    # Its reply may die with the node; the call is redelivered and adds nothing (emit is idempotent).
    services.rpc().faultproducer.emit.call_async(BEATS)
    wait_until(lambda: len(effects(fault_redis)) >= 30, message="the stream to flow")
    # Every connection went to the first node of the list: it is the one lost.
    rabbit_cluster.nodes[0].kill()
    assert_each_beat_applied_once(fault_redis, producer, consumer)


def test_a_redis_primary_killed_while_requests_flow_keeps_every_acknowledged_write_once(
        rabbit_config, services_on):
    sentinel = SentinelRedis()
    try:
        services = services_on(rabbit_config["AMQP_URI"], None)
        # Retries long enough to outlast the failover (about 2 s) before an event is dead-lettered.
        producer, consumer = flow(services, REDIS_SENTINELS=sentinel.setting, REDIS_URL="redis://127.0.0.1/0",
                                  REDIS_SENTINEL_SERVICE=SENTINEL_SERVICE, EVENT_RETRY_DELAYS="[1, 2, 4, 8]")
        rpc = services.rpc()
        rpc.faultproducer.emit.call_async(BEATS)
        wait_until(lambda: len(effects(sentinel.primary.client)) >= 30, message="the stream to flow")
        committed = beats(sentinel.primary.client)
        sentinel.primary.kill()
        # emit goes on to beat n+1 only once beat n's transaction returned (after its WAIT), so
        # all but the last beat read were acknowledged.
        acknowledged = {n: event_id for n, event_id in committed.items() if n < max(committed)}
        wait_until(lambda: sentinel.primary_port() == sentinel.replica.port, timeout=30,
                   message="the sentinels to promote the replica")
        assert acknowledged.items() <= beats(sentinel.replica.client).items()
        # The caller whose call failed with the primary calls again until it is answered (emit is
        # idempotent); the clients learn of the new primary from the sentinels within seconds.
        assert len(call_until_answered(lambda: rpc.faultproducer.emit(BEATS))) == BEATS
        assert_each_beat_applied_once(sentinel.replica.client, producer, consumer)
    finally:
        sentinel.close()


def test_a_transaction_no_replica_confirms_in_time_is_not_acknowledged():
    sentinel = SentinelRedis()
    try:
        client = redis_client({"REDIS_URL": "redis://127.0.0.1/0", "REDIS_SENTINELS": sentinel.setting,
                               "REDIS_SENTINEL_SERVICE": SENTINEL_SERVICE, "REDIS_WAIT_TIMEOUT_MS": "200"})
        sentinel.replica.process.send_signal(signal.SIGSTOP)  # connected, but confirms nothing
        try:
            with pytest.raises(NotReplicated), client.pipeline() as pipe:
                pipe.set("k", 1)
                pipe.execute()
        finally:
            sentinel.replica.process.send_signal(signal.SIGCONT)
        wait_until(lambda: sentinel.replica.client.get("k") == "1", message="the replica to catch up")
        with client.pipeline() as pipe:
            pipe.set("k", 2)
            assert pipe.execute() == [True]
        assert sentinel.replica.client.get("k") == "2"  # WAIT returned: the replica has it
    finally:
        sentinel.close()
