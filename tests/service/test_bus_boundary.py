"""The bus's boundary (contract §6) on the real broker: who may publish, bind and consume what, and
what a consumer does with an event its source's broker user did not publish."""
import json
import uuid

import pytest
from amqp import Message
from amqp.exceptions import AccessRefused, PreconditionFailed
from kombu import Connection
from nameko.rpc import Rpc

from services.activity.service import ActivityService
from services.common import amqp_names, handled, topology
from services.common.amqp_names import FIRST_PUBLISHER
from services.common.events import make_event
from services.notification.service import NotificationService
from services.pairing.service import PairingService
from services.summary.service import SummaryService
from tests.conftest import FAST_RETRIES
from tests.helpers import publish_envelope, queue_depth, take_message, wait_until
from tests.service.fake_pairing import event_data, pairing_record
from tests.service.probe import ProbeConsumer
from tests.service.summary.helpers import activity, campaign, projected_seq, wait_for_seed
from tests.service.vhosts import vhost_of_its_own

REPLY_ID = str(uuid.uuid4())
EVERY_SERVICE = (PairingService, ActivityService, SummaryService, NotificationService)
UNIT = {"code": "U001", "name": "假单位", "party_org": "假单位党支部", "contact_email": "x@evil.example",
        "active": True, "created_at": "2026-03-01T09:00:00+08:00", "updated_at": "2026-03-01T09:00:00+08:00",
        "revision": 1000}


def attempt(amqp_uri, action):
    """"ok", or how the broker refused `action(channel)` (it closes the channel on a refusal)."""
    with Connection(amqp_uri) as connection:
        channel = connection.channel()
        try:
            action(channel)
        except AccessRefused:
            return "refused"
        except PreconditionFailed:
            return "precondition failed"
        return "ok"


def publish(exchange, routing_key="x", body=b"{}", **properties):
    """Publish with a confirm: a refusal closes the channel before the confirm comes."""
    def act(channel):
        message = Message(body, content_type="application/json", **properties)
        channel.basic_publish_confirm(message, exchange, routing_key)
    return act


def declare_queue(name, **arguments):
    return lambda channel: channel.queue_declare(name, durable=False, auto_delete=True, arguments=arguments)


def bind(queue, exchange, routing_key, declare=True):
    """Bind `queue` (declared first unless the topology has declared it) to `exchange`."""
    def act(channel):
        if declare:
            channel.queue_declare(queue, auto_delete=True)
        channel.queue_bind(queue, exchange, routing_key)
    return act


def consume(queue):
    return lambda channel: channel.basic_consume(queue, callback=lambda message: None)


def declare_exchange(name):
    return lambda channel: channel.exchange_declare(name, "topic", durable=True, auto_delete=False)


def behind_own_exchange(destination, kind):
    """Declare `integration.relay` (the integration user's names cover exchanges too) and bind the
    queue or exchange `destination` behind it, so what is published there would reach it."""
    def act(channel):
        channel.exchange_declare("integration.relay", "topic", durable=False, auto_delete=True)
        bind_behind = channel.exchange_bind if kind == "exchange" else channel.queue_bind
        bind_behind(destination, "integration.relay", "#")
    return act


def reply_queue():
    return f"rpc.reply-standalone_rpc_proxy-{uuid.uuid4()}"


@pytest.fixture
def bus(service_config, bus_users):
    """The test vhost with the whole topology declared, and `bus.uri(name)` for each broker user."""
    return declared_bus(service_config["AMQP_URI"], service_config["EVENT_RETRY_DELAYS"], bus_users)


@pytest.fixture(scope="module")
def permissions_bus(request, rabbit_manager, bus_users):
    """One such vhost for the whole permission table: each row only tries one thing as one user, and
    declaring the topology's 68 quorum queues for each row took most of this module's time."""
    with vhost_of_its_own(request, rabbit_manager, "leifeng_permissions") as config:
        yield declared_bus(config["AMQP_URI"], FAST_RETRIES, bus_users)


