"""The one RPC entrypoint on a cluster: its queue is a quorum queue and a write no Redis replica
confirmed is `Unavailable` (issue 14 with the guard of services.common.rpc)."""
from types import SimpleNamespace

from services.common.amqp_names import quorum
from services.common.errors import Unavailable
from services.common.redis_ha import NotReplicated
from services.common.rpc import GuardedRpcConsumer, answer_for


def test_the_guarded_consumer_declares_rpc_service_as_a_quorum_queue():
    registered = []
    consumer = GuardedRpcConsumer()
    consumer.container = SimpleNamespace(service_name="pairing", config={})
    consumer.queue_consumer = SimpleNamespace(register_provider=registered.append)
    consumer.setup()
    assert (consumer.queue.name, consumer.queue.routing_key) == ("rpc-pairing", "pairing.*")
    assert consumer.queue.queue_arguments == quorum()
    assert registered == [consumer]


def test_a_write_no_replica_confirmed_is_unavailable_not_internal():
    assert isinstance(answer_for(NotReplicated("0 of 1 replicas in 1000 ms"), "pairing.create_campaign"), Unavailable)
