"""Pairing's keys in Redis (prefix `pairing:`), its saves and its reads. The rules live in the
domain modules and the order of each state change in usecases.py; a save here writes a record with
the indexes that follow from it, inside the caller's transaction.

    campaign:<id>                        the campaign (JSON)
    campaign:<id>:unit:<code>            id of the unit's latest pairing in the campaign (watched)
    campaign:<id>:<status>               units whose latest pairing is reported/approved/rejected
    campaign:<id>:late                   units whose latest reported-or-approved pairing is late
    campaign:<id>:notified:<event_type>  units already sent that deadline notice
    campaigns                            listing index of campaigns
    campaigns:open                       campaigns any new unit joins (unit_codes null), by on_time_until
    due:<event_type>                     campaigns by the moment that notice falls due (epoch seconds)
    unit:<code>                          the unit (JSON)
    unit:<code>:campaigns                campaigns it takes part in, by on_time_until
    units[:status:active|deactivated]    listing indexes of units (of the active or deactivated ones)
    units:active                         codes of active units (a set, read in transactions)
    pairing:<id>                         the pairing (JSON)
    pairings:<campaign id>[:<code>][:status:<s>]
                                         listing indexes of a campaign's pairings, one per combination
                                         of unit and status (the unit's code bare, as the per-unit
                                         ones were named before the status ones came)
    request:<method>:<scope>:<request id>  the record a request made or changed and the result it returned,
                                           with a digest of its arguments (30 days)

`gauges(now)` (GET /metrics) reads only the newest campaigns and the sizes of their progress sets.

The indexes with a status are new: `backfill_indexes` adds the existing units and pairings to them.
"""
from functools import partial

from services.common import listing
from services.common.deadlines import due_score as score
from services.common.errors import require_found
from services.common.store import Store

from . import deadlines, domain, pairings
from .pairings import COUNTED
from .records import VALID

GAUGED_CAMPAIGNS = 20
UNITS_MISSING = ("leifeng_units_missing_pairing",
                 "Units taking part in a campaign without a reported or approved pairing.")

# What `NotFound` names (contract §3 messages are Chinese).
CAMPAIGN_NOUN, UNIT_NOUN, PAIRING_NOUN = "专项活动", "单位", "结对"  # 活动 alone is an activity


