"""The e2e tier: the four processes started exactly as `make run` starts them (scripts/run.sh),
on a vhost and Redis database of their own, called by RPC like any other department's system."""
import os
import signal
import subprocess
import uuid
from pathlib import Path

import pytest
import redis
import requests
from nameko.standalone.rpc import ClusterRpcProxy

from services.common import auth
from tests.helpers import free_port, wait_until

ROOT = Path(__file__).resolve().parents[2]
E2E_REDIS_URL = os.environ.get("LEIFENG_E2E_REDIS_URL", "redis://127.0.0.1:6379/14")
SERVICES = ("pairing", "activity", "summary", "notification")


class System:
    def __init__(self, config, ports, private_key, redis_client, log_path):
        self.config = config
        self.ports = ports
        self.private_key = private_key
        self.redis = redis_client
        self.log_path = log_path
        self._proxies = []

    def url(self, service, path="/health"):
        return f"http://127.0.0.1:{self.ports[service]}{path}"

    def token(self, role="committee", unit=None, department=None, ttl=600):
        return auth.mint(self.private_key, role, unit=unit, department=department, ttl=ttl)

    def rpc(self, role="committee", unit=None, department=None, timeout=20):
        context = {"auth_token": self.token(role, unit, department)}
        proxy = ClusterRpcProxy(self.config, context_data=context, timeout=timeout)
        self._proxies.append(proxy)
        return proxy.start()

    def healthy(self):
        try:
            return all(requests.get(self.url(s), timeout=2).status_code == 200 for s in SERVICES)
        except requests.RequestException:
            return False

    def close_proxies(self):
        for proxy in self._proxies:
            proxy.stop()
        self._proxies.clear()


@pytest.fixture(scope="module")
def system(rabbit_manager, tmp_path_factory):
    vhost = f"e2e_{uuid.uuid4().hex[:10]}"
    rabbit_manager.create_vhost(vhost)
    rabbit_manager.set_vhost_permissions(vhost, "guest", ".*", ".*", ".*")
    keys = tmp_path_factory.mktemp("e2e-keys")
    private, public = auth.keygen(keys)
    client = redis.Redis.from_url(E2E_REDIS_URL, decode_responses=True)
    client.flushdb()
    ports = {service: free_port() for service in SERVICES}
    amqp_uri = f"pyamqp://guest:guest@127.0.0.1:5672/{vhost}"
    env = {
        **os.environ,
        "AMQP_URI": amqp_uri,
        "REDIS_URL": E2E_REDIS_URL,
        "JWT_PUBLIC_KEY_FILE": str(public),
        "ALLOW_CLOCK_OVERRIDE": "true",
        "EVENT_RETRY_DELAYS": "[0.1, 0.2, 0.4, 0.8, 1.6]",
        "EMAIL_RETRY_DELAYS": "[0.1, 0.2, 0.4, 0.8, 1.6]",
        "OUTBOX_RELAY_INTERVAL": "0.5",
        "DEADLINE_CHECK_INTERVAL": "3600",
        "PAIRING_PORT": str(ports["pairing"]),
        "ACTIVITY_PORT": str(ports["activity"]),
        "SUMMARY_PORT": str(ports["summary"]),
        "NOTIFICATION_PORT": str(ports["notification"]),
    }
    log_path = keys / "system.log"
    log = open(log_path, "wb")
    process = subprocess.Popen(["bash", "scripts/run.sh"], cwd=ROOT, env=env, stdout=log,
                               stderr=subprocess.STDOUT, start_new_session=True)
    system = System({"AMQP_URI": amqp_uri, "serializer": "json"}, ports, private.read_text(), client, log_path)
    try:
        wait_until(lambda: process.poll() is not None or system.healthy(), timeout=60,
                   message="the four services to answer /health")
        assert process.poll() is None, f"make run exited: {log_path.read_text()[-2000:]}"
        yield system
    finally:
        system.close_proxies()
        os.killpg(process.pid, signal.SIGINT)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        log.close()
        client.flushdb()
        rabbit_manager.delete_vhost(vhost)
