"""The deactivated-unit check of one state-changing call (contract §3 v2), for a method declared
`@allow(..., deferred_unit_check=True)`: sent with the call's first Redis round trip instead of
costing one of its own (a leaf module).

Such a method's first Redis command and first outside work must be its transaction (`Store.change`
or `create` of the worker's stores). `@allow` defers the check (`units.UnitStatus`); the first
transaction sends it with its WATCH and reads and refuses there, before the work decides anything,
so no change of a deactivated unit commits. A call that fails before a transaction, or runs none,
has it made before its outcome is given: a deactivated unit gets `Forbidden`, never another
error. Every other state-changing method is checked at once, before it does anything."""
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
