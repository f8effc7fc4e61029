"""Readiness (issue 15): of two instances of a service, the one cut off from its Redis stops
consuming its event queues and steps back from its RPC queue (a lower consumer priority), so the
other takes all the work, and resumes by itself once its Redis is back; an instance alone without
its Redis answers calls `Unavailable` at once. The cut-off instance's Redis is a redis-server of its
own that the test stops and starts again on the same port."""
from kombu import Connection

from services.common import amqp_names
from tests.helpers import free_port, remote_error, wait_until
from tests.service.probe import ProbeConsumer, ProbeService

RPC_QUEUE = "rpc-probe"
EVENT_QUEUE = amqp_names.consumer_queue_name("probe", "thing_made", "probeconsumer", "on_thing")
THING = {"unit_code": "U001", "title": "慰问"}


def consumers(amqp_uri, queue):
    with Connection(amqp_uri) as connection:
        return connection.default_channel.queue_declare(queue, passive=True)[2]


def consuming(amqp_uri, count):
    """Whether `count` instances consume the RPC queue and the event queue."""
    return consumers(amqp_uri, RPC_QUEUE) == count and consumers(amqp_uri, EVENT_QUEUE) == count


def rpc_priorities(rabbit_manager, vhost):
    """The consumer priority of each consumer of the RPC queue, 0 where none was given."""
    details = rabbit_manager.get_queue(vhost, RPC_QUEUE).get("consumer_details", [])
    return sorted(consumer["arguments"].get("x-priority", 0) for consumer in details)


def test_an_instance_without_its_redis_steps_back_and_resumes_when_it_is_back(
        start_service, service_config, rabbit_config, rabbit_manager, throwaway_redis, rpc, redis_client):
    amqp_uri = service_config["AMQP_URI"]
    start_service(ProbeService)
    start_service(ProbeConsumer)
    cut_off = {"REDIS_URL": throwaway_redis.url}
    start_service(ProbeService, WEB_SERVER_ADDRESS=f"127.0.0.1:{free_port()}", **cut_off)
    start_service(ProbeConsumer, **cut_off)
    wait_until(lambda: consuming(amqp_uri, 2), message="two instances consuming each queue")

    throwaway_redis.stop()
    wait_until(lambda: consumers(amqp_uri, EVENT_QUEUE) == 1, message="the cut-off instance to stop taking events")
    # Its RPC consumer is still there, behind the other's: every call goes to the instance with its
    # Redis (taken in turns, about half would be Unavailable).
    wait_until(lambda: rpc_priorities(rabbit_manager, rabbit_config["vhost"]) == [-1, 0], timeout=20,
               message="the cut-off instance's RPC consumer to step back")
    made = [rpc().probe.make_thing(THING) for _ in range(8)]
    assert len({thing["id"] for thing in made}) == 8
    wait_until(lambda: redis_client.hlen("probeconsumer:effects") == 8,
               message="every event handled by the instance that has its Redis")

    throwaway_redis.start()
    wait_until(lambda: consuming(amqp_uri, 2), message="the instances back on their Redis to consume again")
    wait_until(lambda: rpc_priorities(rabbit_manager, rabbit_config["vhost"]) == [0, 0], timeout=20,
               message="the instance back on its Redis to take calls in turn again")


def test_an_instance_alone_without_its_redis_answers_calls_unavailable_and_leaves_events_queued(
        start_service, service_config, throwaway_redis, rpc):
    # One instance, or every instance on one Redis that is down: nobody else could take the calls,
    # so they are answered Unavailable at once (contract §3) instead of timing out; events wait.
    amqp_uri = service_config["AMQP_URI"]
    cut_off = {"REDIS_URL": throwaway_redis.url}
    start_service(ProbeService, **cut_off)
    start_service(ProbeConsumer, **cut_off)
    wait_until(lambda: consuming(amqp_uri, 1), message="the instance consuming each queue")

    throwaway_redis.stop()
    wait_until(lambda: consumers(amqp_uri, EVENT_QUEUE) == 0, message="the event consumer to pause")
    error = remote_error(lambda: rpc().probe.make_thing(THING))
    assert error.exc_type == "Unavailable"
    assert consumers(amqp_uri, RPC_QUEUE) == 1

    throwaway_redis.start()
    wait_until(lambda: consuming(amqp_uri, 1), message="both queues consumed again")
    assert rpc().probe.make_thing(THING)["title"] == THING["title"]
