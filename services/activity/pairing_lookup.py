"""Whether a pairing is approved, as this service can know it at once after `review_pairing`
returned: its own view fed by pairing's events, and, when that view is missing or not yet
approved, `pairing.get_pairing` asked in the caller's name (context and token propagate)."""
import eventlet
from nameko.exceptions import RemoteError, UnknownService
from nameko.rpc import RpcProxy

from services.common.errors import Forbidden, NotFound
from services.common.settings import number

from . import domain

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


def pairing_to_plan_with(store, client, caller, pairing_id):
    """The view of `pairing_id` to plan with, owned by the caller (approval is checked by `domain.plan`)."""
    known = store.load_pairing(pairing_id)
    if known is not None:
        caller.require_owner(unit=known["unit_code"])
        if known["status"] == domain.APPROVED:
            return known
    pairing = client.get(pairing_id)
    caller.require_owner(unit=pairing["unit_code"])
    # A record without a revision never hides an event: any event's seq is newer than 0.
    return domain.pairing_view(pairing, pairing.get("revision", 0))
