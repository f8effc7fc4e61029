"""Each state change of the pairing service as one function, in one transaction, in the order of
docs/architecture.md: load under WATCH, not found, ownership, domain rule, save, emit. A `request`
(services.common.requests.Request) makes a call idempotent: a repeat returns the record the first
call returned (its result is kept with the request)."""
from functools import partial

from services.common.auth import UNIT
from services.common.errors import Forbidden, require_found
from services.common.ids import new_id

from . import deadlines, domain, pairings
from .records import APPROVED, VALID
from .store import CAMPAIGN_NOUN, PAIRING_NOUN, UNIT_NOUN

COUNTS = {deadlines.REMIND: "reminded", deadlines.OVERDUE: "overdue"}


def refuse_deactivated(store, caller):
    """Contract §3 v2: a deactivated unit's tokens are `Forbidden` on every method that changes state."""
    if caller.role == UNIT:
        unit = store.find_unit(caller.unit)
        if unit is not None and not unit["active"]:
            raise Forbidden("单位已停用(Unit is inactive).")


def create_campaign(store, data, request):
    return _create(store, data, request, None)


def carry_over_campaign(store, earlier_id, data, request):
    """Issue 17: a new campaign continuing `earlier_id`; each unit whose latest pairing there is
    approved and that takes part in the new one reports that target again, for review as usual.
    Reads the earlier campaign's approved set (maintained), never all its pairings."""
    return _create(store, data, request, earlier_id)


def _create(store, data, request, earlier_id):
    def work(tx):
        if tx.replayed(request):
            return tx.first_result(request, lambda campaign_id: tx.get(store.campaign_key(campaign_id)))
        if earlier_id is not None:
            require_found(tx.get(store.campaign_key(earlier_id)), CAMPAIGN_NOUN)
        now = store.now()
        taking_part = domain.participants(data["unit_codes"], store.active_units(tx), "campaign.unit_codes")
        campaign = domain.new_campaign(new_id("campaign"), data, taking_part, now, carried_over_from=earlier_id)
        store.save_campaign(tx, campaign, None)
        tx.emit("campaign_created", campaign["id"], campaign["revision"], campaign)
        if earlier_id is not None:
            _carry_pairings_over(store, tx, earlier_id, campaign, now)
        tx.remember(request, campaign["id"], campaign)
        return campaign

    return store.transact(work)


def _carry_pairings_over(store, tx, earlier_id, campaign, now):
    for code in pairings.carried_over_units(store.units_with(tx, earlier_id, APPROVED), campaign):
        earlier = store.latest_pairing(tx, earlier_id, code)
        pairing = pairings.carried_over(new_id("pairing"), campaign, earlier, now)
        store.save_pairing(tx, pairing, None, campaign)
        _announce(store, tx, pairing)


def update_campaign(store, campaign_id, changes, request):
    def change(tx, campaign, now):
        taking_part = None
        if "unit_codes" in changes:
            taking_part = domain.participants(changes["unit_codes"], store.active_units(tx), "changes.unit_codes")
        updated = domain.changed_campaign(campaign, changes, taking_part, now)
        return (campaign, None) if updated is None else (updated, "campaign_updated")

    return store.change(store.campaign_key(campaign_id), CAMPAIGN_NOUN, change, save=store.save_campaign,
                        request=request)


def register_unit(store, data, request):
    """Register a unit; it joins every open-to-all campaign whose deadline has not passed."""
    code = data["code"]

    def work(tx):
        existing = tx.get(store.unit_key(code))
        if tx.replayed(request):
            return tx.first_result(request, lambda _code: existing)
        domain.ensure_new_unit(existing)
        now = store.now()
        unit = domain.new_unit(data, now)
        store.save_unit(tx, unit, None, now)
        tx.emit("unit_registered", code, unit["revision"], domain.unit_event(unit))
        for campaign in store.open_campaigns(tx, now):
            _participation_changed(store, tx, domain.join(campaign, code, now), campaign)
        tx.remember(request, code, unit)
        return unit

    return store.transact(work)


def deactivate_unit(store, code, request):
    """Deactivate a unit; it leaves the campaigns whose report deadline has not passed."""
    def work(tx):
        unit = require_found(tx.get(store.unit_key(code)), UNIT_NOUN)
        if tx.replayed(request):
            return tx.first_result(request, lambda _code: unit)
        now = store.now()
        updated = domain.deactivated(unit, now)
        store.save_unit(tx, updated, unit, now)
        tx.emit("unit_deactivated", code, updated["revision"], domain.unit_event(updated))
        for campaign in store.unit_open_campaigns(tx, code, now):
            _participation_changed(store, tx, domain.leave(campaign, code, now), campaign)
        tx.remember(request, code, updated)
        return updated

    return store.transact(work)


