"""Activity (志愿服务活动): units plan activities with their approved pairing, complete them with a
report or cancel them; the service keeps a view of pairings from pairing's events, and refuses a
deactivated unit's writes once it has seen `unit_deactivated` (UnitStatus).

Each entrypoint loads its arguments with its schema, calls one use case (or read) and returns."""
from services.common.rpc import rpc

# Mixins by module: `nameko run` takes every class with entrypoints in this module's namespace for a service.
from services.common import units, web
from services.common.auth import COMMITTEE, OPS, Auth, allow
from services.common.consumer import handles
from services.common.errors import require_found
from services.common.calls import load_call
from services.common.schemas import load
from services.common.storage import Storage

from . import domain, usecases
from .pairing_lookup import PairingLookup
from .schemas import (
    ActivityIdArgs, CancelActivityArgs, CompleteActivityArgs, ListActivitiesArgs, PlanActivityArgs,
    UpdateActivityArgs)
from .store import ACTIVITY, ActivityStore


class ActivityService(units.UnitStatus, web.Observable):
    name = "activity"

    auth = Auth()
    store = Storage(ActivityStore)
    pairings = PairingLookup()

    @rpc
    @allow(COMMITTEE, unit="own")
    def plan_activity(self, activity, request_id=None):
        args, request = self._load("plan_activity", PlanActivityArgs, activity=activity, request_id=request_id)
        return usecases.plan_activity(self.store, self.pairings, self.auth.caller, args["activity"], request)

    # The three changes below start with their transaction (`Store.change`): the deactivated-unit
    # check goes with its first round trip (services.common.unit_check). plan_activity asks pairing
    # first, so its unit is checked at once.
    @rpc
    @allow(COMMITTEE, unit="own", deferred_unit_check=True)
    def update_activity(self, activity_id, changes, request_id=None):
        args, request = self._load("update_activity", UpdateActivityArgs, activity_id=activity_id, changes=changes,
                                   request_id=request_id)
        return usecases.update_activity(self.store, self.auth.caller, args["activity_id"], args["changes"], request)

    @rpc
    @allow(COMMITTEE, unit="own", deferred_unit_check=True)
    def complete_activity(self, activity_id, report, request_id=None):
        args, request = self._load("complete_activity", CompleteActivityArgs, activity_id=activity_id, report=report,
                                   request_id=request_id)
        return usecases.complete_activity(self.store, self.auth.caller, args["activity_id"], args["report"], request)

    @rpc
    @allow(COMMITTEE, unit="own", deferred_unit_check=True)
    def cancel_activity(self, activity_id, reason, request_id=None):
        args, request = self._load("cancel_activity", CancelActivityArgs, activity_id=activity_id, reason=reason,
                                   request_id=request_id)
        return usecases.cancel_activity(self.store, self.auth.caller, args["activity_id"], args["reason"], request)

    @rpc
    @allow(COMMITTEE, OPS, unit="own")
    def get_activity(self, activity_id):
        args = load(ActivityIdArgs, {"activity_id": activity_id})
        activity = require_found(self.store.load_activity(args["activity_id"]), ACTIVITY)
        self.auth.caller.require_owner(unit=activity["unit_code"])
        return domain.visible(activity, self.auth.caller.sees_personal_data(activity["unit_code"]))

    @rpc
    @allow(COMMITTEE, OPS, unit="own")
    def list_activities(self, campaign_id=None, unit_code=None, status=None, limit=50, cursor=None):
        args = load(ListActivitiesArgs, {"campaign_id": campaign_id, "unit_code": unit_code, "status": status,
                                         "limit": limit, "cursor": cursor})
        caller = self.auth.caller
        unit_code, _ = caller.scope(unit_code=args["unit_code"])
        page = self.store.page(args["campaign_id"], unit_code, args["status"], args["limit"], args["cursor"])
        items = [domain.visible(a, caller.sees_personal_data(a["unit_code"])) for a in page["items"]]
        return {**page, "items": items}

    @handles("pairing", "pairing_reported", "pairing_withdrawn", "pairing_approved", "pairing_rejected")
    def on_pairing_changed(self, event):
        usecases.keep_pairing(self.store, event["data"], event["seq"])

    def _load(self, method, schema, **arguments):
        return load_call(method, schema, self.auth.caller, arguments)
