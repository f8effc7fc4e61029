"""Contract §6 as `make run` runs it: every service process connects as its own broker user."""
import requests

from services.common import broker_users
from tests import helpers
from tests.e2e.conftest import GATEWAY, SERVICES
from tests.helpers import wait_until


def connected_users(vhost):
    management = helpers.bus_users.management
    response = requests.get(f"{management.base}/vhosts/{vhost}/connections", auth=management.auth, timeout=5)
    return {connection["user"] for connection in response.json()}


def test_each_service_connects_as_its_own_broker_user_and_none_as_guest(system):
    """Nothing but the services and the gateway has connected to this run's vhost yet (the
    management API's connection list lags a little behind, hence the wait)."""
    own = {helpers.bus_users.prefix + service for service in (*SERVICES, GATEWAY)}
    vhost = broker_users.vhost(system.config["AMQP_URI"])
    users = wait_until(lambda: (lambda found: found if own <= found else None)(connected_users(vhost)),
                       timeout=30, message="every service's connection")
    assert users == own
