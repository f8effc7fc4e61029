"""Activity (志愿服务活动): units plan activities with their approved pairing, complete them with a
report or cancel them; the service keeps a view of pairings from pairing's events."""
from services.common.rpc_queue import rpc

from services.common import clock, web
from services.common.auth import COMMITTEE, OPS, Auth, allow
from services.common.consumer import reliable_event_handler
from services.common.errors import require_found
from services.common.schemas import load
from services.common.storage import Storage

from . import domain
from .pairing_lookup import PairingLookup, pairing_to_plan_with
from .schemas import (
    ActivityIdArgs, CancelActivityArgs, CompleteActivityArgs, ListActivitiesArgs, PlanActivityArgs,
    UpdateActivityArgs)
from .store import ActivityStore


class ActivityService(web.Observable):
    name = "activity"

    auth = Auth()
    store = Storage(ActivityStore)
    pairings = PairingLookup()

    @rpc
    @allow(COMMITTEE, unit="own")
    def plan_activity(self, activity, request_id=None):
        args = load(PlanActivityArgs, {"activity": activity, "request_id": request_id})
        caller = self.auth.caller
        pairing = pairing_to_plan_with(self.store, self.pairings, caller, args["activity"]["pairing_id"])
        # request_id is scoped to the caller's unit (or the committee): another unit's reveals nothing.
        return self.store.plan(args["activity"], pairing, caller.recipient, args["request_id"], clock.now())

    @rpc
    @allow(COMMITTEE, unit="own")
    def update_activity(self, activity_id, changes):
        args = load(UpdateActivityArgs, {"activity_id": activity_id, "changes": changes})
        return self.store.revise(args["activity_id"], self.auth.caller, "activity_updated",
                                 lambda activity, now: domain.change(activity, args["changes"], now), clock.now())

    @rpc
    @allow(COMMITTEE, unit="own")
    def complete_activity(self, activity_id, report):
        args = load(CompleteActivityArgs, {"activity_id": activity_id, "report": report})
        return self.store.revise(args["activity_id"], self.auth.caller, "activity_completed",
                                 lambda activity, now: domain.complete(activity, args["report"], now), clock.now())

    @rpc
    @allow(COMMITTEE, unit="own")
    def cancel_activity(self, activity_id, reason):
        args = load(CancelActivityArgs, {"activity_id": activity_id, "reason": reason})
        return self.store.revise(args["activity_id"], self.auth.caller, "activity_cancelled",
                                 lambda activity, now: domain.cancel(activity, args["reason"], now), clock.now())

    @rpc
    @allow(COMMITTEE, OPS, unit="own")
    def get_activity(self, activity_id):
        args = load(ActivityIdArgs, {"activity_id": activity_id})
        activity = require_found(self.store.load_activity(args["activity_id"]), "活动")
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

    @reliable_event_handler("pairing", "pairing_reported")
    @reliable_event_handler("pairing", "pairing_withdrawn")
    @reliable_event_handler("pairing", "pairing_approved")
    @reliable_event_handler("pairing", "pairing_rejected")
    def on_pairing_changed(self, event):
        self.store.keep_pairing(event["data"], event["seq"])
