"""`queues`: every queue the topology declares, with what waits in it and who consumes it."""
from services.common import amqp_names, topology
from services.common.settings import delays

from .output import table

UNKNOWN = "-"
MISSING = "missing"


def kind(name):
    if name.endswith(".dead-letter"):
        return "dead-letter"
    if ".retry." in name:
        return "retry"
    return "consumer"


def project_queues(config, service_classes):
    retry_delays = delays(config, "EVENT_RETRY_DELAYS", amqp_names.DEFAULT_DELAYS)
    return topology.project_queue_names(service_classes, retry_delays)


def status(kind_of, ready, consumers, rate):
    """What needs an operator: a consumer queue nobody reads (`no-consumer`) or whose READY grows
    (`growing`, known from the management API only), a dead-letter queue holding messages."""
    if ready == MISSING:
        return UNKNOWN
    if kind_of == "consumer" and consumers == 0:
        return "no-consumer"
    if kind_of == "consumer" and rate != UNKNOWN and rate > 0 and ready > 0:
        return "growing"
    if kind_of == "dead-letter" and ready > 0:
        return "dead-letters"
    return "ok"


def row(name, ready, unacked, consumers, rate):
    kind_of = kind(name)
    return name, kind_of, ready, unacked, consumers, status(kind_of, ready, consumers, rate)


def queue_counts(broker, names):
    """(how the counts were taken, [(name, kind, ready, unacked, consumers, status)])."""
    counts = broker.management_counts()
    if counts is not None:
        return "management API", [row(name, *counts.get(name, (MISSING, UNKNOWN, UNKNOWN, UNKNOWN)))
                                  for name in names]
    rows = []
    with broker.connect() as connection:
        for name in names:
            declared = broker.declared_counts(connection, name)
            ready, consumers = declared if declared else (MISSING, UNKNOWN)
            rows.append(row(name, ready, UNKNOWN, consumers, UNKNOWN))
    return "passive declare (management API unreachable: unacked and growth unknown)", rows


def render(source, rows):
    lines = [table(("QUEUE", "KIND", "READY", "UNACKED", "CONSUMERS", "STATUS"), rows),
             f"\n({len(rows)} queues, {source})"]
    if any(row[2] == MISSING for row in rows):
        lines.append("missing queues are declared by: python -m services.common.topology --config config.yml")
    return "\n".join(lines)
