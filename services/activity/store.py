"""Activity's keys in Redis (prefix `activity:`), its saves and its reads; the rules are in
domain.py and the order of each state change in usecases.py.

    activity:<id>                                the activity (JSON)
    index:all, index:unit:<code>,                newest-first list indexes (services.common.listing)
    index:campaign:<id>, index:campaign:<id>:unit:<code>
    pairing:<id>                                 this service's view of a pairing (records.PairingView),
                                                 fed by pairing's events and `pairing.get_pairing`,
                                                 newest `seq` wins
    request:<method>:<scope>:<request id>        the activity a request made or changed, with its
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

    def index_key(self, campaign_id=None, unit_code=None):
        parts = ["index"]
        if campaign_id is not None:
            parts += ["campaign", campaign_id]
        if unit_code is not None:
            parts += ["unit", unit_code]
        return self.key(*(parts if len(parts) > 1 else parts + ["all"]))

    def published(self, record):
        """Events go to every department's system: the activity as ops sees it."""
        return domain.published(record)

    def load_activity(self, activity_id):
        return self.load(self.activity_key(activity_id))

    def load_pairing(self, pairing_id):
        return self.load(self.pairing_key(pairing_id))

    def page(self, campaign_id, unit_code, status, limit, cursor):
        keep = None if status is None else (lambda activity: activity["status"] == status)
        return listing.page(self, self.index_key(campaign_id, unit_code), self.activity_key, limit, cursor, keep)

    def save_new_activity(self, tx, activity, before=None):
        """A new activity and the indexes it is listed in (`Store.create`'s save)."""
        tx.put(self.activity_key(activity["id"]), activity)
        campaign, unit = activity["campaign_id"], activity["unit_code"]
        indexes = [self.index_key(), self.index_key(unit_code=unit), self.index_key(campaign_id=campaign),
                   self.index_key(campaign, unit)]
        tx.write(lambda pipe: [listing.add(pipe, index, activity) for index in indexes])

    def save_pairing_view(self, tx, pairing, seq):
        """Keep `pairing` at `seq` unless a view at the same or a later seq is already kept."""
        key = self.pairing_key(pairing["id"])
        if is_newer(seq, tx.get(key)):
            tx.put(key, domain.pairing_view(pairing, seq))
