"""Classic queues of an earlier deployment to quorum queues, without losing a message:

    python -m services.ops migrate-queues          (services stopped; AMQP_URI's user: administrator)

Every project queue that exists with other arguments than `amqp_names.quorum` (a classic queue)
is moved: a quorum holding queue `<name>.migrating` takes the queue's bindings, the queue loses
them (from then on new messages reach only the holding queue), its messages are copied one by one
(published with a confirm, then acked) into the holding queue, the emptied queue is deleted and
declared again as a quorum queue with its bindings, and the holding queue's messages are copied
back the same way. A crash at any step leaves every message in one of the two queues (a message
copied but not yet acked may be in both: handlers ignore a second delivery); run it again.
Messages keep their properties, `user_id` included, which RabbitMQ allows only to a user tagged
`impersonator` (`rabbitmqctl set_user_tags <admin> administrator impersonator`); without the tag
the broker refuses the first such copy and the command stops with the message still in place."""
from amqp.exceptions import NotFound, PreconditionFailed
from kombu import Connection, Queue

from services.common.amqp_names import quorum
from services.common.topology import entities

HOLDING = "{}.migrating"


def bindings_of(queue, channel):
    """(exchange name, routing key) of each binding, its exchange declared (an earlier deployment
    may lack one that today's topology adds)."""
    pairs = [(binding.exchange, binding.routing_key) for binding in queue.bindings] or [
        (queue.exchange, queue.routing_key)]
    for exchange, _ in pairs:
        exchange(channel).declare()
    return [(exchange.name, routing_key) for exchange, routing_key in pairs]


def outdated(connection, queue):
    """True when `queue` exists with other arguments than the ones it is declared with now."""
    channel = connection.channel()
    try:
        channel.queue_declare(queue.name, passive=True)
    except NotFound:
        return False
    try:
        channel.queue_declare(queue.name, durable=True, auto_delete=False, arguments=queue.queue_arguments)
    except PreconditionFailed:
        return True
    channel.close()
    return False


def move(channel, source, target):
    """Copy every message of `source` to `target` (confirmed before its ack); how many moved."""
    moved = 0
    while (message := channel.basic_get(source)) is not None:
        properties = dict(message.properties)
        # The quorum queue's own count: the broker sets it, and fails a publish that carries one.
        headers = {key: value for key, value in (properties.pop("application_headers", None) or {}).items()
                   if key != "x-delivery-count"}
        channel.basic_publish_confirm(channel.prepare_message(
            message.body, properties.pop("priority", None), properties.pop("content_type", None),
            properties.pop("content_encoding", None), headers, properties),
            exchange="", routing_key=target)
        channel.basic_ack(message.delivery_tag)
        moved += 1
    return moved


def migrate(connection, queue):
    channel = connection.channel()
    holding = HOLDING.format(queue.name)
    channel.queue_declare(holding, durable=True, auto_delete=False, arguments=quorum())
    bindings = bindings_of(queue, channel)
    for exchange, routing_key in bindings:
        channel.queue_bind(holding, exchange, routing_key)
        channel.queue_unbind(queue.name, exchange, routing_key)
    moved = move(channel, queue.name, holding)
    channel.queue_delete(queue.name, if_empty=True)
    # A new channel: RabbitMQ 3.10's channel keeps the deleted classic queue's state under the
    # name and fails (INTERNAL_ERROR) when it routes to the quorum queue declared in its place.
    channel.close()
    channel = connection.channel()
    queue(channel).declare()
    for exchange, routing_key in bindings:
        channel.queue_unbind(holding, exchange, routing_key)
    move(channel, holding, queue.name)
    # Quorum queues refuse `if_empty`: counted instead (nothing routes to it any more).
    if channel.queue_declare(holding, passive=True).message_count == 0:
        channel.queue_delete(holding)
    channel.close()
    return moved


def migrate_all(amqp_uri, service_classes, delays):
    lines = []
    with Connection(amqp_uri, connect_timeout=5) as connection:
        for queue in entities(service_classes, delays):
            if isinstance(queue, Queue) and outdated(connection, queue):
                lines.append(f"{queue.name}: quorum queue, {migrate(connection, queue)} messages moved")
    return lines or ["every project queue is already a quorum queue"]
