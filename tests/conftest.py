"""Fixtures for every tier. Real RabbitMQ (a fresh vhost per test, from nameko's `rabbit_config`)
and real Redis (database 15, flushed around each test); eventlet monkey-patched first."""
import eventlet

eventlet.monkey_patch()  # noqa: E402  nameko 2.14's pytest plugin no longer does it


import os  # noqa: E402

import pytest  # noqa: E402
from nameko.standalone.rpc import ClusterRpcProxy  # noqa: E402

from services.common import auth, topology  # noqa: E402
from tests.helpers import EventListener, ThrowawayRedis, flushed_redis, free_port  # noqa: E402

# Override to run two suites at once without flushing each other's data.
TEST_REDIS_URL = os.environ.get("LEIFENG_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
FAST_RETRIES = [0.05, 0.1, 0.2, 0.4, 0.8]


@pytest.fixture(scope="session")
def jwt_keys(tmp_path_factory):
    private, public = auth.keygen(tmp_path_factory.mktemp("keys"))
    return {"private": private.read_text(), "public_file": str(public), "private_file": str(private)}


@pytest.fixture(scope="session")
def make_token(jwt_keys):
    def make(role="committee", unit=None, department=None, ttl=600):
        return auth.mint(jwt_keys["private"], role, unit=unit, department=department, ttl=ttl)
    return make


@pytest.fixture
def redis_client():
    with flushed_redis(TEST_REDIS_URL) as client:
        yield client


@pytest.fixture
def service_config(rabbit_config, redis_client, jwt_keys):
    """config.yml's settings for a service container under test."""
    return {
        "AMQP_URI": rabbit_config["AMQP_URI"],
        "REDIS_URL": TEST_REDIS_URL,
        "JWT_PUBLIC_KEY_FILE": jwt_keys["public_file"],
        "WEB_SERVER_ADDRESS": f"127.0.0.1:{free_port()}",
        "serializer": "json",
        "EVENT_RETRY_DELAYS": FAST_RETRIES,
        "OUTBOX_RELAY_INTERVAL": 0.3,
        "DEADLINE_CHECK_INTERVAL": 3600,
        "ALLOW_CLOCK_OVERRIDE": True,
        "SMTP_HOST": None,
        "SMTP_PORT": 25,
        "SMTP_FROM": "leifeng-noreply@localhost",
        "COMMITTEE_EMAILS": None,
        "EMAIL_RETRY_DELAYS": [0.05, 0.1, 0.2, 0.4, 0.8],
        "PAUSE_WITHOUT_REDIS": True,
    }


@pytest.fixture
def start_service(container_factory, service_config):
    """Declare the bus topology for a service class, then start it in a container."""
    def start(service_cls, **overrides):
        config = {**service_config, **overrides}
        topology.declare(config["AMQP_URI"], [service_cls], config["EVENT_RETRY_DELAYS"])
        container = container_factory(service_cls, config)
        container.start()
        return container
    return start


@pytest.fixture
def rpc(service_config, make_token):
    """`rpc(role, unit=..., department=...)` -> a ClusterRpcProxy carrying a token for that role."""
    proxies = []

    def connect(role="committee", unit=None, department=None, token=None, timeout=15):
        context = {} if token is False else {"auth_token": token or make_token(role, unit, department)}
        proxy = ClusterRpcProxy(service_config, context_data=context, timeout=timeout)
        proxies.append(proxy)
        return proxy.start()

    yield connect
    for proxy in proxies:
        proxy.stop()


@pytest.fixture
def listen(service_config):
    """`listen("pairing")` binds a plain kombu queue to `pairing.events` and collects what arrives."""
    listeners = []

    def bind(source, routing_key="#"):
        listener = EventListener(service_config["AMQP_URI"], source, routing_key)
        listeners.append(listener)
        return listener

    yield bind
    for listener in listeners:
        listener.close()


@pytest.fixture
def throwaway_redis():
    """A Redis of the test's own, which it may stop and start (the shared one must never stop)."""
    server = ThrowawayRedis()
    server.start()
    yield server
    server.stop()
