"""Campaigns and units in Redis: creation, changes and who takes part, each one transaction."""
from services.common import listing

from . import domain
from .domain import OVERDUE, REMIND
from .keys import PairingKeys


def score(moment):
    return moment.timestamp()


class CampaignWrites(PairingKeys):
    def create_campaign(self, data, request_id, now):
        def work(tx):
            earlier = tx.remembered("create_campaign", request_id)
            if earlier:
                return tx.get(self.campaign_key(earlier))
            tx.watch(self.active_units_key())
            active = tx.reader.smembers(self.active_units_key())
            taking_part = domain.participants(data["unit_codes"], active, "campaign.unit_codes")
            campaign = domain.new_campaign(self.new_id("c"), data, taking_part, now)
            tx.write(lambda pipe: listing.add(pipe, self.campaigns_key(), campaign))
            self._save_campaign(tx, campaign, None, "campaign_created")
            tx.remember("create_campaign", request_id, campaign["id"])
            return campaign

        return self.transact(work)

    def update_campaign(self, campaign_id, changes, now):
        def work(tx):
            campaign = tx.get(self.campaign_key(campaign_id))
            taking_part = None
            if "unit_codes" in changes:
                tx.watch(self.active_units_key())
                active = tx.reader.smembers(self.active_units_key())
                taking_part = domain.participants(changes["unit_codes"], active, "changes.unit_codes")
            updated = domain.changed_campaign(campaign, changes, taking_part, now)
            if updated is None:
                return campaign
            self._save_campaign(tx, updated, campaign, "campaign_updated")
            return updated

        self.campaign(campaign_id)
        return self.transact(work)

    def _save_campaign(self, tx, campaign, previous, event_type):
        """Write the campaign with the indexes that follow from it: who takes part (per unit, by
        deadline), whether new units join it, and when its deadline notices fall due."""
        campaign_id = campaign["id"]
        until = score(domain.on_time_until(campaign))
        before = set(previous["participants"]) if previous else set()
        rescored = previous is None or previous["on_time_until"] != campaign["on_time_until"]
        gone = before - set(campaign["participants"])
        touched = [code for code in campaign["participants"] if rescored or code not in before]

        def index(pipe):
            for code in gone:
                pipe.zrem(self.unit_campaigns_key(code), campaign_id)
            for code in touched:
                pipe.zadd(self.unit_campaigns_key(code), {campaign_id: until})
            if campaign["unit_codes"] is None:
                pipe.zadd(self.open_campaigns_key(), {campaign_id: until})
            else:
                pipe.zrem(self.open_campaigns_key(), campaign_id)
            # Re-armed on every change: a later deadline or a new participant may make notices due again.
            pipe.zadd(self.due_key(REMIND), {campaign_id: score(domain.reminders_from(campaign))})
            pipe.zadd(self.due_key(OVERDUE), {campaign_id: until})

        tx.put(self.campaign_key(campaign_id), campaign)
        tx.write(index)
        tx.emit(event_type, campaign_id, campaign["revision"], campaign)

    def register_unit(self, data, now):
        """Register a unit; it joins every open-to-all campaign whose deadline has not passed."""
        code = data["code"]

        def work(tx):
            domain.ensure_new_unit(tx.get(self.unit_key(code)))
            unit = domain.new_unit(data, now)
            tx.put(self.unit_key(code), unit)

            def index(pipe):
                listing.add(pipe, self.units_key(), {"id": code, "created_at": unit["created_at"]})
                pipe.sadd(self.active_units_key(), code)
                pipe.zremrangebyscore(self.open_campaigns_key(), "-inf", score(now))

            tx.write(index)
            tx.emit("unit_registered", code, unit["revision"], domain.unit_event(unit))
            tx.watch(self.open_campaigns_key())
            for campaign_id in tx.reader.zrangebyscore(self.open_campaigns_key(), f"({score(now)}", "+inf"):
                campaign = tx.get(self.campaign_key(campaign_id))
                joined = domain.join(campaign, code, now)
                if joined:
                    self._save_campaign(tx, joined, campaign, "campaign_updated")
            return unit

        return self.transact(work)

    def deactivate_unit(self, code, now):
        """Deactivate a unit; it leaves the campaigns whose report deadline has not passed."""

        def work(tx):
            unit = domain.deactivated(tx.get(self.unit_key(code)), now)
            tx.put(self.unit_key(code), unit)
            tx.write(lambda pipe: pipe.srem(self.active_units_key(), code))
            tx.emit("unit_deactivated", code, unit["revision"], domain.unit_event(unit))
            tx.watch(self.unit_campaigns_key(code))
            for campaign_id in tx.reader.zrangebyscore(self.unit_campaigns_key(code), f"({score(now)}", "+inf"):
                campaign = tx.get(self.campaign_key(campaign_id))
                left = domain.leave(campaign, code, now)
                if left:
                    self._save_campaign(tx, left, campaign, "campaign_updated")
            return unit

        self.unit(code)
        return self.transact(work)
