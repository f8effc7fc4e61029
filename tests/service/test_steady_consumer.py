"""A queue consumer whose connection py-amqp has marked broken, as a worker's failed ack marks it
when a broker node goes, sets its consumers up again on a new connection and goes on consuming
(services.common.steady_consumer). kombu alone would quietly drain a new connection that carries
none of them, and the queue would never be read again: these tests fail that way without it."""
from services.common.consumer import RawEventConsumer
from services.common.events import make_event
from services.common.rpc import GuardedQueueConsumer
from services.common.steady_consumer import SteadyQueueConsumer
from tests.helpers import publish_envelope, wait_until
from tests.service.probe import ProbeConsumer, ProbeService

THING = {"unit_code": "U001", "title": "慰问"}


def queue_consumer(container, kind):
    return next(extension for extension in container.extensions if type(extension) is kind)


def break_under(consumer):
    """Mark the consumers' connection broken as py-amqp does after a failed write; wait for new ones."""
    broken = consumer.consumers_on
    broken.transport.connected = False
    wait_until(lambda: consumer.consumers_on not in (None, broken), message="the consumers set up again")


def test_an_event_consumer_whose_connection_broke_under_it_consumes_again(
        start_service, service_config, redis_client):
    break_under(queue_consumer(start_service(ProbeConsumer), RawEventConsumer))
    event = publish_envelope(service_config["AMQP_URI"], make_event(
        "probe", "thing_made", "t1", 1, {"id": "t1", "unit_code": "U001"}))
    wait_until(lambda: redis_client.hget("probeconsumer:effects", event["event_id"]) == "1",
               message="the event handled")


def test_an_rpc_consumer_whose_connection_broke_under_it_answers_again(start_service, rpc):
    break_under(queue_consumer(start_service(ProbeService), GuardedQueueConsumer))
    assert rpc(timeout=10).probe.make_thing(THING)["title"] == "慰问"


def test_an_in_service_proxy_whose_reply_connection_broke_under_it_gets_replies_again(start_service, rpc):
    break_under(queue_consumer(start_service(ProbeService), SteadyQueueConsumer))  # its reply listener's
    mine = rpc(timeout=10).probe.ask_myself()
    assert mine["nested"] == mine["mine"]
