"""The bus's names: exchanges, queues and headers (a leaf: nothing here imports another module of
ours). What to declare and the command that declares it are in `topology`."""
from kombu import Exchange, Queue, binding
from nameko.standalone.events import get_event_exchange

DEFAULT_DELAYS = [1, 2, 4, 8, 16]

# Headers a retried or dead-lettered event carries (never the caller's token or the body's data).
ATTEMPTS = "x-attempts"
LAST_ERROR = "x-last-error"
ERROR = "x-error"
ORIGINAL_QUEUE = "x-original-queue"
EVENT_TYPE = "x-event-type"
DEAD_LETTERED_AT = "x-dead-lettered-at"
REPLAYED_AT = "x-replayed-at"
# The source's broker user, vouched for by the consumer that checked the event's `user_id` (§6).
FIRST_PUBLISHER = "x-first-publisher"


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
