"""Fixtures for every tier. Real RabbitMQ (a fresh vhost per test, from nameko's `rabbit_config`,
but for the service packages that share one: tests/service/conftest.py) and real Redis (database 15, flushed around each test); eventlet monkey-patched first.

Broker users (contract §6): the run has its own AMQP_USER_PREFIX and key directory; a service under
test connects as its own user, `rpc` calls as `rpc-client`, `listen` subscribes as `integration`,
and injected events are published as their source's user. `service_config["AMQP_URI"]` stays the
vhost's administrator (guest, given the vhost by nameko), for looking into queues."""
import eventlet

eventlet.monkey_patch()  # noqa: E402  nameko 2.14's pytest plugin no longer does it


import os  # noqa: E402
import uuid  # noqa: E402

import pytest  # noqa: E402
from nameko.standalone.rpc import ClusterRpcProxy  # noqa: E402

from services.common import amqp_names, auth, broker_users, topology  # noqa: E402
from services.ops import provision  # noqa: E402
from tests import helpers  # noqa: E402
from tests.helpers import BusUsers, EventListener, ThrowawayRedis, flushed_redis, free_port  # noqa: E402

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


@pytest.fixture(scope="session", autouse=True)
def bus_users(request, tmp_path_factory):
    """This run's broker users, deleted at the end; the prefix and key directory are exported so
    that what the tests start (scripts/run.sh, the ops CLI) uses the same ones."""
    prefix = f"t{uuid.uuid4().hex[:8]}-"
    keys_dir = str(tmp_path_factory.mktemp("amqp-keys"))
    management = provision.Management(request.config.getoption("RABBIT_API_URI"))
    saved = {name: os.environ.get(name) for name in ("AMQP_USER_PREFIX", "AMQP_KEYS_DIR")}
    os.environ.update(AMQP_USER_PREFIX=prefix, AMQP_KEYS_DIR=keys_dir)
    helpers.bus_users = users = BusUsers(management, prefix, keys_dir)
    yield users
    users.close()
    for name, value in saved.items():
        os.environ.pop(name) if value is None else os.environ.update({name: value})


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
        "AMQP_USER_PREFIX": os.environ["AMQP_USER_PREFIX"],
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
def start_service(container_factory, service_config, bus_users):
    """Declare the bus topology for a service class, then start it in a container connected as the
    service's own broker user, granted what the class needs."""
    def start(service_cls, **overrides):
        config = {**service_config, **overrides}
        topology.declare(config["AMQP_URI"], [service_cls], config["EVENT_RETRY_DELAYS"])
        config["AMQP_URI"] = bus_users.service_uri(config["AMQP_URI"], service_cls)
        container = container_factory(service_cls, config)
        container.start()
        return container
    return start


class Callers:
    """Calls the four services as `rpc-client`, as a trusted back end would; a test-only service,
    which rpc-client may not call, as the vhost's administrator."""

    def __init__(self, connect):
        self.connect = connect
        self.clusters = {}

    def __getattr__(self, service):
        user = broker_users.RPC_CLIENT if service in broker_users.RPC_SERVICES else None
        if user not in self.clusters:
            self.clusters[user] = self.connect(user)
        return getattr(self.clusters[user], service)


@pytest.fixture
def rpc(service_config, make_token, bus_users):
    """`rpc(role, unit=..., department=...)` -> a ClusterRpcProxy carrying a token for that role."""
    proxies = []

    def connect(role="committee", unit=None, department=None, token=None, timeout=15):
        context = {} if token is False else {"auth_token": token or make_token(role, unit, department)}

        def start(user):
            amqp_uri = service_config["AMQP_URI"]
            config = {**service_config, "AMQP_URI": bus_users.uri(amqp_uri, user) if user else amqp_uri}
            proxy = ClusterRpcProxy(config, context_data=context, timeout=timeout)
            proxies.append(proxy)
            return proxy.start()
        return Callers(start)

    yield connect
    for proxy in proxies:
        proxy.stop()


@pytest.fixture
def listen(service_config, bus_users):
    """`listen("pairing")` binds a plain kombu queue to `pairing.events` as the `integration` user and
    collects what arrives."""
    listeners = []

    def bind(source, routing_key="#"):
        amqp_uri = service_config["AMQP_URI"]
        # What the topology step does before anyone subscribes: the listener binds passively.
        topology.declare_entities(amqp_uri, [amqp_names.event_exchange(source)])
        if source in broker_users.RPC_SERVICES:  # a test-only source is not the integration user's
            amqp_uri = bus_users.uri(amqp_uri, broker_users.INTEGRATION)
        listener = EventListener(amqp_uri, source, routing_key)
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
