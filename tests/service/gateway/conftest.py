"""The gateway and the four services in containers on a vhost of their own (real RabbitMQ, real
Redis), each connected as its own broker user (contract §6), called over real HTTP. One stack per test module: starting five containers per test would
cost more than the tests; every test makes its own records (unique codes), so they do not meet."""
import uuid

import pytest
import requests
from nameko.containers import ServiceContainer

from services.activity.service import ActivityService
from services.common import topology
from services.gateway.service import GatewayService
from services.notification.service import NotificationService
from services.pairing.service import PairingService
from services.summary.service import SummaryService
from tests.conftest import FAST_RETRIES, TEST_REDIS_URL
from tests import helpers
from tests.helpers import flushed_redis, free_port, wait_until

SERVICES = (PairingService, ActivityService, SummaryService, NotificationService)
RPC_TIMEOUT = 20


class Stack:
    def __init__(self, gateway_port, make_token):
        self.base = f"http://127.0.0.1:{gateway_port}"
        self.make_token = make_token
        self.http = requests.Session()
        self.reached = set()  # (service, method) of every call that answered 200

    def url(self, path):
        return f"{self.base}{path}"

    def token(self, role="committee", unit=None, department=None):
        return self.make_token(role, unit, department)

    def headers(self, role="committee", unit=None, department=None, **extra):
        return {"Authorization": f"Bearer {self.token(role, unit, department)}", **extra}

    def _sent(self, path, response):
        if response.status_code == 200:
            self.reached.add(tuple(path.split("/")))
        return response

    def post(self, path, body=None, role="committee", unit=None, department=None, headers=None):
        return self._sent(path, self.http.post(
            self.url(f"/api/v1/{path}"), json={} if body is None else body,
            headers={**self.headers(role, unit, department), **(headers or {})}, timeout=30))

    def get(self, path, params=None, role="committee", unit=None, department=None, headers=None):
        return self._sent(path, self.http.get(
            self.url(f"/api/v1/{path}"), params=params,
            headers={**self.headers(role, unit, department), **(headers or {})}, timeout=30))

    def ok(self, path, body=None, **kw):
        """POST `body`, expecting 200: the result."""
        response = self.post(path, body, **kw)
        assert response.status_code == 200, response.text
        return response.json()

    def read(self, path, params=None, **kw):
        """GET with query parameters, expecting 200: the result."""
        response = self.get(path, params, **kw)
        assert response.status_code == 200, response.text
        return response.json()


def service_settings(amqp_uri, jwt_keys, **overrides):
    return {
        "AMQP_URI": amqp_uri, "REDIS_URL": TEST_REDIS_URL, "JWT_PUBLIC_KEY_FILE": jwt_keys["public_file"],
        "serializer": "json", "EVENT_RETRY_DELAYS": FAST_RETRIES, "OUTBOX_RELAY_INTERVAL": 0.3,
        "DEADLINE_CHECK_INTERVAL": 3600, "ALLOW_CLOCK_OVERRIDE": True, "SMTP_HOST": None, "SMTP_PORT": 25,
        "SMTP_FROM": "leifeng-noreply@localhost", "COMMITTEE_EMAILS": None, "EMAIL_RETRY_DELAYS": FAST_RETRIES,
        "GATEWAY_RPC_TIMEOUT": RPC_TIMEOUT, "AMQP_USER_PREFIX": helpers.bus_users.prefix, **overrides,
    }


class Containers:
    """Service containers started on one vhost, each on its own web port."""

    def __init__(self, amqp_uri, jwt_keys):
        self.amqp_uri = amqp_uri
        self.jwt_keys = jwt_keys
        self.running = []

    def start(self, service_cls, **overrides):
        port = free_port()
        config = service_settings(helpers.bus_users.service_uri(self.amqp_uri, service_cls), self.jwt_keys,
                                  WEB_SERVER_ADDRESS=f"127.0.0.1:{port}", **overrides)
        container = ServiceContainer(service_cls, config)
        container.start()
        self.running.append(container)
        return port

    def stop(self):
        for container in reversed(self.running):
            container.stop()


@pytest.fixture(scope="module")
def vhost_uri(rabbit_manager):
    vhost = f"gateway_{uuid.uuid4().hex[:10]}"
    rabbit_manager.create_vhost(vhost)
    rabbit_manager.set_vhost_permissions(vhost, "guest", ".*", ".*", ".*")
    yield f"pyamqp://guest:guest@127.0.0.1:5672/{vhost}"
    rabbit_manager.delete_vhost(vhost)


@pytest.fixture(scope="module")
def containers(vhost_uri, jwt_keys):
    with flushed_redis(TEST_REDIS_URL):
        topology.declare(vhost_uri, SERVICES, FAST_RETRIES)
        started = Containers(vhost_uri, jwt_keys)
        try:
            yield started
        finally:
            started.stop()


@pytest.fixture(scope="module")
def stack(containers, make_token):
    """The gateway in front of the four services."""
    for service_cls in SERVICES:
        containers.start(service_cls)
    port = containers.start(GatewayService)
    running = Stack(port, make_token)
    wait_until(lambda: running.http.get(running.url("/health"), timeout=5).status_code == 200,
               message="the gateway's /health")
    return running
