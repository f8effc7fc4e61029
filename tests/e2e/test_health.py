"""/health follows Redis: the four processes, started as `make run` starts them, answer 503 within
seconds of their Redis stopping and 200 again once it is back, without being restarted; Ctrl-C then
stops them cleanly. They get a Redis of their own: the shared one on 6379 must never be stopped."""
import pytest
import requests

from tests.e2e.conftest import SERVICES, running_system
from tests.helpers import wait_until

# honcho's exit status when Ctrl-C (SIGINT) stopped it and every process it ran.
STOPPED_BY_CTRL_C = 130


@pytest.fixture
def isolated_system(throwaway_redis, rabbit_manager, tmp_path):
    with running_system(rabbit_manager, tmp_path, throwaway_redis.url, DEADLINE_CHECK_INTERVAL="3600") as system:
        yield system


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
