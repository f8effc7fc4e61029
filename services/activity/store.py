"""Activity's keys in Redis (prefix `activity:`).

- `activity:activity:<id>`: the activity record;
- `activity:index:all`, `activity:index:unit:<code>`, `activity:index:campaign:<id>`,
  `activity:index:campaign:<id>:unit:<code>`: newest-first list indexes (services.common.listing);
- `activity:pairing:<id>`: this service's view of a pairing (`domain.pairing_view`), fed by pairing's
  events and by `pairing.get_pairing`, newest `seq` wins."""
from services.common import listing
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

    def add_activity(self, tx, activity):
        tx.put(self.activity_key(activity["id"]), activity)
        campaign, unit = activity["campaign_id"], activity["unit_code"]
        indexes = [self.index_key(), self.index_key(unit_code=unit), self.index_key(campaign_id=campaign),
                   self.index_key(campaign, unit)]
        tx.write(lambda pipe: [listing.add(pipe, index, activity) for index in indexes])

    def replace_activity(self, tx, activity):
        tx.put(self.activity_key(activity["id"]), activity)

    def record_pairing(self, tx, pairing, seq):
        """Keep `pairing` at `seq` unless a view at the same or a later seq is already kept."""
        key = self.pairing_key(pairing["id"])
        if domain.is_newer(seq, tx.get(key)):
            tx.put(key, domain.pairing_view(pairing, seq))

    def page(self, campaign_id, unit_code, status, limit, cursor):
        keep = None if status is None else (lambda activity: activity["status"] == status)
        return listing.page(self, self.index_key(campaign_id, unit_code), self.activity_key, limit, cursor, keep)
