"""Fixtures of the pairing service tests: the service on real RabbitMQ and Redis, one RPC proxy per
identity, and the test's day."""
import pytest

from services.common import clock
from services.pairing.service import PairingService
from tests.service.pairing.samples import PINNED_DAYS


@pytest.fixture(autouse=True)
def one_day():
    """Today in the campaign's zone (+08:00), read once per test: a run crossing midnight must not
    move a deadline made early in a test against the moments the test names later."""
    PINNED_DAYS.append(clock.now().date())
    yield PINNED_DAYS[-1]
    PINNED_DAYS.pop()


@pytest.fixture
def rpc(rpc):
    """The shared `rpc` fixture, one proxy per identity and test: each proxy is a connection and a
    reply queue, too slow to make for every call."""
    proxies = {}

    def connect(role="committee", unit=None, department=None, token=None, timeout=15):
        key = (role, unit, department, token, timeout)
        if key not in proxies:
            proxies[key] = rpc(role, unit, department, token, timeout)
        return proxies[key]

    return connect


@pytest.fixture
def pairing(start_service):
    return start_service(PairingService)