def _participation_changed(store, tx, campaign, before):
    """One `campaign_updated` per participation change, after the unit's own event."""
    if campaign is not None:
        store.save_campaign(tx, campaign, before)
        tx.emit("campaign_updated", campaign["id"], campaign["revision"], campaign)


def report_pairing(store, caller, campaign_id, unit_code, target, request):
    """docs/pairing.md gives the order: `target.district` (the campaign's region decides; for a
    campaign not found, the default region's: the input before the record, contract §3), campaign
    NotFound, the caller acts for `unit_code`, unit NotFound, then Conflict."""
    def work(tx):
        if tx.replayed(request):
            pairing = tx.first_result(request, lambda pairing_id: tx.get(store.pairing_key(pairing_id)))
            caller.require_owner(unit=pairing["unit_code"])
            return pairing
        campaign = tx.get(store.campaign_key(campaign_id))
        pairings.check_district(campaign or pairings.UNKNOWN_CAMPAIGN, target)
        require_found(campaign, CAMPAIGN_NOUN)
        caller.require_owner(unit=unit_code)
        unit = tx.get(store.unit_key(unit_code))
        pairings.check_may_report(campaign, unit, store.latest_pairing(tx, campaign_id, unit_code))
        pairing = pairings.new_pairing(new_id("pairing"), campaign, unit_code, target, store.now())
        store.save_pairing(tx, pairing, None, campaign)
        _announce(store, tx, pairing)
        tx.remember(request, pairing["id"], pairing)
        return pairing

    return store.transact(work)


def withdraw_pairing(store, caller, pairing_id, request):
    return _move(store, pairing_id, lambda pairing, now: pairings.withdrawn(pairing, now), request,
                 owner=lambda pairing: caller.require_owner(unit=pairing["unit_code"]))


def review_pairing(store, pairing_id, decision, comment, request):
    return _move(store, pairing_id, lambda pairing, now: pairings.reviewed(pairing, decision, comment, now), request)


def _move(store, pairing_id, rule, request, owner=None):
    def change(tx, pairing, now):
        moved = rule(pairing, now)
        return moved, pairings.EVENT_OF[moved["status"]]

    def save(tx, pairing, before):
        store.save_pairing(tx, pairing, before, tx.get(store.campaign_key(pairing["campaign_id"])))

    return store.change(store.pairing_key(pairing_id), PAIRING_NOUN, change, owner=owner, save=save, request=request)


def _announce(store, tx, pairing):
    tx.emit(pairings.EVENT_OF[pairing["status"]], pairing["id"], pairing["revision"], store.published(pairing))


def check_deadlines(store, now):
    """Notify the missing units of every campaign whose notice time has come; returns counts."""
    counts = dict.fromkeys(COUNTS.values(), 0)
    for event_type, counted in COUNTS.items():
        for campaign_id in store.due_campaigns(event_type, now):
            counts[counted] += store.transact(partial(_notify, store, campaign_id, event_type, now))
    return counts


def _notify(store, campaign_id, event_type, now, tx):
    """One campaign's notices, at most once per unit: the units told are marked in the transaction
    that stages their events, so a racing check retries and finds them marked."""
    store.watch_notices(tx, campaign_id, event_type)
    campaign = tx.get(store.campaign_key(campaign_id))
    phase = deadlines.notice_phase(campaign, now)
    told = []
    if phase == event_type:
        missing = domain.missing(campaign, *(store.units_with(tx, campaign_id, s) for s in VALID))
        told = deadlines.who_to_tell(missing, *store.notice_state(tx, campaign_id, event_type, missing))
    overdue_sent = store.overdue_sent(tx, campaign_id, told) if event_type == deadlines.REMIND else [False] * len(told)
    for code, after_overdue in zip(told, overdue_sent):
        tx.emit(event_type, deadlines.notice_subject(campaign_id, code), deadlines.notice_seq(event_type, after_overdue),
                deadlines.notice(campaign, code))
    store.save_notices(tx, campaign_id, event_type, told, deadlines.stays_due(phase))
    return len(told)
