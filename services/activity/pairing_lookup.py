"""`PairingLookup`: `pairing.get_pairing` asked in the caller's name (context and token propagate),
with a timeout (PAIRING_RPC_TIMEOUT), its errors mapped to this service's (see
`usecases.pairing_to_plan_with`)."""
from nameko.exceptions import RemoteError

from services.common.errors import Forbidden, NotFound
from services.common.rpc_proxy import NoAnswer, TimedRpcProxy, passed_on


class PairingUnavailable(RuntimeError):
    """pairing did not answer in time, is not running or failed unexpectedly: the caller gets an
    InternalError reference."""


class PairingClient:
    def __init__(self, calls):
        self.calls = calls

    def get(self, pairing_id):
        try:
            return self.calls.get_pairing(pairing_id)
        except NoAnswer as err:
            raise PairingUnavailable(str(err)) from None
        except RemoteError as err:
            if err.exc_type in ("NotFound", "ValidationError"):
                raise NotFound("结对不存在(Unknown pairing).") from None
            if err.exc_type == "Forbidden":
                raise Forbidden("不能为其他单位的结对安排活动(Not your pairing).") from None
            unexpected = PairingUnavailable(f"pairing.get_pairing failed with {err.exc_type}")
            raise passed_on(err, "pairing") or unexpected from None


class PairingLookup(TimedRpcProxy):
    def __init__(self):
        super().__init__("pairing", "PAIRING_RPC_TIMEOUT")

    def get_dependency(self, worker_ctx):
        return PairingClient(super().get_dependency(worker_ctx))
