"""Fixtures of the activity service tests: the service on real RabbitMQ and Redis, beside a fake
`pairing` that answers `get_pairing` from records the test puts in `fake_pairing.PAIRINGS`."""
import pytest

from services.activity.service import ActivityService
from tests.service.fake_pairing import CALLERS, PAIRINGS, FakePairingService

# Short, so that a silent pairing costs the tests little.
PAIRING_RPC_TIMEOUT = 0.5


@pytest.fixture
def fake_pairing(start_service):
    PAIRINGS.clear()
    CALLERS.clear()
    yield start_service(FakePairingService)
    PAIRINGS.clear()
    CALLERS.clear()


@pytest.fixture
def activity_service(start_service):
    return start_service(ActivityService, PAIRING_RPC_TIMEOUT=PAIRING_RPC_TIMEOUT)
