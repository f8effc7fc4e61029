"""The command that declares the bus topology (a composition root: it imports every service).

Event exchanges, every consumer queue with its bindings, the retry and dead-letter queues, declared
by one idempotent step before any service starts, so no event is lost because its consumer has
never run:  python -m services.common.topology [--config config.yml]
The names themselves are in `services.common.amqp`."""
import argparse
import importlib
import inspect
import sys

from kombu import Connection, Queue

from .amqp_names import (DEFAULT_DELAYS, consumer_queue, dead_letter_queue, event_exchange, redeliver_exchange,
                   retry_exchange, retry_queue)
from .consumer import ReliableEventHandler
from .settings import delays, load_config

SERVICES = ("pairing", "activity", "summary", "notification")


def handlers_of(service_cls):
    """(source, event_type, method) of each reliable event handler on a service class."""
    found = []
    for method_name, method in inspect.getmembers(service_cls, callable):
        for entrypoint in getattr(method, "nameko_entrypoints", ()):
            if isinstance(entrypoint, ReliableEventHandler):
                found.append((entrypoint.source_service, entrypoint.event_type, method_name))
    return sorted(found)


def service_class(name):
    module = importlib.import_module(f"services.{name}.service")
    return next(cls for cls in vars(module).values() if inspect.isclass(cls) and getattr(cls, "name", None) == name)


def entities(service_classes, delays):
    """Everything to declare for these service classes, exchanges first (an administrator's view)."""
    sources = {source for cls in service_classes for source, _, _ in handlers_of(cls)}
    declared = [event_exchange(name) for name in sorted({*SERVICES, *sources, *(cls.name for cls in service_classes)})]
    for cls in service_classes:
        declared += own_entities(cls, delays)
    return declared


def own_entities(cls, delays):
    """What one service declares as its own user (the events exchanges it consumes must exist)."""
    service = cls.name
    declared = [retry_exchange(service), redeliver_exchange(service), dead_letter_queue(service)]
    declared += [retry_queue(service, seconds) for seconds in delays]
    return declared + [consumer_queue(source, event_type, service, method)
                       for source, event_type, method in handlers_of(cls)]


def declare(amqp_uri, service_classes, delays):
    declare_entities(amqp_uri, entities(service_classes, delays))


def declare_as_owners(uri_of, service_classes, delays):
    """The topology step with each service's own broker user (contract §6): every events exchange by
    its owner first, then each service's queues (bound to those exchanges passively)."""
    for cls in service_classes:
        declare_entities(uri_of(cls.name), [event_exchange(cls.name)])
    for cls in service_classes:
        declare_entities(uri_of(cls.name), own_entities(cls, delays))


def declare_entities(amqp_uri, declared):
    with Connection(amqp_uri, connect_timeout=5) as connection:
        channel = connection.channel()
        for entity in declared:
            entity.maybe_bind(channel)
            entity.declare()
        channel.close()


def project_queue_names(service_classes, delays):
    return [entity.name for entity in entities(service_classes, delays) if isinstance(entity, Queue)]


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m services.common.topology")
    parser.add_argument("--config", default="config.yml")
    args = parser.parse_args(argv)
    config = load_config(args.config)
    classes = [service_class(name) for name in SERVICES]
    retry_delays = delays(config, "EVENT_RETRY_DELAYS", DEFAULT_DELAYS)
    try:
        declare(config["AMQP_URI"], classes, retry_delays)
    except OSError as exc:
        print(f"topology: RabbitMQ at {config['AMQP_URI'].split('@')[-1]} is unreachable ({exc})", file=sys.stderr)
        return 1
    print(f"topology: declared {len(project_queue_names(classes, retry_delays))} queues")
    return 0


if __name__ == "__main__":
    sys.exit(main())
