"""Pairing's Redis keys (prefix `pairing:`) and plain reads; the writes live in the store mixins.

    campaign:<id>                        the campaign (JSON)
    campaign:<id>:unit:<code>            id of the unit's latest pairing in the campaign (watched)
    campaign:<id>:<status>               units whose latest pairing is reported/approved/rejected
    campaign:<id>:late                   units whose latest reported-or-approved pairing is late
    campaign:<id>:notified:<event_type>  units already sent that deadline notice
    campaigns                            listing index of campaigns
    campaigns:open                       campaigns any new unit joins (unit_codes null), by on_time_until
    due:<event_type>                     campaigns by the time that notice falls due
    unit:<code>                          the unit (JSON)
    unit:<code>:campaigns                campaigns it takes part in, by on_time_until
    units, units:active                  listing index of units; codes of active units
    pairing:<id>                         the pairing (JSON)
    pairings:<campaign id>[:<code>]      listing indexes of a campaign's pairings (of one unit)
    request:create_campaign:<request id>                     the campaign that request created (30 days)
    request:report_pairing:<campaign id>:<code>:<request id>  the pairing that request created (30 days)
"""
import uuid

from services.common import listing
from services.common.errors import require_found
from services.common.store import Store


class PairingKeys(Store):
    def campaign_key(self, campaign_id):
        return self.key("campaign", campaign_id)

    def latest_key(self, campaign_id, unit_code):
        return self.key("campaign", campaign_id, "unit", unit_code)

    def state_key(self, campaign_id, status):
        return self.key("campaign", campaign_id, status)

    def notified_key(self, campaign_id, event_type):
        return self.key("campaign", campaign_id, "notified", event_type)

    def campaigns_key(self):
        return self.key("campaigns")

    def open_campaigns_key(self):
        return self.key("campaigns", "open")

    def due_key(self, event_type):
        return self.key("due", event_type)

    def unit_key(self, code):
        return self.key("unit", code)

    def unit_campaigns_key(self, code):
        return self.key("unit", code, "campaigns")

    def units_key(self):
        return self.key("units")

    def active_units_key(self):
        return self.key("units", "active")

    def pairing_key(self, pairing_id):
        return self.key("pairing", pairing_id)

    def pairings_key(self, campaign_id, unit_code=None):
        return self.key("pairings", campaign_id, *([unit_code] if unit_code else []))

    @staticmethod
    def new_id(kind):
        return f"{kind}{uuid.uuid4().hex[:16]}"

    def campaign(self, campaign_id):
        return require_found(self.load(self.campaign_key(campaign_id)), "活动")

    def unit(self, code):
        return require_found(self.load(self.unit_key(code)), "单位")

    def pairing(self, pairing_id):
        return require_found(self.load(self.pairing_key(pairing_id)), "结对")

    def list_campaigns(self, limit, cursor):
        return listing.page(self, self.campaigns_key(), self.campaign_key, limit, cursor)

    def list_units(self, active, limit, cursor):
        keep = None if active is None else (lambda unit: unit["active"] == active)
        return listing.page(self, self.units_key(), self.unit_key, limit, cursor, keep)

    def own_unit_page(self, code, active, cursor):
        """`list_units` for a unit: a one-page list of at most itself."""
        unit = self.load(self.unit_key(code))
        shown = unit is not None and cursor is None and active in (None, unit["active"])
        return {"items": [unit] if shown else [], "next_cursor": None}

    def list_pairings(self, campaign_id, status, unit_code, limit, cursor):
        keep = None if status is None else (lambda pairing: pairing["status"] == status)
        return listing.page(self, self.pairings_key(campaign_id, unit_code), self.pairing_key, limit, cursor, keep)

    def progress_sets(self, reader, campaign_id, statuses):
        """The members of the campaign's progress sets, one set per status."""
        return [reader.smembers(self.state_key(campaign_id, status)) for status in statuses]
