"""`PairingLookup`: `pairing.get_pairing` asked in the caller's name (context and token propagate),
with a timeout, its errors mapped to this service's (see `usecases.pairing_to_plan_with`)."""
import eventlet
from nameko.exceptions import RemoteError, UnknownService

from services.common.errors import Forbidden, NotFound
from services.common.rpc_proxy import RpcProxy
from services.common.settings import number

DEFAULT_TIMEOUT = 5


class PairingUnavailable(RuntimeError):
    """pairing did not answer in time or failed: the caller gets an InternalError reference."""


class PairingClient:
    def __init__(self, proxy, timeout):
        self.proxy = proxy
        self.timeout = timeout

    def get(self, pairing_id):
        # The in-service RpcProxy waits forever for a reply; a stopped pairing must not hang us.
        try:
            with eventlet.Timeout(self.timeout):
                return self.proxy.get_pairing(pairing_id)
        except eventlet.Timeout:
            raise PairingUnavailable(f"pairing.get_pairing gave no answer in {self.timeout:g}s") from None
        except UnknownService:
            raise PairingUnavailable("pairing is not running") from None
        except RemoteError as err:
            if err.exc_type in ("NotFound", "ValidationError"):
                raise NotFound("结对不存在(Unknown pairing).") from None
            if err.exc_type == "Forbidden":
                raise Forbidden("不能为其他单位的结对安排活动(Not your pairing).") from None
            raise PairingUnavailable(f"pairing.get_pairing failed with {err.exc_type}") from None


class PairingLookup(RpcProxy):
    def __init__(self):
        super().__init__("pairing")

    def setup(self):
        super().setup()
        self.timeout = number(self.container.config, "PAIRING_RPC_TIMEOUT", DEFAULT_TIMEOUT)

    def get_dependency(self, worker_ctx):
        return PairingClient(super().get_dependency(worker_ctx), self.timeout)
