"""Vhosts that the service tier makes itself, beside the fresh one per test of nameko's
`rabbit_config`: for a whole run or module whose tests can share one (tests/service/conftest.py)."""
import uuid
from contextlib import contextmanager
from urllib.parse import urlparse


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
        rabbit_manager.delete_vhost(vhost)
