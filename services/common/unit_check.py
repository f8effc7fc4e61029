"""The deactivated-unit check of one state-changing call (contract §3 v2), sent with the call's
first Redis round trip instead of costing one of its own (a leaf module).

`@allow` defers it (`units.UnitStatus.check_unit_active`); the call's stores send it with their
first transaction's WATCH and reads (`Store._attempt`) and refuse there, before the work reads or
decides anything, so no change of a deactivated unit commits. A call that ends before any
transaction (its input refused, an error) or runs none has it settled by `@allow` before its
outcome is given: a deactivated unit gets `Forbidden` before any other error, as before.

Every state change of a method a unit may call goes through a transaction of the worker's stores
(`Storage`), which is what makes deferring safe; the permission tests call each such method with a
deactivated unit and check that nothing changed."""
from .errors import Forbidden

DEACTIVATED = "单位已停用(Unit deactivated)."


class UnitCheck:
    """Kept on the worker and shared by its stores; holds neither (no reference cycle)."""

    def __init__(self):
        self.client = None
        self.asked = None  # ("SISMEMBER", key, unit code) while the call's check is still to be made

    @classmethod
    def of_worker(cls, worker_ctx):
        return worker_ctx.__dict__.setdefault("leifeng_unit_check", cls())

    def defer(self, client, key, code):
        self.client, self.asked = client, ("SISMEMBER", key, code)

    def judge(self, deactivated):
        """The check's answer (SISMEMBER's reply): `Forbidden` for a deactivated unit."""
        self.asked = None
        if deactivated:
            raise Forbidden(DEACTIVATED)

    def settle(self):
        """Make the check now (one round trip) if no transaction has made it."""
        if self.asked is not None:
            _, key, code = self.asked
            self.judge(self.client.sismember(key, code))
