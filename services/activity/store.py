"""Activity's keys in Redis (prefix `activity:`).

- `activity:activity:<id>`: the activity record;
- `activity:index:all`, `activity:index:unit:<code>`, `activity:index:campaign:<id>`,
  `activity:index:campaign:<id>:unit:<code>`: newest-first list indexes (services.common.listing);
- `activity:pairing:<id>`: this service's view of a pairing (`domain.pairing_view`), fed by pairing's
  events and by `pairing.get_pairing`, newest `seq` wins;
- `activity:request:plan_activity:<requester>:<request_id>`: the activity a `plan_activity` created.

Each state change is one transaction here (`Store.transact`): its reads, its checks, its writes and
its events, all or nothing."""
import uuid

from services.common import listing
from services.common.errors import require_found
from services.common.store import Store

from . import domain


class ActivityStore(Store):
    def activity_key(self, activity_id):
        return self.key("activity", activity_id)

    def pairing_key(self, pairing_id):
        return self.key("pairing", pairing_id)

    def index_key(self, campaign_id=None, unit_code=None):
        parts = ["index"]
        if campaign_id is not None:
            parts += ["campaign", campaign_id]
        if unit_code is not None:
            parts += ["unit", unit_code]
        return self.key(*(parts if len(parts) > 1 else parts + ["all"]))

    def load_activity(self, activity_id):
        return self.load(self.activity_key(activity_id))

    def load_pairing(self, pairing_id):
        return self.load(self.pairing_key(pairing_id))

    def plan(self, fields, pairing, requester, request_id, now):
        """A planned activity with `pairing` (a view owned by the caller), announced, the view kept in
        the same transaction. A `request_id` the same `requester` (the caller's unit, or the
        committee) used before returns the activity that call created, as it is now."""
        method = f"plan_activity:{requester}"

        def work(tx):
            earlier = tx.remembered(method, request_id)
            if earlier:
                return tx.get(self.activity_key(earlier))
            self.record_pairing(tx, pairing, pairing["seq"])
            activity = domain.plan(fields, pairing, uuid.uuid4().hex, now)
            self._add_activity(tx, activity)
            tx.remember(method, request_id, activity["id"])
            tx.emit("activity_planned", activity["id"], activity["revision"], domain.published(activity))
            return activity

        return self.transact(work)

    def revise(self, activity_id, caller, event_type, change, now):
        """`change(activity, now)` applied to an activity `caller` owns, stored and announced as
        `event_type`. Found and owned are checked before `change` runs, and before any write."""
        def work(tx):
            activity = require_found(tx.get(self.activity_key(activity_id)), "活动")
            caller.require_owner(unit=activity["unit_code"])
            revised = change(activity, now)
            tx.put(self.activity_key(revised["id"]), revised)
            tx.emit(event_type, revised["id"], revised["revision"], domain.published(revised))
            return revised

        return self.transact(work)

    def keep_pairing(self, pairing, seq):
        """The view of a pairing as one of pairing's events tells it (see `record_pairing`)."""
        self.transact(lambda tx: self.record_pairing(tx, pairing, seq))

    def _add_activity(self, tx, activity):
        tx.put(self.activity_key(activity["id"]), activity)
        campaign, unit = activity["campaign_id"], activity["unit_code"]
        indexes = [self.index_key(), self.index_key(unit_code=unit), self.index_key(campaign_id=campaign),
                   self.index_key(campaign, unit)]
        tx.write(lambda pipe: [listing.add(pipe, index, activity) for index in indexes])

    def record_pairing(self, tx, pairing, seq):
        """Keep `pairing` at `seq` unless a view at the same or a later seq is already kept."""
        key = self.pairing_key(pairing["id"])
        if domain.is_newer(seq, tx.get(key)):
            tx.put(key, domain.pairing_view(pairing, seq))

    def page(self, campaign_id, unit_code, status, limit, cursor):
        keep = None if status is None else (lambda activity: activity["status"] == status)
        return listing.page(self, self.index_key(campaign_id, unit_code), self.activity_key, limit, cursor, keep)