def declared_bus(amqp_uri, delays, bus_users):
    topology.declare(amqp_uri, EVERY_SERVICE, delays)
    attempt(amqp_uri, declare_exchange("nameko-rpc"))

    class Bus:
        admin = amqp_uri

        @staticmethod
        def uri(name):
            return bus_users.uri(amqp_uri, name)

        @staticmethod
        def user(name):
            return bus_users.prefix + name
    return Bus


# Who may do what. Each row: user, what it tries, the broker's answer.
PERMISSIONS = [
    # integration: subscribes to the events exchanges through its own queues, nothing else.
    ("integration", bind("integration.warehouse", "pairing.events", "#"), "ok"),
    ("integration", bind("integration.warehouse", "summary.events", "issue_forwarded"), "ok"),
    ("integration", publish("pairing.events", "unit_registered"), "refused"),
    ("integration", publish("activity.events", "activity_completed"), "refused"),
    ("integration", publish("nameko-rpc", "pairing.register_unit"), "refused"),
    ("integration", publish("", "rpc-pairing"), "refused"),
    ("integration", publish("amq.topic", "x"), "refused"),
    ("integration", publish("summary.redeliver", "x.y"), "refused"),
    ("integration", bind("integration.spy", "nameko-rpc", "#"), "refused"),
    ("integration", bind("integration.spy", "nameko-rpc", "pairing.*"), "refused"),
    ("integration", declare_queue("warehouse"), "refused"),
    ("integration", consume("rpc-pairing"), "refused"),
    ("integration", consume("summary.dead-letter"), "refused"),
    ("integration", declare_exchange("pairing.events"), "refused"),
    ("integration", behind_own_exchange("pairing.events", "exchange"), "refused"),
    ("integration", behind_own_exchange("evt-activity-activity_completed--summary.on_activity_completed", "queue"),
     "refused"),
    # rpc-client: calls over nameko-rpc and reads its own replies only.
    ("rpc-client", bind(reply_queue(), "nameko-rpc", REPLY_ID), "ok"),
    ("rpc-client", publish("nameko-rpc", "pairing.get_campaign"), "ok"),
    ("rpc-client", bind(reply_queue(), "nameko-rpc", "#"), "refused"),
    ("rpc-client", bind(reply_queue(), "nameko-rpc", "pairing.*"), "refused"),
    ("rpc-client", bind(reply_queue(), "nameko-rpc", "pairing.register_unit"), "refused"),
    ("rpc-client", bind(reply_queue(), "nameko-rpc", "*.*"), "refused"),
    ("rpc-client", publish("nameko-rpc", REPLY_ID), "refused"),
    ("rpc-client", publish("nameko-rpc", "probe.make_thing"), "refused"),
    ("rpc-client", publish("pairing.events", "unit_registered"), "refused"),
    ("rpc-client", publish("activity.events", "activity_completed"), "refused"),
    ("rpc-client", publish("", "rpc-pairing"), "refused"),
    ("rpc-client", consume("rpc-pairing"), "refused"),
    ("rpc-client", bind(reply_queue(), "pairing.events", "#"), "refused"),
    ("rpc-client", declare_queue("rpc-pairing"), "refused"),
    # a service: its own events, its own queues; nobody else's.
    ("activity", publish("activity.events", "activity_completed"), "ok"),
    ("activity", publish("pairing.events", "pairing_approved"), "refused"),
    ("activity", publish("summary.events", "summary_requested"), "refused"),
    ("activity", publish("", "evt-activity-activity_completed--summary.on_activity_completed"), "refused"),
    ("activity", publish("summary.redeliver", "0.evt-activity-activity_completed--summary.on_activity_completed"),
     "refused"),
    ("activity", publish("nameko-rpc", "pairing.get_pairing"), "ok"),
    ("activity", publish("nameko-rpc", "summary.submit_summary"), "refused"),
    ("activity", bind(f"rpc.reply-activity-{uuid.uuid4()}", "nameko-rpc", "#"), "refused"),
    ("activity", bind("rpc-activity", "nameko-rpc", "pairing.*", declare=False), "refused"),
    ("activity", consume("rpc-pairing"), "refused"),
    ("activity", declare_exchange("pairing.events"), "refused"),
    ("summary", publish("nameko-rpc", "pairing.get_campaign"), "ok"),  # its report asks pairing
    ("summary", publish("nameko-rpc", "activity.get_activity"), "refused"),
    ("summary", publish("pairing.events", "campaign_updated"), "refused"),
    # summary handles every pairing event type (the report counts them all), but only by name.
    ("summary", bind("evt-pairing-campaign_updated--summary.on_campaign_event", "pairing.events",
                     "#", declare=False), "refused"),
    ("notification", bind("evt-pairing-campaign_updated--notification.keep_directory", "pairing.events",
                          "pairing_withdrawn", declare=False), "refused"),
    ("summary", bind("evt-pairing-campaign_updated--summary.on_campaign_event", "pairing.events",
                     "campaign_updated", declare=False), "ok"),
    ("summary", consume("evt-activity-activity_completed--summary.on_activity_completed"), "ok"),
    ("summary", consume("evt-pairing-pairing_approved--activity.on_pairing_changed"), "refused"),
    ("summary", consume("notification.dead-letter"), "refused"),
    ("notification", publish("summary.events", "issue_forwarded"), "refused"),
    ("notification", publish("nameko-rpc", "pairing.get_pairing"), "refused"),
    ("pairing", publish("pairing.events", "unit_registered"), "ok"),
    ("pairing", publish("activity.events", "activity_completed"), "refused"),
    ("pairing", bind("rpc-pairing", "nameko-rpc", "#", declare=False), "refused"),
    ("gateway", publish("nameko-rpc", "summary.campaign_report"), "ok"),
    ("gateway", publish("pairing.events", "unit_registered"), "refused"),
    ("gateway", consume("rpc-pairing"), "refused"),
]


