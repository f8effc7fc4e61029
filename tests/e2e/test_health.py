"""/health follows Redis: the four processes, started as `make run` starts them, answer 503 within
seconds of their Redis stopping and 200 again once it is back, without being restarted; Ctrl-C then
stops them cleanly. They get a Redis of their own: the shared one on 6379 must never be stopped."""
import os
import signal
import subprocess
import uuid

import pytest
import redis
import requests

from services.common import auth
from tests.e2e.conftest import ROOT, SERVICES, System
from tests.helpers import free_port, wait_until

# honcho's exit status when Ctrl-C (SIGINT) stopped it and every process it ran.
STOPPED_BY_CTRL_C = 130


class ThrowawayRedis:
    def __init__(self):
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process = None

    def start(self):
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL)
        client = redis.Redis(port=self.port, socket_connect_timeout=1)
        wait_until(lambda: self.process.poll() is None and self._answers(client), timeout=10,
                   message=f"Redis on port {self.port}")

    @staticmethod
    def _answers(client):
        try:
            return client.ping()
        except redis.ConnectionError:
            return False

    def stop(self):
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)


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
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()
        self._log.close()


@pytest.fixture
def throwaway_redis():
    server = ThrowawayRedis()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def vhost(rabbit_manager):
    name = f"e2e_health_{uuid.uuid4().hex[:10]}"
    rabbit_manager.create_vhost(name)
    rabbit_manager.set_vhost_permissions(name, "guest", ".*", ".*", ".*")
    yield name
    rabbit_manager.delete_vhost(name)


@pytest.fixture
def isolated_system(throwaway_redis, vhost, tmp_path):
    private, public = auth.keygen(tmp_path / "keys")
    ports = {service: free_port() for service in SERVICES}
    amqp_uri = f"pyamqp://guest:guest@127.0.0.1:5672/{vhost}"
    env = {
        **os.environ,
        "AMQP_URI": amqp_uri,
        "REDIS_URL": throwaway_redis.url,
        "JWT_PUBLIC_KEY_FILE": str(public),
        "DEADLINE_CHECK_INTERVAL": "3600",
        **{f"{service.upper()}_PORT": str(port) for service, port in ports.items()},
    }
    processes = Processes(env, tmp_path / "system.log")
    running = System({"AMQP_URI": amqp_uri}, ports, private.read_text(),
                     redis.Redis.from_url(throwaway_redis.url), processes.log_path)
    running.processes = processes
    try:
        wait_until(lambda: processes.process.poll() is not None or running.healthy(), timeout=60,
                   message="the four services to answer /health")
        assert processes.process.poll() is None, f"make run exited: {processes.log()[-2000:]}"
        yield running
    finally:
        processes.close()


def statuses(system):
    return {service: requests.get(system.url(service), timeout=4).status_code for service in SERVICES}


def every(status):
    return {service: status for service in SERVICES}


def test_health_follows_redis_without_a_restart_and_ctrl_c_stops_cleanly(isolated_system, throwaway_redis):
    system = isolated_system
    assert statuses(system) == every(200)

    throwaway_redis.stop()
    wait_until(lambda: statuses(system) == every(503), timeout=5, message="/health 503 without Redis")
    body = requests.get(system.url("pairing"), timeout=4).json()
    assert body["status"] == "unavailable"
    assert body["redis"].startswith("unavailable") and body["amqp"] == "ok"

    throwaway_redis.start()
    wait_until(lambda: statuses(system) == every(200), timeout=5, message="/health 200 with Redis back")
    assert system.processes.process.poll() is None
    assert " stopped (rc=" not in system.processes.log(), "a service was restarted"

    assert system.processes.interrupt() == STOPPED_BY_CTRL_C
    shutdown = system.processes.log().partition("SIGINT received")[2]
    for service in SERVICES:
        assert f"{service}.1 stopped (rc=0)" in shutdown, shutdown[-2000:]
    assert "Traceback" not in shutdown, shutdown[-4000:]
