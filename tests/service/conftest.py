"""One vhost for the tests of the four services' own packages, emptied before each test.

A fresh vhost per test (nameko's `rabbit_config`) made RabbitMQ create and delete each service's
twenty-odd quorum queues around every test: about 0.45 s of declaring per container start and as
much broker CPU again to delete them, most of the service tier's time. The tests of
`tests/service/{pairing,activity,summary,notification}` start one service (or a test double of
one) on the bus as it is and make their own records in a flushed Redis, so they share one vhost:
its queues are declared once, and every queue is purged before each test, so that nothing an
earlier test published reaches a later one (its containers were killed at its teardown, so
nothing consumes or publishes there any more). A test that looks at the vhost itself (the queues
it holds, their consumers) is marked `own_vhost` and gets a fresh one; so do the tier's other
modules (the bus's boundary, readiness, ops, the gateway's stacks)."""
from urllib.parse import quote

import pytest
import requests
from amqp.exceptions import ChannelError
from kombu import Connection

from tests.service.vhosts import vhost_config, vhost_of_its_own

SHARED_PACKAGES = {"pairing", "activity", "summary", "notification"}
# Queues that only the test (or container) that declared them reads, each under a new name: RPC
# reply queues (they outlive their proxy by nameko's five-minute x-expires) and event listeners.
ONE_TESTS_OWN = ("rpc.reply-", "integration.test-listener-")


@pytest.fixture(scope="session")
def shared_vhost(request, rabbit_manager):
    with vhost_of_its_own(request, rabbit_manager, "leifeng_service") as config:
        yield config


@pytest.fixture
def rabbit_config(request):
    """The shared vhost, every queue of it that holds messages purged, for the four services' packages; elsewhere, and
    for a test marked `own_vhost`, a fresh vhost as nameko's fixture makes it."""
    package = request.path.parent.name
    if package not in SHARED_PACKAGES or request.node.get_closest_marker("own_vhost"):
        with request.getfixturevalue("vhost_pipeline").get() as vhost:
            yield vhost_config(request, vhost)
        return
    config = request.getfixturevalue("shared_vhost")
    purge(config["AMQP_URI"], [name for name in queue_names(request, config["vhost"])
                               if not name.startswith(ONE_TESTS_OWN)])
    yield config


def queue_names(request, vhost):
    """Names only, without the statistics the management API would gather for each queue."""
    api = request.config.getoption("RABBIT_API_URI").rstrip("/")
    listed = requests.get(f"{api}/api/queues/{quote(vhost, safe='')}", timeout=10,
                          params={"columns": "name", "disable_stats": "true", "enable_queue_totals": "false"})
    listed.raise_for_status()
    return [queue["name"] for queue in listed.json()]


def purge(amqp_uri, names):
    """Purge the queues holding messages; a passive declare, which reads a count, costs a fraction of
    a purge, which every quorum queue writes to its log."""
    with Connection(amqp_uri, connect_timeout=5) as connection:
        channel = connection.channel()
        for name in names:
            try:
                if channel.queue_declare(name, passive=True).message_count:
                    channel.queue_purge(name)
            except ChannelError:  # gone meanwhile (auto-delete) or another connection's own: nothing to purge
                channel = connection.channel()
