"""Activity's keys in Redis (prefix `activity:`), its saves and its reads; the rules are in
domain.py and the order of each state change in usecases.py.

    activity:<id>                                the activity (JSON)
    index:all, index[:campaign:<id>][:unit:<code>][:status:<s>]
                                                 newest-first list indexes (services.common.listing),
                                                 one per combination of filters; the ones with a
                                                 status are new in v2: `backfill_indexes` adds them
    pairing:<id>                                 this service's view of a pairing (records.PairingView),
                                                 fed by pairing's events and `pairing.get_pairing`,
                                                 newest `seq` wins
    request:<method>:<scope>:<request id>        the activity a request made or changed and the
                                                 result it returned, with a digest of its
                                                 arguments (30 days)
"""
from services.common import listing
from services.common.projection import is_newer
from services.common.store import Store

from . import domain

ACTIVITY = "活动"


class ActivityStore(Store):
    def activity_key(self, activity_id):
        return self.key("activity", activity_id)

    def pairing_key(self, pairing_id):
        return self.key("pairing", pairing_id)

    def index_key(self, *filters):
        return self.key("index", *filters) if filters else self.key("index", "all")

    def indexes(self, activity):
        return listing.indexes(self.index_key, activity_filters(activity))

    def published(self, record):
        """Events go to every department's system: the activity as ops sees it."""
        return domain.published(record)

    def load_activity(self, activity_id):
        return self.load(self.activity_key(activity_id))

    def load_pairing(self, pairing_id):
        return self.load(self.pairing_key(pairing_id))

    def page(self, campaign_id, unit_code, status, limit, cursor):
        index = listing.filtered(self.index_key, {"campaign": campaign_id, "unit": unit_code, "status": status})
        return listing.page(self, index, self.activity_key, limit, cursor)

    def save_activity(self, tx, activity, before=None):
        """An activity and the indexes it is listed in (`Store.create`'s and `Store.change`'s save)."""
        tx.put(self.activity_key(activity["id"]), activity)
        tx.write(lambda pipe: listing.move(pipe, self.indexes(before) if before else (), self.indexes(activity),
                                           activity))

    def backfill_indexes(self):
        """Add existing activities to every index of their filter combinations (once at deployment
        of v2; safe to repeat, also `python -m services.ops backfill-indexes`)."""
        return {"activities": listing.backfill(self.client, self.key("activity", "*"), self.indexes)}

    def save_pairing_view(self, tx, pairing, seq):
        """Keep `pairing` at `seq` unless a view at the same or a later seq is already kept."""
        key = self.pairing_key(pairing["id"])
        if is_newer(seq, tx.get(key)):
            tx.put(key, domain.pairing_view(pairing, seq))


def activity_filters(activity):
    """The filters `list_activities` accepts (contract §3), in the order index names carry them."""
    return {"campaign": activity["campaign_id"], "unit": activity["unit_code"], "status": activity["status"]}
