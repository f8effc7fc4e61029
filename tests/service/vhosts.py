"""Vhosts that the service tier makes itself, beside the fresh one per test of nameko's
`rabbit_config`: for a whole run or module whose tests can share one (tests/service/conftest.py)."""
import socket
import uuid
from contextlib import contextmanager
from urllib.parse import urlparse

from nameko.utils.retry import retry
from requests.exceptions import HTTPError


def vhost_config(request, vhost):
    """What nameko's `rabbit_config` gives: the administrator's URI on `vhost`."""
    admin = urlparse(request.config.getoption("RABBIT_AMQP_URI"))
    return {"AMQP_URI": f"{admin.scheme}://{admin.netloc}/{vhost}", "username": admin.username, "vhost": vhost}


@contextmanager
def vhost_of_its_own(request, rabbit_manager, prefix):
    """A new vhost `<prefix>_<random>` for the administrator, deleted afterwards."""
    vhost = f"{prefix}_{uuid.uuid4().hex[:10]}"
    config = vhost_config(request, vhost)
    rabbit_manager.create_vhost(vhost)
    rabbit_manager.set_vhost_permissions(vhost, config["username"], ".*", ".*", ".*")
    try:
        yield config
    finally:
        delete_vhost(rabbit_manager, vhost)


@retry(for_exceptions=(HTTPError, socket.timeout), delay=1, max_attempts=9)
def delete_vhost(rabbit_manager, vhost):
    """Retried as nameko's own vhost teardown retries it: a busy broker may answer it with an error."""
    rabbit_manager.delete_vhost(vhost)
