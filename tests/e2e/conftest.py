"""The e2e tier: the four processes and the HTTP gateway started exactly as `make run` starts them
(scripts/run.sh, which provisions this run's broker users and starts each service as its own), on a
vhost and Redis database of their own, called by RPC as the `rpc-client` user like any other trusted
back end, or over HTTP like any other department's system."""
import os
import signal
import subprocess
import uuid
from contextlib import contextmanager
from pathlib import Path

import pytest
import redis
import requests
from nameko.standalone.rpc import ClusterRpcProxy

from services.common import auth, broker_users
from tests import helpers
from tests.helpers import free_port, wait_until

ROOT = Path(__file__).resolve().parents[2]
E2E_REDIS_URL = os.environ.get("LEIFENG_E2E_REDIS_URL", "redis://127.0.0.1:6379/14")
SERVICES = ("pairing", "activity", "summary", "notification")
# Started by `make run` too; its /health follows its broker only (it keeps nothing in Redis).
GATEWAY = "gateway"


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
        config = {**self.config, "AMQP_URI": helpers.bus_users.uri(self.config["AMQP_URI"], broker_users.RPC_CLIENT)}
        proxy = ClusterRpcProxy(config, context_data=context, timeout=timeout)
        self._proxies.append(proxy)
        return proxy.start()

    def healthy(self):
        try:
            return all(requests.get(self.url(s), timeout=2).status_code == 200 for s in (*SERVICES, GATEWAY))
        except requests.RequestException:
            return False

    def close_proxies(self):
        for proxy in self._proxies:
            proxy.stop()
        self._proxies.clear()


class Processes:
    """scripts/run.sh in a process group of its own, so SIGINT reaches it as Ctrl-C would."""

    def __init__(self, env, log_path):
        self.log_path = log_path
        self._log = open(log_path, "wb")
        self.process = subprocess.Popen(["bash", "scripts/run.sh"], cwd=ROOT, env=env, stdout=self._log,
                                        stderr=subprocess.STDOUT, start_new_session=True)

    def log(self):
        return self.log_path.read_text(errors="replace")

    def interrupt(self, timeout=20):
        os.killpg(self.process.pid, signal.SIGINT)
        return self.process.wait(timeout=timeout)

    def close(self):
        if self.process.poll() is None:
            try:
                self.interrupt()
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        self._log.close()


FAST = {
    "ALLOW_CLOCK_OVERRIDE": "true",
    "EVENT_RETRY_DELAYS": "[0.1, 0.2, 0.4, 0.8, 1.6]",
    "EMAIL_RETRY_DELAYS": "[0.1, 0.2, 0.4, 0.8, 1.6]",
    "OUTBOX_RELAY_INTERVAL": "0.5",
    "DEADLINE_CHECK_INTERVAL": "3600",
}


@contextmanager
def running_system(rabbit_manager, workdir, redis_url, **settings):
    """The four processes as `make run` starts them, on a fresh vhost, a key pair and free ports."""
    vhost = f"e2e_{uuid.uuid4().hex[:10]}"
    rabbit_manager.create_vhost(vhost)
    rabbit_manager.set_vhost_permissions(vhost, "guest", ".*", ".*", ".*")
    private, public = auth.keygen(workdir / "keys")
    ports = {service: free_port() for service in (*SERVICES, GATEWAY)}
    amqp_uri = f"pyamqp://guest:guest@127.0.0.1:5672/{vhost}"
    env = {**os.environ, "AMQP_URI": amqp_uri, "REDIS_URL": redis_url, "JWT_PUBLIC_KEY_FILE": str(public),
           **{f"{service.upper()}_PORT": str(port) for service, port in ports.items()}, **settings}
    processes = Processes(env, workdir / "system.log")
    helpers.bus_users.made.update(broker_users.USERS)  # scripts/run.sh makes them all, to be deleted
    system = System({"AMQP_URI": amqp_uri, "serializer": "json"}, ports, private.read_text(),
                    redis.Redis.from_url(redis_url, decode_responses=True), processes.log_path)
    system.processes = processes
    try:
        wait_until(lambda: processes.process.poll() is not None or system.healthy(), timeout=60,
                   message="the four services and the gateway to answer /health")
        assert processes.process.poll() is None, f"make run exited: {processes.log()[-2000:]}"
        yield system
    finally:
        system.close_proxies()
        processes.close()
        rabbit_manager.delete_vhost(vhost)


@contextmanager
def flushed_system(rabbit_manager, workdir, redis_url, **settings):
    """`running_system` with the FAST settings (overridable), on a Redis database flushed before and after."""
    client = redis.Redis.from_url(redis_url)
    client.flushdb()
    try:
        with running_system(rabbit_manager, workdir, redis_url, **{**FAST, **settings}) as running:
            yield running
    finally:
        client.flushdb()


@pytest.fixture(scope="module")
def system(rabbit_manager, tmp_path_factory):
    with flushed_system(rabbit_manager, tmp_path_factory.mktemp("e2e"), E2E_REDIS_URL) as running:
        yield running
