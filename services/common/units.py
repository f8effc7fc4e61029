"""`UnitStatus`: a service mixin that refuses a deactivated unit's tokens (contract §3 v2).

Key: `<service>:units:deactivated`, a set of unit codes, filled from pairing's `unit_deactivated`
(there is no reactivation). Once a service has seen the event, `@allow` answers every state-changing
method called with that unit's token with `Forbidden` ("单位已停用"); reads stay open, so a unit
can still see its history. pairing refuses at once from its own records. For a method declared
`@allow(..., deferred_unit_check=True)` the check costs no round trip of its own: it goes with the
call's first transaction (`services.common.unit_check`)."""
from .auth import UNIT
from .consumer import handles
from .storage import Storage
from .store import Store

DEACTIVATED = ("units", "deactivated")


class UnitStatus:
    unit_status = Storage(Store)

    @handles("pairing", "unit_deactivated")
    def on_unit_deactivated(self, event):
        key = self.unit_status.key(*DEACTIVATED)
        code = event["data"]["code"]
        self.unit_status.transact(lambda tx: tx.write(lambda pipe: pipe.sadd(key, code)))

    def check_unit_active(self, caller, deferred):
        """Called by `@allow` for state-changing methods, after the role check: a unit's check now,
        or (`deferred`) with the call's first transaction; the check still pending, if any."""
        if caller.role != UNIT:
            return None
        check = self.unit_status.unit_check
        check.defer(self.unit_status.client, self.unit_status.key(*DEACTIVATED), caller.unit)
        if deferred:
            return check
        check.settle()
        return None
