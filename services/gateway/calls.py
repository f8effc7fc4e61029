"""Calling a service's RPC for an HTTP request and mapping how it ended (contract §7): the result,
the service's own error, no answer within GATEWAY_RPC_TIMEOUT (504), or no broker / no such
service running (503). nameko's in-service RpcProxy waits forever, hence the eventlet timeout."""
import eventlet
from nameko.exceptions import IncorrectSignature, MethodNotFound, RemoteError, UnknownService

from services.common.rpc import MAX_DEPTH, OUTAGES, nesting_depth

from . import problems

DEFAULT_TIMEOUT = 30.0
# No RPC has an argument of this name (it is the service instance), and nameko's MethodProxy could not
# even send one: its `__call__(self, *args, **kwargs)` would raise TypeError, a 500 for plain input.
INSTANCE = "self"


def call(proxy, method, arguments, timeout):
    if INSTANCE in arguments:
        raise problems.invalid({INSTANCE: [problems.UNKNOWN_ARGUMENT]})
    if nesting_depth(arguments) > MAX_DEPTH:
        # The service refuses such a request anyway (services.common.rpc); one nested nearly as deep
        # as the JSON parser goes could not even be encoded for the call (a RecursionError in kombu).
        raise problems.invalid({"_schema": ["嵌套层次过深(Nested too deeply)."]})
    timer = eventlet.Timeout(timeout)
    try:
        return getattr(proxy, method)(**arguments)
    except eventlet.Timeout as expired:
        if expired is not timer:
            raise
        raise problems.Problem(504, "Timeout", "服务未在规定时间内答复, 可用同一 Idempotency-Key 重试(Timeout).") from None
    except RemoteError as err:
        raise problems.from_remote(err) from None
    except IncorrectSignature as err:  # nameko raises these two as themselves, not as RemoteError
        raise problems.invalid(problems.signature_errors(str(err))) from None
    except MethodNotFound:
        raise problems.not_found("没有这个方法(No such method).") from None
    except UnknownService:
        raise problems.unavailable("服务暂未运行, 请稍后重试(Service not running).") from None
    except OUTAGES:
        raise problems.unavailable("消息总线暂不可用, 请稍后重试(Broker unavailable).") from None
    finally:
        timer.cancel()
