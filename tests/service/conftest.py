"""One vhost for the tests of the four services' own packages, emptied before each test.

A fresh vhost per test (nameko's `rabbit_config`) made RabbitMQ create and delete each service's
twenty-odd quorum queues around every test: about 0.45 s of declaring per container start and as
much broker CPU again to delete them, most of the service tier's time. The tests of
`tests/service/{pairing,activity,summary,notification}` start one service (or a test double of
one) on the bus as it is and make their own records in a flushed Redis, so they share one vhost:
its queues are declared once, and emptied before each test (see `purge`), so that nothing an
earlier test published reaches a later one (its containers were killed at its teardown, so
nothing consumes or publishes there any more). A test that looks at the vhost itself (the queues
it holds, their consumers) is marked `own_vhost` and gets a fresh one; so do the tier's other
modules (readiness, ops, the gateway's stacks; the bus's boundary shares one vhost among the rows
of its permission table only)."""
from urllib.parse import quote

import pytest
import requests
from amqp.exceptions import ChannelError
from kombu import Connection

from tests.helpers import wait_until
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
    """The shared vhost, emptied, for the four services' packages; elsewhere, and for a test marked
    `own_vhost`, a fresh vhost as nameko's fixture makes it."""
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


def purge(amqp_uri, names, timeout=10):
    """Empty the queues: pass after pass until one finds every queue without messages or consumers.
    A killed container's channels close before its queues have taken back what they had delivered
    to it (a quorum queue returns those messages when it processes the consumer's going, which the
    consumer count shows), and a retry queue's expired message is in transit to its work queue.
    A passive declare reads both counts for a fraction of a purge, which a quorum queue writes to
    its log, so only queues holding messages are purged."""
    retries_first = sorted(names, key=lambda name: ".retry." not in name)
    with Connection(amqp_uri, connect_timeout=5) as connection:
        wait_until(lambda: not purge_pass(connection, retries_first), timeout=timeout,
                   message="the shared vhost's queues empty and unconsumed (an earlier test's container not killed?)")


def purge_pass(connection, names):
    """The queues that held messages or had consumers; retry queues come first in `names`."""
    busy, channel = [], connection.channel()
    for name in names:
        try:
            _, messages, consumers = channel.queue_declare(name, passive=True)
            if messages:
                channel.queue_purge(name)
            if messages or consumers:
                busy.append(name)
        except ChannelError:  # gone meanwhile (auto-delete) or another connection's own: nothing to purge
            channel = connection.channel()
    return busy
