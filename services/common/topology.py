"""The bus topology: event exchanges, every consumer queue with its bindings, the retry and
dead-letter queues. Declared by one idempotent step before any service starts, so no event is lost
because its consumer has never run:  python -m services.common.topology [--config config.yml]"""
import argparse
import importlib
import inspect
import sys

from kombu import Connection, Exchange, Queue, binding
from nameko.standalone.events import get_event_exchange

SERVICES = ("pairing", "activity", "summary", "notification")
DEFAULT_DELAYS = [1, 2, 4, 8, 16]


def event_exchange(source, declare=True):
    """`declare=False` for a consumer: only the source's own user may declare (or delete) it."""
    return get_event_exchange(source, {"DECLARE_EVENT_EXCHANGES": declare})


def retry_exchange(service):
    return Exchange(f"{service}.retry", type="topic", durable=True)


def redeliver_exchange(service):
    return Exchange(f"{service}.redeliver", type="topic", durable=True)


def delay_ms(seconds):
    return max(1, int(round(seconds * 1000)))


def retry_queue(service, seconds):
    """Holds a failed event for `seconds`, then dead-letters it back to the queue it came from."""
    ms = delay_ms(seconds)
    return Queue(
        f"{service}.retry.{ms}ms", exchange=retry_exchange(service), routing_key=f"{ms}.#", durable=True,
        queue_arguments={"x-message-ttl": ms, "x-dead-letter-exchange": f"{service}.redeliver"})


def dead_letter_exchange(service):
    # Not the default exchange: writing to that would let a service reach every queue by name.
    return Exchange(f"{service}.dead-letter", type="direct", durable=True)


def dead_letter_queue(service):
    return Queue(f"{service}.dead-letter", exchange=dead_letter_exchange(service),
                 routing_key=f"{service}.dead-letter", durable=True, no_declare=False)


def consumer_queue_name(source, event_type, service, method):
    # nameko's SERVICE_POOL naming, so the queue we declare is the one nameko consumes.
    return f"evt-{source}-{event_type}--{service}.{method}"


def consumer_queue(source, event_type, service, method):
    name = consumer_queue_name(source, event_type, service, method)
    # kombu ignores `exchange=` once `bindings` are given, so both bindings are listed.
    return Queue(name, durable=True, bindings=[
        binding(event_exchange(source, declare=source == service), routing_key=event_type),
        binding(redeliver_exchange(service), routing_key=f"*.{name}"),
    ])


def handlers_of(service_cls):
    """(source, event_type, method) of each reliable event handler on a service class."""
    from .consumer import ReliableEventHandler

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
    """Everything to declare for these service classes, exchanges first."""
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
    """The topology step with each service's own broker user: every events exchange by its owner
    first, then each service's queues (bound to those exchanges passively)."""
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
    names = []
    for entity in entities(service_classes, delays):
        if isinstance(entity, Queue):
            names.append(entity.name)
    return names


def load_config(path):
    from nameko.cli.main import setup_yaml_parser
    import yaml

    setup_yaml_parser()
    with open(path) as handle:
        return yaml.safe_load(handle)


def main(argv=None):
    from .settings import delays

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
