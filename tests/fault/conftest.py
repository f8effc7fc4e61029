"""Fixtures of the fault tier: the fault services run as separate `nameko run` processes on real
RabbitMQ and Redis, and get killed, crashed and cut off from their broker on purpose."""
import pytest

from tests.fault.support import FAULT_REDIS_URL, Cluster, NodeUsers, RabbitNode
from tests.helpers import flushed_redis


@pytest.fixture
def fault_redis():
    with flushed_redis(FAULT_REDIS_URL) as client:
        yield client


@pytest.fixture
def cluster(rabbit_config, fault_redis, jwt_keys, make_token, tmp_path, bus_users):
    """The fault services on a fresh vhost of the shared broker (its management API included)."""
    cluster = Cluster(rabbit_config["AMQP_URI"], jwt_keys, tmp_path, make_token("committee"), bus_users)
    yield cluster
    cluster.close()


@pytest.fixture
def own_rabbit():
    node = RabbitNode()
    try:
        node.start()
        yield node
    finally:
        try:
            node.stop()
        finally:
            node.kill_leftover()
            node.remove()


@pytest.fixture
def own_cluster(own_rabbit, fault_redis, jwt_keys, make_token, tmp_path, bus_users):
    """The fault services on the test's own RabbitMQ node."""
    users = NodeUsers(own_rabbit, bus_users.prefix, bus_users.keys_dir)
    cluster = Cluster(own_rabbit.amqp_uri, jwt_keys, tmp_path, make_token("committee"), users)
    yield cluster
    cluster.close()

