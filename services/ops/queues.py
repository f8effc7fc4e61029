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


def queue_counts(broker, names):
    """(how the counts were taken, [(name, kind, ready, unacked, consumers)])."""
    counts = broker.management_counts()
    if counts is not None:
        rows = [(name, kind(name), *counts.get(name, (MISSING, UNKNOWN, UNKNOWN))) for name in names]
        return "management API", rows
    rows = []
    with broker.connect() as connection:
        for name in names:
            declared = broker.declared_counts(connection, name)
            ready, consumers = declared if declared else (MISSING, UNKNOWN)
            rows.append((name, kind(name), ready, UNKNOWN, consumers))
    return "passive declare (management API unreachable: unacked unknown)", rows


def render(source, rows):
    lines = [table(("QUEUE", "KIND", "READY", "UNACKED", "CONSUMERS"), rows),
             f"\n({len(rows)} queues, {source})"]
    if any(row[2] == MISSING for row in rows):
        lines.append("missing queues are declared by: python -m services.common.topology --config config.yml")
    return "\n".join(lines)