class PairingStore(Store):
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

    def units_key(self, *filters):
        return self.key("units", *filters)

    def unit_indexes(self, unit):
        return listing.indexes(self.units_key, unit_filters(unit))

    def active_units_key(self):
        return self.key("units", "active")

    def pairing_key(self, pairing_id):
        return self.key("pairing", pairing_id)

    def pairings_key(self, campaign_id, *filters):
        """`listing.filtered`'s index of `("unit", code, "status", s)` (either or both) in the campaign."""
        named = dict(zip(filters[::2], filters[1::2]))
        unit = [named["unit"]] if "unit" in named else []
        status = ["status", named["status"]] if "status" in named else []
        return self.key("pairings", campaign_id, *unit, *status)

    def pairing_indexes(self, pairing):
        return listing.indexes(partial(self.pairings_key, pairing["campaign_id"]), pairing_filters(pairing))

    def published(self, record):
        """Pairings go on the bus without the target's personal data; campaigns as they are."""
        return pairings.event_data(record) if "target" in record else record

    # Reads outside a transaction.

    def campaign(self, campaign_id):
        return require_found(self.load(self.campaign_key(campaign_id)), CAMPAIGN_NOUN)

    def unit(self, code):
        return require_found(self.load(self.unit_key(code)), UNIT_NOUN)

    def find_unit(self, code):
        return self.load(self.unit_key(code))

    def pairing(self, pairing_id):
        return require_found(self.load(self.pairing_key(pairing_id)), PAIRING_NOUN)

    def list_campaigns(self, limit, cursor):
        return listing.page(self, self.campaigns_key(), self.campaign_key, limit, cursor)

    def list_units(self, active, limit, cursor):
        index = listing.filtered(self.units_key, {"status": None if active is None else unit_status(active)})
        return listing.page(self, index, self.unit_key, limit, cursor)

    def own_unit_page(self, code, active, cursor):
        """`list_units` for a unit: a one-page list of at most itself."""
        unit = self.load(self.unit_key(code))
        shown = unit is not None and cursor is None and active in (None, unit["active"])
        return {"items": [unit] if shown else [], "next_cursor": None}

    def list_pairings(self, campaign_id, status, unit_code, limit, cursor):
        index = listing.filtered(partial(self.pairings_key, campaign_id), {"unit": unit_code, "status": status})
        return listing.page(self, index, self.pairing_key, limit, cursor)

    def progress_sets(self, campaign_id):
        """The campaign and its progress sets (reported, approved, rejected, late), read in one MULTI."""
        pipe = self.client.pipeline(transaction=True)
        pipe.get(self.campaign_key(campaign_id))
        for status in (*COUNTED, "late"):
            pipe.smembers(self.state_key(campaign_id, status))
        raw, *sets = pipe.execute()
        return require_found(self.decode(raw), CAMPAIGN_NOUN), sets

    def gauges(self, now, newest=GAUGED_CAMPAIGNS):
        """Per campaign among the newest: its participants without a reported or approved pairing."""
        ids = [listing.record_id(m) for m in self.client.zrevrange(self.campaigns_key(), 0, newest - 1)]
        pipe = self.client.pipeline(transaction=False)
        for campaign_id in ids:
            pipe.get(self.campaign_key(campaign_id))
            for status in VALID:
                pipe.scard(self.state_key(campaign_id, status))
        answers, width = pipe.execute(), 1 + len(VALID)
        rows = [answers[at:at + width] for at in range(0, len(answers), width)]
        return [(*UNITS_MISSING, {"campaign": campaign_id}, max(0, len(self.decode(raw)["participants"]) - sum(paired)))
                for campaign_id, (raw, *paired) in zip(ids, rows) if raw is not None]

    def due_campaigns(self, event_type, now):
        return self.client.zrangebyscore(self.due_key(event_type), "-inf", score(now))

    # Reads under WATCH, inside a transaction.

    def active_units(self, tx):
        members, = tx.read([self.active_units_key()], ("SMEMBERS", self.active_units_key()))
        return members

    def latest_pairing(self, tx, campaign_id, unit_code):
        key = self.latest_key(campaign_id, unit_code)
        tx.prefetch(key)
        latest_id = tx.fetched[key]
        return tx.get(self.pairing_key(latest_id)) if latest_id else None

    def units_with(self, tx, campaign_id, status):
        members, = tx.read([self.state_key(campaign_id, status)], ("SMEMBERS", self.state_key(campaign_id, status)))
        return members

    def open_campaigns(self, tx, now):
        """Campaigns open to every unit whose deadline has not passed."""
        tx.watch(self.open_campaigns_key())
        return [tx.get(self.campaign_key(campaign_id))
                for campaign_id in tx.reader.zrangebyscore(self.open_campaigns_key(), f"({score(now)}", "+inf")]

    def unit_open_campaigns(self, tx, code, now):
        """The campaigns the unit takes part in whose deadline has not passed."""
        tx.watch(self.unit_campaigns_key(code))
        return [tx.get(self.campaign_key(campaign_id))
                for campaign_id in tx.reader.zrangebyscore(self.unit_campaigns_key(code), f"({score(now)}", "+inf")]

    def watch_notices(self, tx, campaign_id, event_type):
        """Watch what a deadline check reads: a concurrent check, a report or a re-arm retries it."""
        tx.watch(self.due_key(event_type), *(self.notified_key(campaign_id, kind) for kind in deadlines.NOTICE_SEQ),
                 self.active_units_key(), *(self.state_key(campaign_id, status) for status in VALID))

    def notice_state(self, tx, campaign_id, event_type, codes):
        """Per unit of `codes`: whether it is active, whether it was sent that notice (watched)."""
        if not codes:
            return [], []
        return (tx.reader.smismember(self.active_units_key(), codes),
                tx.reader.smismember(self.notified_key(campaign_id, event_type), codes))

    def overdue_sent(self, tx, campaign_id, codes):
        """Per unit of `codes`: whether it was sent the overdue notice (watched)."""
        return tx.reader.smismember(self.notified_key(campaign_id, deadlines.OVERDUE), codes) if codes else []

    # Saves, queued in the caller's transaction.

    def save_campaign(self, tx, campaign, previous):
        """The campaign with the indexes that follow from it: who takes part (per unit, by deadline),
        whether new units join it, and when its deadline notices fall due."""
        campaign_id = campaign["id"]
        until = score(domain.on_time_until(campaign))
        before = set(previous["participants"]) if previous else set()
        rescored = previous is None or previous["on_time_until"] != campaign["on_time_until"]
        gone = before - set(campaign["participants"])
        touched = [code for code in campaign["participants"] if rescored or code not in before]

        def index(pipe):
            if previous is None:
                listing.add(pipe, self.campaigns_key(), campaign)
            for code in gone:
                pipe.zrem(self.unit_campaigns_key(code), campaign_id)
            for code in touched:
                pipe.zadd(self.unit_campaigns_key(code), {campaign_id: until})
            if campaign["unit_codes"] is None:
                pipe.zadd(self.open_campaigns_key(), {campaign_id: until})
            else:
                pipe.zrem(self.open_campaigns_key(), campaign_id)
            for event_type, due in deadlines.due_scores(campaign).items():
                pipe.zadd(self.due_key(event_type), {campaign_id: due})

        tx.put(self.campaign_key(campaign_id), campaign)
        tx.write(index)

    def save_unit(self, tx, unit, previous, now):
        code = unit["code"]

        def index(pipe):
            listing.move(pipe, self.unit_indexes(previous) if previous else (), self.unit_indexes(unit),
                         unit_listed(unit))
            if previous is None:
                pipe.zremrangebyscore(self.open_campaigns_key(), "-inf", score(now))
            if unit["active"]:
                pipe.sadd(self.active_units_key(), code)
            else:
                pipe.srem(self.active_units_key(), code)

        tx.put(self.unit_key(code), unit)
        tx.write(index)

    def save_pairing(self, tx, pairing, before, campaign):
        """The pairing, moved between its list indexes, its unit between the campaign's progress sets."""
        campaign_id, unit_code = campaign["id"], pairing["unit_code"]
        status, late = pairings.progress_marks(pairing)

        def marks(pipe):
            if before is None:
                pipe.set(self.latest_key(campaign_id, unit_code), pairing["id"])
            listing.move(pipe, self.pairing_indexes(before) if before else (), self.pairing_indexes(pairing), pairing)
            for counted in COUNTED:
                pipe.srem(self.state_key(campaign_id, counted), unit_code)
            if status:
                pipe.sadd(self.state_key(campaign_id, status), unit_code)
            (pipe.sadd if late else pipe.srem)(self.state_key(campaign_id, "late"), unit_code)
            if deadlines.rearms_overdue(pairing):
                pipe.zadd(self.due_key(deadlines.OVERDUE), {campaign_id: score(domain.on_time_until(campaign))})

        tx.put(self.pairing_key(pairing["id"]), pairing)
        tx.write(marks)

    def backfill_indexes(self):
        """Add existing units and pairings to every index of their filter combinations (once at
        deployment; safe to repeat, also `python -m services.ops backfill-indexes`)."""
        return {"units": listing.backfill(self.client, self.unit_key("*"), self.unit_indexes, listed=unit_listed),
                "pairings": listing.backfill(self.client, self.pairing_key("*"), self.pairing_indexes)}

    def save_notices(self, tx, campaign_id, event_type, told, stays_due):
        def mark(pipe):
            if told:
                pipe.sadd(self.notified_key(campaign_id, event_type), *told)
            if not stays_due:
                pipe.zrem(self.due_key(event_type), campaign_id)

        tx.write(mark)


# The filters each list accepts (contract §3), in the order their index names carry them.

def unit_status(active):
    return "active" if active else "deactivated"


def unit_filters(unit):
    return {"status": unit_status(unit["active"])}


def unit_listed(unit):
    """A unit is named by its code: what its indexes list."""
    return {"id": unit["code"], "created_at": unit["created_at"]}


def pairing_filters(pairing):
    return {"unit": pairing["unit_code"], "status": pairing["status"]}
