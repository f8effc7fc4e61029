"""Each state change of the activity service as one function, in one transaction, in the order of
docs/architecture.md: load under WATCH, not found, ownership, domain rule, save, emit. A `request`
(services.common.requests.Request) makes a call idempotent: a repeat returns the activity the first
call returned (its result is kept with the request)."""
from services.common.ids import new_id

from . import domain
from .records import APPROVED
from .store import ACTIVITY


def pairing_to_plan_with(store, pairings, caller, pairing_id):
    """The view of `pairing_id` to plan with, owned by the caller: this service's own view when it
    shows the approval, else what `pairing.get_pairing` says now (asked in the caller's name), so a
    plan holds as soon as `review_pairing` has returned. Approval is checked by `domain.plan`."""
    known = store.load_pairing(pairing_id)
    if known is not None:
        caller.require_owner(unit=known["unit_code"])
        if known["status"] == APPROVED:
            return known
    pairing = pairings.get(pairing_id)
    caller.require_owner(unit=pairing["unit_code"])
    # A record without a revision never hides an event: any event's seq is newer than 0.
    return domain.pairing_view(pairing, pairing.get("revision", 0))


def plan_activity(store, pairings, caller, fields, request):
    """A planned activity with the caller's approved pairing, announced; the pairing's view is kept
    in the same transaction. A request_id is scoped to its caller, who owns the pairing (checked first)."""
    pairing = pairing_to_plan_with(store, pairings, caller, fields["pairing_id"])

    def make(tx, now):
        store.save_pairing_view(tx, pairing, pairing["seq"])
        return domain.plan(fields, pairing, new_id("activity"), now), "activity_planned"

    return store.create(store.activity_key, make, save=store.save_activity, request=request)


def update_activity(store, caller, activity_id, changes, request):
    return _revise(store, caller, activity_id, "activity_updated",
                   lambda activity, now: domain.change(activity, changes, now), request)


def complete_activity(store, caller, activity_id, report, request):
    return _revise(store, caller, activity_id, "activity_completed",
                   lambda activity, now: domain.complete(activity, report, now), request)


def cancel_activity(store, caller, activity_id, reason, request):
    return _revise(store, caller, activity_id, "activity_cancelled",
                   lambda activity, now: domain.cancel(activity, reason, now), request)


def _revise(store, caller, activity_id, event_type, rule, request):
    """`rule(activity, now)` applied to an activity the caller owns; found and owned are checked
    before the rule runs and before any write."""
    def change(tx, activity, now):
        return rule(activity, now), event_type

    return store.change(store.activity_key(activity_id), ACTIVITY, change, save=store.save_activity,
                        owner=lambda activity: caller.require_owner(unit=activity["unit_code"]), request=request)


def keep_pairing(store, pairing, seq):
    """The view of a pairing as one of pairing's events tells it."""
    store.transact(lambda tx: store.save_pairing_view(tx, pairing, seq))
