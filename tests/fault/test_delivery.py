"""At-least-once delivery seen from outside: duplicates, late consumers, no credentials on the bus."""
import json

from services.common.events import make_event
from services.common.outbox import Bus
from tests.fault.support import CONSUMER, PRODUCER, beats, effects
from tests.helpers import EventListener, wait_until


def deliveries(consumer):
    return (consumer.metric("leifeng_events_handled_total")
            + consumer.metric("leifeng_events_duplicate_total"))


def test_the_same_event_delivered_twice_has_one_effect(cluster, fault_redis):
    consumer = cluster.start(CONSUMER)
    event = make_event("faultproducer", "beat", "beat-0", 1, {"n": 0, "poison": False})
    bus = Bus(cluster.service_uris[PRODUCER])  # as the producer's own broker user
    bus.publish(event)
    bus.publish(event)  # handled side by side with the first copy
    wait_until(lambda: deliveries(consumer) == 2, message="both copies taken")
    bus.publish(event)  # long after the first
    wait_until(lambda: deliveries(consumer) == 3, message="the third copy taken")
    assert effects(fault_redis) == {event["event_id"]: 1}
    assert consumer.metric("leifeng_events_duplicate_total") >= 1


def test_a_consumer_started_after_the_events_were_published_gets_them_all(cluster, fault_redis):
    cluster.start(PRODUCER)
    event_ids = cluster.rpc().faultproducer.emit(20)
    assert len(set(event_ids)) == 20
    cluster.start(CONSUMER)
    wait_until(lambda: len(effects(fault_redis)) == 20, message="20 effects")
    assert effects(fault_redis) == {event_id: 1 for event_id in event_ids}


def test_no_message_on_the_bus_carries_the_callers_token(cluster, fault_redis):
    listener = EventListener(cluster.amqp_uri, "faultproducer")
    try:
        cluster.start(PRODUCER)
        event_ids = cluster.rpc().faultproducer.emit(3)
        messages = wait_until(lambda: len(listener.drain()) == 3 and listener.received, message="3 events")
    finally:
        listener.close()
    assert [message["body"]["event_id"] for message in messages] == event_ids
    assert sorted(beats(fault_redis).values()) == sorted(event_ids)
    for message in messages:
        raw = json.dumps(message, default=str)
        assert "auth_token" not in raw and cluster.token not in raw
        assert not any(key.startswith("nameko.") for key in message["headers"])
