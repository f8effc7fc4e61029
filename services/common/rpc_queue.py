"""`@rpc`: nameko's RPC entrypoint on a quorum `rpc-<service>` queue.

nameko declares its RPC queue as a classic queue with no arguments; a queue's arguments cannot
differ between declarations, so every RPC method of a service (and the topology step) must use
this one (`amqp_names.rpc_queue`)."""
from nameko import rpc as nameko_rpc

from . import amqp_names


class QuorumRpcConsumer(nameko_rpc.RpcConsumer):
    def setup(self):
        if self.queue is None:
            self.queue = amqp_names.rpc_queue(self.container.service_name,
                                              nameko_rpc.get_rpc_exchange(self.container.config))
            self.queue_consumer.register_provider(self)
            self._registered = True


class Rpc(nameko_rpc.Rpc):
    rpc_consumer = QuorumRpcConsumer()


rpc = Rpc.decorator
