"""Activity (志愿服务活动): units plan activities with their approved pairing, complete them with a
report or cancel them; the service keeps a view of pairings from pairing's events."""
import uuid

from nameko.rpc import rpc

from services.common import clock, web
from services.common.auth import COMMITTEE, OPS, Auth, allow
from services.common.consumer import reliable_event_handler
from services.common.errors import NotFound
from services.common.schemas import load
from services.common.storage import Storage

from . import domain
from .pairings import PairingLookup, pairing_to_plan_with
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
        pairing = pairing_to_plan_with(self.store, self.pairings, self.auth.caller, args["activity"]["pairing_id"])
        # Scoped to the caller's unit (or the committee): another unit's request_id reveals nothing.
        method = f"plan_activity:{self.auth.caller.recipient}"

        def work(tx):
            earlier = tx.remembered(method, args["request_id"])
            if earlier:
                return tx.get(self.store.activity_key(earlier))
            self.store.record_pairing(tx, pairing, pairing["seq"])
            record = domain.plan(args["activity"], pairing, uuid.uuid4().hex, clock.now())
            self.store.add_activity(tx, record)
            tx.remember(method, args["request_id"], record["id"])
            tx.emit("activity_planned", record["id"], record["revision"], domain.published(record))
            return record

        return self.store.transact(work)

    @rpc
    @allow(COMMITTEE, unit="own")
    def update_activity(self, activity_id, changes):
        args = load(UpdateActivityArgs, {"activity_id": activity_id, "changes": changes})
        return self._revise(args["activity_id"], "activity_updated",
                            lambda activity, now: domain.change(activity, args["changes"], now))

    @rpc
    @allow(COMMITTEE, unit="own")
    def complete_activity(self, activity_id, report):
        args = load(CompleteActivityArgs, {"activity_id": activity_id, "report": report})
        return self._revise(args["activity_id"], "activity_completed",
                            lambda activity, now: domain.complete(activity, args["report"], now))

    @rpc
    @allow(COMMITTEE, unit="own")
    def cancel_activity(self, activity_id, reason):
        args = load(CancelActivityArgs, {"activity_id": activity_id, "reason": reason})
        return self._revise(args["activity_id"], "activity_cancelled",
                            lambda activity, now: domain.cancel(activity, args["reason"], now))

    @rpc
    @allow(COMMITTEE, OPS, unit="own")
    def get_activity(self, activity_id):
        args = load(ActivityIdArgs, {"activity_id": activity_id})
        activity = self._owned(self.store.load_activity(args["activity_id"]))
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
        self.store.transact(lambda tx: self.store.record_pairing(tx, event["data"], event["seq"]))

    def _owned(self, activity):
        if activity is None:
            raise NotFound("活动不存在(Unknown activity).")
        self.auth.caller.require_owner(unit=activity["unit_code"])
        return activity

    def _revise(self, activity_id, event_type, change):
        """Apply `change(activity, now)` to an activity of the caller's, store it and announce it."""
        def work(tx):
            activity = self._owned(tx.get(self.store.activity_key(activity_id)))
            revised = change(activity, clock.now())
            self.store.replace_activity(tx, revised)
            tx.emit(event_type, revised["id"], revised["revision"], domain.published(revised))
            return revised

        return self.store.transact(work)
