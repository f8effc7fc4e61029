"""Who may do what on the bus (contract §6): a broker user per service, `integration` and `rpc-client`.

User names and their password files, what each one needs on the broker (configure, write and read
regexes of its vhost, topic permissions per topic exchange) and the event-trust rule.
services/ops/provision.py applies the grants through the management API; the consumer applies
`trusted`.

What a service does on the bus, and the permission each step takes (RabbitMQ access control):
- serves RPC: declares `nameko-rpc` and `rpc-<service>` (configure), binds them with `<service>.*`
  (write on the queue, read on the exchange, topic read of the key), consumes (read), replies on
  `nameko-rpc` with the caller's reply id (write, topic write of a uuid);
- calls a service (RpcProxy): declares `rpc.reply-<service>-<uuid>`, binds it with the uuid, consumes
  it, publishes `<target>.<method>` on `nameko-rpc`;
- publishes its events on `<service>.events` (configure, write, topic write of an event type);
- consumes events: `evt-<source>-<type>--<service>.<method>`, bound to `<source>.events` (declared by
  its owner, passively here: read and topic read of the type) and to `<service>.redeliver`;
- retries through `<service>.retry` and its `<service>.retry.<n>ms` queues, dead-letters through the
  `<service>.dead-letter` exchange and queue; the ops CLI reads that queue and replays into
  `<service>.redeliver` as the service's own user.
No service publishes to the default exchange (that would reach every queue by name)."""
import os
import re
import secrets
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote, unquote, urlsplit, urlunsplit

from .amqp_names import FIRST_PUBLISHER

RPC_SERVICES = ("pairing", "activity", "summary", "notification")
SERVICES = (*RPC_SERVICES, "gateway")
INTEGRATION = "integration"
RPC_CLIENT = "rpc-client"
USERS = (*SERVICES, INTEGRATION, RPC_CLIENT)
RPC_EXCHANGE = "nameko-rpc"
REPLY_ID = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
UNTRUSTED = "untrusted publisher"
NOTHING = "^$"
DEFAULT_KEYS_DIR = ".keys/amqp"


@dataclass(frozen=True)
class Grant:
    configure: str
    write: str
    read: str
    topics: dict = field(default_factory=dict)  # topic exchange -> (write, read)


@dataclass(frozen=True)
class Needs:
    """What one service does on the bus; `handlers` are (source, event_type, method)."""
    name: str
    serves_rpc: bool = True
    publishes: bool = True
    handlers: tuple = ()
    calls: tuple = ()


def one_of(patterns):
    """A whole-name regex matching any of `patterns` (regex fragments), or nothing at all."""
    return f"^({'|'.join(patterns)})$" if patterns else NOTHING


def exact(*names):
    return [re.escape(name) for name in names]


def events_exchange(source):
    return f"{source}.events"


def reply_queue(caller):
    return rf"rpc\.reply-{re.escape(caller)}-{REPLY_ID}"


def service_grant(needs):
    s = needs.name
    own = exact(f"{s}.retry", f"{s}.redeliver", f"{s}.dead-letter")
    retry_queues = [rf"{re.escape(s)}\.retry\.[0-9]+ms"]
    consumer_queues = exact(*sorted({f"evt-{src}-{typ}--{s}.{method}" for src, typ, method in needs.handlers}))
    sources = sorted({src for src, _, _ in needs.handlers})
    rpc_queues = (exact(f"rpc-{s}") if needs.serves_rpc else []) + ([reply_queue(s)] if needs.calls else [])
    rpc = exact(RPC_EXCHANGE) if rpc_queues else []
    mine = own + retry_queues + (exact(events_exchange(s)) if needs.publishes else [])
    configure = rpc + rpc_queues + mine + consumer_queues
    write = configure
    # Declaring a retry queue, whose dead-letter exchange is `<service>.redeliver`, takes read on it.
    read = rpc + rpc_queues + own + retry_queues + exact(*map(events_exchange, sources)) + consumer_queues
    topics = {}
    if rpc:
        calls = [rf"{re.escape(target)}\.[a-z_]+" for target in sorted(needs.calls)]
        binds = ([rf"{re.escape(s)}\.\*"] if needs.serves_rpc else []) + ([REPLY_ID] if needs.calls else [])
        topics[RPC_EXCHANGE] = (one_of([REPLY_ID] * needs.serves_rpc + calls), one_of(binds))
    if needs.publishes:
        topics[events_exchange(s)] = (r"^[a-z_]+$", one_of(exact(*sorted({t for src, t, _ in needs.handlers
                                                                            if src == s}))))
    for source in sources:
        if source != s:
            types = sorted({t for src, t, _ in needs.handlers if src == source})
            topics[events_exchange(source)] = (NOTHING, one_of(exact(*types)))
    return Grant(one_of(configure), one_of(write), one_of(read), topics)


def integration_grant(sources=RPC_SERVICES):
    own = [r"integration\..+"]
    exchanges = exact(*map(events_exchange, sources))
    topics = {events_exchange(source): (NOTHING, ".*") for source in sources}
    topics[RPC_EXCHANGE] = (NOTHING, NOTHING)
    return Grant(one_of(own), one_of(own), one_of(own + exchanges), topics)


def rpc_client_grant(targets=RPC_SERVICES):
    mine = exact(RPC_EXCHANGE) + [reply_queue("standalone_rpc_proxy")]
    calls = rf"^({'|'.join(map(re.escape, targets))})\.[a-z_]+$"
    topics = {RPC_EXCHANGE: (calls, f"^{REPLY_ID}$")}
    topics.update({events_exchange(source): (NOTHING, NOTHING) for source in RPC_SERVICES})
    return Grant(one_of(mine), one_of(mine), one_of(mine), topics)


def trusted(properties, headers, source_user, own_user):
    """Contract §6: the broker-checked `user_id` is the source service's user, or this service's own
    (a retry or replay) with `x-first-publisher`, set from an id once validated, naming the source."""
    user_id = (properties or {}).get("user_id")
    first = (headers or {}).get(FIRST_PUBLISHER)
    return user_id == source_user or (user_id == own_user and first == source_user)


def login(amqp_uri):
    """The user an AMQP URI connects as."""
    return unquote(urlsplit(amqp_uri).username or "guest")


def with_credentials(amqp_uri, user, password):
    """`amqp_uri` (same broker, same vhost) connecting as `user`."""
    parts = urlsplit(amqp_uri)
    host = parts.netloc.rpartition("@")[2]
    return urlunsplit(parts._replace(netloc=f"{quote(user, safe='')}:{quote(password, safe='')}@{host}"))


def vhost(amqp_uri):
    path = urlsplit(amqp_uri).path
    return unquote(path[1:]) if len(path) > 1 else "/"


def password(name, keys_dir=None, create=True):
    """The user's password from its key file, made at random (mode 600) when there is none."""
    directory = Path(keys_dir or os.environ.get("AMQP_KEYS_DIR") or DEFAULT_KEYS_DIR)
    path = directory / name
    if create and not path.exists():
        directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w") as handle:
            handle.write(secrets.token_urlsafe(32))
    return path.read_text().strip()


def uri_for(amqp_uri, name, prefix=None, keys_dir=None, create=True):
    """AMQP_URI's broker and vhost as `name`'s user (FileNotFoundError: no key file and create=False)."""
    prefix = os.environ.get("AMQP_USER_PREFIX", "") if prefix is None else prefix
    return with_credentials(amqp_uri, prefix + name, password(name, keys_dir, create))
