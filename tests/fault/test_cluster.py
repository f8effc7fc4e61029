"""Losing a machine: a RabbitMQ cluster node killed, then a Redis primary killed, while completions
flow through the real services (activity -> summary -> notification). Both clusters are the test's
own (tests/fault/cluster_support.py); the services are started as `make run` starts them and given
every node (AMQP_URI `uri;uri;uri`, REDIS_SENTINELS), and nobody restarts or reconfigures them.
Callers do what the contract asks of them: each completion carries its own request id, and a call
that failed with the lost machine is made again with the same id until it is answered."""
import json
import signal

import pytest
from nameko.exceptions import RemoteError

from services.activity.records import COMPLETED
from services.common.ids import new_id
from services.common.redis_ha import NotReplicated, redis_client

from tests.fault.cluster_support import SENTINEL_SERVICE, RabbitCluster, SentinelRedis
from tests.fault.support import FAULT_REDIS_URL, NodeUsers
from tests.fault.system_support import Completions, RealSystem, pipeline, wait_each_once
from tests.helpers import wait_until

COMPLETIONS = 300
CALLERS = 6


@pytest.fixture
def rabbit_cluster():
    nodes = RabbitCluster()
    try:
        nodes.start()
        yield nodes
    finally:
        nodes.close()


@pytest.fixture
def sentinel_redis():
    sentinel = SentinelRedis()
    try:
        yield sentinel
    finally:
        sentinel.close()


@pytest.fixture
def real_system(jwt_keys, make_token, tmp_path):
    """`real_system(amqp_uri, users, redis_settings)`: the four services, with a pipeline ready to complete."""
    made = []

    def start(amqp_uri, users, redis_settings):
        system = RealSystem(amqp_uri, users, redis_settings, jwt_keys, make_token, tmp_path)
        made.append(system)
        work = pipeline(system, CALLERS)
        made.append(work)
        work.plan(COMPLETIONS, CALLERS)
        return system, work
    yield start
    for each in reversed(made):
        each.close()


def flowing(work):
    completions = Completions(work, CALLERS).start(range(COMPLETIONS))
    wait_until(lambda: len(completions.answered) >= 20, timeout=60, message="completions to flow")
    return completions


def assert_each_completion_applied_once(system, completions, answered_at_loss):
    assert answered_at_loss < COMPLETIONS, "the machine was lost after the flow, not during it"
    assert sorted(completions.wait()) == list(range(COMPLETIONS))
    wait_each_once(system, completions.pipeline)
    assert system.untouched() == {process.name: (True, 1) for process in system.processes}


def test_a_rabbitmq_node_killed_while_completions_flow_loses_nothing_and_applies_nothing_twice(
        rabbit_cluster, real_system, fault_redis, bus_users):
    users = NodeUsers(rabbit_cluster.nodes[0], bus_users.prefix, bus_users.keys_dir)
    system, work = real_system(rabbit_cluster.amqp_uri, users, {"REDIS_URL": FAULT_REDIS_URL})
    completions = flowing(work)
    # Counted as the node goes: the flow goes on through the others while its death is confirmed.
    answered_at_loss = len(completions.answered)
    # Every connection went to the first node of the list: it is the one lost.
    rabbit_cluster.nodes[0].kill()
    assert_each_completion_applied_once(system, completions, answered_at_loss)
    # activity's own calls to pairing are answered again: its reply queue was on the lost node.
    work.unit.renew(0)
    with pytest.raises(RemoteError) as refused:
        work.unit[0].activity.plan_activity(work.planned(new_id("pairing")))
    assert refused.value.exc_type == "NotFound"


def test_a_redis_primary_killed_while_completions_flow_keeps_every_answered_one_once(
        rabbit_config, real_system, sentinel_redis, bus_users):
    settings = {"REDIS_URL": "redis://127.0.0.1/0", "REDIS_SENTINELS": sentinel_redis.setting,
                "REDIS_SENTINEL_SERVICE": SENTINEL_SERVICE}
    system, work = real_system(rabbit_config["AMQP_URI"], bus_users, settings)
    completions = flowing(work)
    sentinel_redis.primary.kill()
    # Nothing is answered before it is on the replica (WAIT); the replica takes no write till promoted.
    acknowledged = [work.activities[number] for number in list(completions.answered)]
    sentinel_redis.await_promotion()
    assert completed(sentinel_redis.replica.client, acknowledged) == acknowledged
    # The callers cut short call again with the same request ids until they are answered.
    assert_each_completion_applied_once(system, completions, len(acknowledged))


def completed(client, activity_ids):
    raw = client.mget([f"activity:activity:{activity_id}" for activity_id in activity_ids])
    return [json.loads(record)["id"] for record in raw if record and json.loads(record)["status"] == COMPLETED]


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
