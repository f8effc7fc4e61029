"""Broker users (contract §6) through the RabbitMQ management API, and the URI each process connects with.

    python -m services.ops.provision [--config config.yml] [--topology] [NAME ...]
        create or reset the users, grant them; --topology then declares the bus topology, each
        service's part as that service's user
    python -m services.ops.provision --no-users --topology   the topology only (the users exist)
    python -m services.ops.provision uri NAME                AMQP_URI as that user

Users are `<AMQP_USER_PREFIX><name>`; each password lives in `<AMQP_KEYS_DIR>/<name>` (default
.keys/amqp, git-ignored), made at random on first use with mode 600. The API is RABBIT_API_URI
(default http://guest:guest@<AMQP host>:15672). Run it again at will: it resets each password from
its file and replaces the user's permissions in the vhost of AMQP_URI with exactly its grant."""
import argparse
import inspect
import os
import sys
from urllib.parse import quote, urlsplit

import requests
from amqp.exceptions import AMQPError
from nameko.rpc import Rpc, RpcProxy

from services.common import broker_users as users
from services.common.broker_users import password, uri_for
from services.common import topology
from services.common.amqp_names import DEFAULT_DELAYS
from services.common.settings import delays, load_config

TIMEOUT = 5


class Unanswered(Exception):
    """The management API did not answer (or refused us): one line for the operator."""


def api_uri(amqp_uri):
    host = urlsplit(amqp_uri).hostname or "127.0.0.1"
    return os.environ.get("RABBIT_API_URI") or f"http://guest:guest@{host}:15672"


def needs_of(service_cls):
    """What a service class does on the bus, read off its entrypoints and RPC proxies."""
    calls = sorted({dep.target_service for _, dep in inspect.getmembers(service_cls)
                    if isinstance(dep, RpcProxy)})
    serves = any(isinstance(entrypoint, Rpc) for _, method in inspect.getmembers(service_cls, callable)
                 for entrypoint in getattr(method, "nameko_entrypoints", ()))
    return users.Needs(service_cls.name, serves_rpc=serves, handlers=tuple(topology.handlers_of(service_cls)),
                       calls=tuple(calls))


def grant_of(name):
    if name == users.INTEGRATION:
        return users.integration_grant()
    if name == users.RPC_CLIENT:
        return users.rpc_client_grant()
    if name == "gateway":  # HTTP in front of every service's RPC: it calls them, nothing else
        return users.service_grant(users.Needs("gateway", serves_rpc=False, publishes=False,
                                               calls=users.RPC_SERVICES))
    return users.service_grant(needs_of(topology.service_class(name)))


class Management:
    def __init__(self, uri):
        parts = urlsplit(uri)
        self.base = f"{parts.scheme}://{parts.hostname}:{parts.port or 15672}{parts.path.rstrip('/')}/api"
        self.auth = (parts.username or "guest", parts.password or "guest")
        self.where = f"{parts.hostname}:{parts.port or 15672}"

    def call(self, method, path, body=None, missing_ok=False):
        try:
            response = requests.request(method, f"{self.base}/{path}", json=body, auth=self.auth, timeout=TIMEOUT)
        except requests.RequestException as exc:
            raise Unanswered(f"RabbitMQ management API at {self.where} does not answer ({type(exc).__name__}): "
                             "enable rabbitmq_management or set RABBIT_API_URI") from None
        if response.status_code == 404 and missing_ok:
            return
        if response.status_code >= 400:
            raise Unanswered(f"RabbitMQ management API at {self.where} refused {method} {path.split('/')[0]} "
                             f"({response.status_code}): RABBIT_API_URI needs an administrator")

    def put_user(self, user, secret):
        self.call("PUT", f"users/{quote(user, safe='')}", {"password": secret, "tags": ""})

    def delete_user(self, user):
        self.call("DELETE", f"users/{quote(user, safe='')}", missing_ok=True)

    def grant(self, vhost, user, grant):
        where = f"{quote(vhost, safe='')}/{quote(user, safe='')}"
        self.call("PUT", f"permissions/{where}",
                  {"configure": grant.configure, "write": grant.write, "read": grant.read})
        self.call("DELETE", f"topic-permissions/{where}", missing_ok=True)
        for exchange, (write, read) in sorted(grant.topics.items()):
            self.call("PUT", f"topic-permissions/{where}", {"exchange": exchange, "write": write, "read": read})


def provision(amqp_uri, names=users.USERS, prefix=None, keys_dir=None, management=None):
    """Create or reset each user and grant it exactly its permissions in AMQP_URI's vhost."""
    prefix = os.environ.get("AMQP_USER_PREFIX", "") if prefix is None else prefix
    management = management or Management(api_uri(amqp_uri))
    vhost = users.vhost(amqp_uri)
    for name in names:
        user = prefix + name
        management.put_user(user, password(name, keys_dir))
        management.grant(vhost, user, grant_of(name))
    return [prefix + name for name in names]


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m services.ops.provision", description=__doc__.split("\n")[0])
    parser.add_argument("--config", default="config.yml")
    parser.add_argument("--topology", action="store_true", help="then declare the topology as the services")
    parser.add_argument("--no-users", action="store_true", help="leave the users alone (no management API)")
    parser.add_argument("names", nargs="*", metavar="NAME", help=f"default: {' '.join(users.USERS)}")
    args = parser.parse_args(argv)
    config = load_config(args.config)
    amqp_uri = config["AMQP_URI"]
    if args.names[:1] == ["uri"] and len(args.names) == 2:
        print(uri_for(amqp_uri, args.names[1]))
        return 0
    unknown = sorted(set(args.names) - set(users.USERS))
    if unknown:
        parser.error(f"unknown broker user {' '.join(unknown)} (one of {' '.join(users.USERS)})")
    try:
        if not args.no_users:
            made = provision(amqp_uri, args.names or users.USERS)
            print(f"broker users ready in vhost {users.vhost(amqp_uri)}: {' '.join(made)}")
        if args.topology:
            declare_topology(amqp_uri, delays(config, "EVENT_RETRY_DELAYS", DEFAULT_DELAYS))
    except Unanswered as exc:
        print(f"provision: {exc}", file=sys.stderr)
        return 1
    except (OSError, AMQPError) as exc:
        print(f"provision: RabbitMQ at {amqp_uri.split('@')[-1]} refused the topology ({type(exc).__name__}: "
              f"{exc})", file=sys.stderr)
        return 1
    return 0


def declare_topology(amqp_uri, retry_delays):
    classes = [topology.service_class(name) for name in topology.SERVICES]
    topology.declare_as_owners(lambda name: uri_for(amqp_uri, name), classes, retry_delays)
    print(f"topology: declared {len(topology.project_queue_names(classes, retry_delays))} queues, "
          "each service as its own user")


if __name__ == "__main__":
    sys.exit(main())