@pytest.mark.parametrize("user, action, answer", PERMISSIONS)
def test_each_broker_user_may_do_only_what_it_needs(permissions_bus, user, action, answer):
    assert attempt(permissions_bus.uri(user), action) == answer


def test_the_broker_refuses_a_user_id_other_than_the_connections_own(bus):
    forged = publish("activity.events", "activity_completed", user_id=bus.user("activity"))
    assert attempt(bus.admin, forged) == "precondition failed"
    assert attempt(bus.uri("summary"), forged) == "refused"


def test_the_integration_user_receives_events_through_its_own_queue(bus):
    queue = f"integration.warehouse-{uuid.uuid4().hex[:6]}"
    with Connection(bus.uri("integration")) as connection:
        channel = connection.channel()
        channel.queue_declare(queue, auto_delete=False)
        channel.queue_bind(queue, "pairing.events", "#")
        envelope = publish_envelope(bus.admin, make_event("pairing", "unit_registered", "U001", 1, UNIT))
        message = wait_until(lambda: channel.basic_get(queue, no_ack=True))
        channel.queue_delete(queue)
    assert json.loads(message.body)["event_id"] == envelope["event_id"]
    assert message.properties["user_id"] == bus.user("pairing")


def rpc_methods(service_cls):
    return sorted(name for name, method in vars(service_cls).items()
                  if any(isinstance(entrypoint, Rpc) for entrypoint in getattr(method, "nameko_entrypoints", ())))


def test_rpc_client_can_call_every_method_of_every_service(bus, start_service, rpc):
    for service_cls in EVERY_SERVICE:
        start_service(service_cls)
    calls = rpc("committee")
    answered = {}
    for service_cls in EVERY_SERVICE:
        service = getattr(calls, service_cls.name)
        for method in rpc_methods(service_cls):
            try:
                getattr(service, method)(__no_such_argument__=1)
            except Exception as exc:  # any answer at all: the broker carried the call and its reply
                answered[f"{service_cls.name}.{method}"] = type(exc).__name__
    expected = {f"{cls.name}.{method}" for cls in EVERY_SERVICE for method in rpc_methods(cls)}
    assert set(answered) == expected and len(expected) > 30
    assert set(answered.values()) == {"IncorrectSignature"}


