"""`RpcProxy`: nameko's in-service RPC proxy with a reply queue that does not outlive its node.

nameko declares a caller's reply queue `rpc.reply-<service>-<uuid>` durable (a classic queue, with
a five-minute x-expires). On a RabbitMQ cluster a durable classic queue lives on one node; when
that node is lost the queue stays declared but unreachable ("home node ... is down"), so the
caller's consumer reconnects to another node and fails again every second until the lost node
returns, and no reply ever reaches the service. A transient queue is dropped with its node, and
the consumer declares it anew on the node it reconnects to (same name and routing key). Replies
to calls in flight at that moment are lost with the node: those calls time out and are retried."""
from nameko import rpc

from .steady_consumer import SteadyQueueConsumer


class TransientReplyListener(rpc.ReplyListener):
    queue_consumer = SteadyQueueConsumer()

    def setup(self):
        super().setup()
        # Read when the consumer declares the queue (after setup, and again on each reconnection).
        self.queue.durable = False


class RpcProxy(rpc.RpcProxy):
    rpc_reply_listener = TransientReplyListener()

    def worker_teardown(self, worker_ctx):
        """Let go of the worker's proxy once the worker is over: nameko's proxy holds its worker,
        which holds the service instance holding the proxy, a reference cycle that would leave each
        call's objects to the garbage collector instead of freeing them at once."""
        setattr(worker_ctx.service, self.attr_name, None)
