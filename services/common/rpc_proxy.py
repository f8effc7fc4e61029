"""`RpcProxy`: nameko's in-service RPC proxy with a reply queue that does not outlive its node.

nameko declares a caller's reply queue `rpc.reply-<service>-<uuid>` durable (a classic queue, with
a five-minute x-expires). On a RabbitMQ cluster a durable classic queue lives on one node; when
that node is lost the queue stays declared but unreachable ("home node ... is down"), so the
caller's consumer reconnects to another node and fails again every second until the lost node
returns, and no reply ever reaches the service. A transient queue is dropped with its node, and
the consumer declares it anew on the node it reconnects to (same name and routing key). Replies
to calls in flight at that moment are lost with the node: those calls time out and are retried.

`TimedRpcProxy` is the one a service calls another through: its calls give up after a timeout."""
import eventlet
from nameko import rpc
from nameko.exceptions import UnknownService

from .errors import Unauthenticated, Unavailable
from .settings import number
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


class NoAnswer(RuntimeError):
    """The service called did not answer in time, or is not running."""


def passed_on(remote_error, service):
    """What `service` answered that concerns the call rather than the record, as the caller's own
    error: `Unauthenticated` (the token expired between our check and its own) and `Unavailable`
    (its Redis or broker out of reach: retry with the same request_id, contract §3 v2). None for
    any other answer, which the caller maps itself."""
    if remote_error.exc_type == "Unauthenticated":
        return Unauthenticated("令牌已过期, 请重新登录(Token expired).")
    if remote_error.exc_type == "Unavailable":
        return Unavailable(f"{service} 服务暂时不可用, 请稍后用同一 request_id 重试"
                           f"({service} temporarily unavailable, retry).")
    return None


class TimedCalls:
    """A worker's proxy whose calls give up after `timeout` seconds (`NoAnswer`): nameko's in-service
    proxy waits for a reply without limit, and a stopped service must not hang the worker."""

    def __init__(self, proxy, service, timeout):
        self.proxy, self.service, self.timeout = proxy, service, timeout

    def __getattr__(self, method):
        def call(*args, **kwargs):
            try:
                with eventlet.Timeout(self.timeout):
                    return getattr(self.proxy, method)(*args, **kwargs)
            except eventlet.Timeout:
                raise NoAnswer(f"{self.service}.{method} gave no answer in {self.timeout:g}s") from None
            except UnknownService:
                raise NoAnswer(f"{self.service} is not running") from None
        return call


class TimedRpcProxy(RpcProxy):
    """`RpcProxy` whose calls are `TimedCalls`, the timeout read from the setting `timeout_setting`."""

    def __init__(self, target_service, timeout_setting, default_timeout=5, **options):
        super().__init__(target_service, **options)
        self.timeout_setting, self.default_timeout = timeout_setting, default_timeout

    def setup(self):
        super().setup()
        self.timeout = number(self.container.config, self.timeout_setting, self.default_timeout)

    def get_dependency(self, worker_ctx):
        return TimedCalls(super().get_dependency(worker_ctx), self.target_service, self.timeout)