# Forged events: (consuming service, source, event type, data, what the event would change).
FORGERIES = [
    (SummaryService, "activity", "activity_completed", lambda: activity(),
     lambda client, record: client.exists(f"summary:activity:{record['id']}")),
    (SummaryService, "pairing", "campaign_updated", lambda: campaign("c1", summary_due_days=1),
     lambda client, record: client.get(f"summary:campaign:{record['id']}")),
    (SummaryService, "pairing", "unit_registered", lambda: dict(UNIT),
     lambda client, record: client.hget("summary:report:names:unit", record["code"])),
    (ActivityService, "pairing", "pairing_approved", lambda: event_data(pairing_record("p-forged")),
     lambda client, record: client.get(f"activity:pairing:{record['id']}")),
]


def handlers_of(service_cls, source, event_type):
    return [method for src, typ, method in topology.handlers_of(service_cls) if (src, typ) == (source, event_type)]


def dead_letters(amqp_uri, queue, count):
    wait_until(lambda: queue_depth(amqp_uri, queue) >= count, timeout=15, message=f"{count} dead letters")
    return [take_message(amqp_uri, queue) for _ in range(count)]


@pytest.mark.parametrize("service_cls, source, event_type, data, effect", FORGERIES,
                         ids=[forgery[2] for forgery in FORGERIES])
def test_a_forged_event_changes_nothing_and_is_dead_lettered_as_untrusted(
        bus, start_service, redis_client, service_cls, source, event_type, data, effect):
    start_service(service_cls)
    if service_cls is SummaryService:
        wait_for_seed(redis_client)
    service = service_cls.name
    methods = handlers_of(service_cls, source, event_type)
    record = data()
    subject = record.get("id", record.get("code"))
    own = bus.uri(service)
    forgeries = [
        (bus.admin, f"{source}.events", event_type, {}),  # no user_id at all
        (bus.admin, f"{source}.events", event_type, {"user_id": "guest"}),
        (bus.admin, f"{source}.events", event_type, {"application_headers": {FIRST_PUBLISHER: bus.user(source)}}),
        (bus.admin, "", amqp_names.consumer_queue_name(source, event_type, service, methods[0]), {}),
        # its own user's redelivery path, without the voucher its retries carry
        (own, f"{service}.redeliver", f"0.{amqp_names.consumer_queue_name(source, event_type, service, methods[0])}",
         {"user_id": bus.user(service)}),
    ]
    before = effect(redis_client, record)
    for n, (uri, exchange, routing_key, properties) in enumerate(forgeries, start=1):
        envelope = make_event(source, event_type, subject, 1000, record)
        assert attempt(uri, publish(exchange, routing_key, json.dumps(envelope).encode(), **properties)) == "ok"
        expected = 1 if exchange in ("", f"{service}.redeliver") else len(methods)
        for payload, headers in dead_letters(bus.admin, f"{service}.dead-letter", expected):
            assert payload == envelope, f"forgery {n}"
            assert headers["x-error"].startswith("untrusted publisher") and FIRST_PUBLISHER not in headers
        assert effect(redis_client, record) == before
        assert not any(redis_client.exists(handled.mark_key(service, method, envelope["event_id"]))
                       for method in methods)

    # Its source's own user, on its source's exchange, but in another service's name: the user of
    # the event's `source` did not publish it (contract §6), whatever the exchange vouches for.
    envelope = {**make_event(source, event_type, subject, 1000, record),
                "source": "summary" if source == "pairing" else "pairing"}
    assert attempt(bus.uri(source), publish(f"{source}.events", event_type, json.dumps(envelope).encode(),
                                            user_id=bus.user(source))) == "ok"
    for payload, headers in dead_letters(bus.admin, f"{service}.dead-letter", len(methods)):
        assert payload == envelope
        assert headers["x-error"].startswith("untrusted publisher") and FIRST_PUBLISHER not in headers
    assert effect(redis_client, record) == before

    # The same event from its source's own user is acted on: the checks above could have failed.
    if event_type == "activity_completed":  # summary acts on a completion once it knows the campaign
        known = campaign(record["campaign_id"])
        publish_envelope(bus.admin, make_event("pairing", "campaign_created", known["id"], 1, known))
        wait_until(lambda: projected_seq(redis_client, known["id"]) == 1, message="the campaign known")
    genuine = publish_envelope(bus.admin, make_event(source, event_type, subject, 1, record))
    wait_until(lambda: any(redis_client.exists(handled.mark_key(service, method, genuine["event_id"]))
                           for method in methods), timeout=30, message="the genuine event handled")


