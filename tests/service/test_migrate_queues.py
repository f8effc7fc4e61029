"""Issue 14: an earlier deployment's classic queues become quorum queues with every message kept,
and the topology step says in one line what to run instead of failing obscurely."""
from kombu import Connection, Exchange, Queue, binding

from services.common import amqp_names, topology
from services.ops import migrate_queues, provision
from tests.helpers import take_message
from tests.service.probe import ProbeConsumer

DELAYS = [0.05, 0.1]
QUEUE = amqp_names.consumer_queue_name("probe", "thing_made", "probeconsumer", "on_thing")


def classic_queue(amqp_uri):
    """The consumer queue as the bus branch declared it: classic, no arguments, with two messages."""
    with Connection(amqp_uri) as connection:
        channel = connection.channel()
        exchange = amqp_names.event_exchange("probe")
        Queue(QUEUE, durable=True, bindings=[binding(exchange, routing_key="thing_made")])(channel).declare()
        producer = connection.Producer(channel)
        for n in (1, 2):
            producer.publish({"n": n}, exchange=exchange, routing_key="thing_made", headers={"x-n": n},
                             user_id="guest", delivery_mode=2)


def declared_as_now(amqp_uri):
    """True when the queue takes today's (quorum) arguments."""
    queue = next(entity for entity in topology.entities([ProbeConsumer], DELAYS) if entity.name == QUEUE)
    with Connection(amqp_uri) as connection:
        return not migrate_queues.outdated(connection, queue)


def test_the_topology_step_names_the_migration_when_classic_queues_are_in_the_way(rabbit_config, capsys,
                                                                                   monkeypatch):
    amqp_uri = rabbit_config["AMQP_URI"]
    classic_queue(amqp_uri)
    monkeypatch.setattr(provision, "declare_topology",
                        lambda uri, delays: topology.declare(uri, [ProbeConsumer], DELAYS))
    monkeypatch.setenv("AMQP_URI", amqp_uri)
    assert provision.main(["--no-users", "--topology"]) == 1
    error = capsys.readouterr().err.strip()
    assert error == f"provision: {provision.OUTDATED} (queue '{QUEUE}')"


def test_classic_queues_become_quorum_queues_with_every_message_and_binding_kept(rabbit_config):
    amqp_uri = rabbit_config["AMQP_URI"]
    classic_queue(amqp_uri)
    assert not declared_as_now(amqp_uri)

    lines = migrate_queues.migrate_all(amqp_uri, [ProbeConsumer], DELAYS)

    assert lines == [f"{QUEUE}: quorum queue, 2 messages moved"]
    assert declared_as_now(amqp_uri)
    with Connection(amqp_uri) as connection:
        connection.Producer().publish({"n": 3}, exchange=Exchange("probe.events", type="topic"),
                                      routing_key="thing_made", user_id="guest")
    taken = [take_message(amqp_uri, QUEUE) for _ in range(3)]
    assert [(payload["n"], headers.get("x-n")) for payload, headers in taken] == [(1, 1), (2, 2), (3, None)]
    assert take_message(amqp_uri, QUEUE) is None
    assert migrate_queues.migrate_all(amqp_uri, [ProbeConsumer], DELAYS) == [
        "every project queue is already a quorum queue"]