@pytest.fixture
def probe_consumer(bus, start_service):
    return start_service(ProbeConsumer)


HOSTILE = {  # body, content type and encoding; why it is refused
    "not JSON": (b"\xff{not json", "application/json", None, "not JSON"),
    "not an object": (b"[1, 2, 3]", "application/json", None, "not a JSON object"),
    "deeply nested": (b"[" * 100000 + b"]" * 100000, "application/json", None, "not JSON"),
    "over 4 MiB": (json.dumps({"pad": "x" * (4 * 1024 * 1024)}).encode(), "application/json", None,
                   "larger than 4 MiB"),
    # 1.5 Mi characters, 4.5 MiB: py-amqp hands a UTF-8 body over as text; the limit counts bytes.
    "over 4 MiB of UTF-8": (json.dumps({"pad": "慰" * (3 * 512 * 1024)}, ensure_ascii=False).encode(),
                           "application/json", "utf-8", "larger than 4 MiB"),
    "not a JSON message": (b"{}", "application/x-python-serialize", None, "not a JSON message"),
    "compressed, and not even that": (b"\x1f\x8b not gzip", "application/json", None, "not a JSON message"),
}


@pytest.mark.parametrize("body, content_type, encoding, reason", HOSTILE.values(), ids=list(HOSTILE))
def test_a_hostile_event_from_a_trusted_publisher_is_dead_lettered_and_the_next_one_flows(
        bus, probe_consumer, redis_client, body, content_type, encoding, reason):
    probe = bus.uri("probe")
    compressed = {"compression": "application/x-gzip"} if body.startswith(b"\x1f\x8b") else {}
    hostile = Message(body, content_type=content_type, content_encoding=encoding, user_id=bus.user("probe"),
                      application_headers=compressed)

    def send(channel):
        channel.basic_publish_confirm(hostile, "probe.events", "thing_made")
    assert attempt(probe, send) == "ok"
    wait_until(lambda: queue_depth(bus.admin, "probeconsumer.dead-letter") == 1, timeout=15,
               message="the hostile event dead-lettered")
    with Connection(bus.admin) as connection:
        letter = connection.default_channel.basic_get("probeconsumer.dead-letter", no_ack=True)
    assert letter.body == (body.decode(encoding) if encoding else body)
    assert letter.headers["x-error"] == f"ValidationError: {reason}"
    assert letter.headers[FIRST_PUBLISHER] == bus.user("probe")
    healthy = publish_envelope(bus.admin, make_event("probe", "thing_made", "t1", 1, {"id": "t1", "unit_code": "U1"}))
    wait_until(lambda: redis_client.hget("probeconsumer:effects", healthy["event_id"]) == "1",
               message="the next event handled")


def test_a_retried_event_stays_trusted_through_the_consumers_own_user(bus, probe_consumer, redis_client):
    """A poison event goes round the retry queues as the consumer's own user, vouched for by
    x-first-publisher, and ends as a failure of the handler, not as an untrusted one."""
    poison = publish_envelope(bus.admin, make_event("probe", "thing_made", "t2", 1,
                                                    {"id": "t2", "unit_code": "U1", "poison": True}))
    wait_until(lambda: queue_depth(bus.admin, "probeconsumer.dead-letter") == 1, timeout=15,
               message="the poison event dead-lettered")
    payload, headers = take_message(bus.admin, "probeconsumer.dead-letter")
    assert payload == poison
    assert headers["x-attempts"] == 6 and headers["x-error"].startswith("RuntimeError")
    assert headers[FIRST_PUBLISHER] == bus.user("probe")
