"""Reporting progress and deadline notices, from the maintained sets: no pairing is scanned.

Each notice is sent at most once per unit and campaign: the units told are a marker set, read
under WATCH and added to in the transaction that stages the notices, so a second check (or a
second service instance) racing this one retries and finds them marked."""
from functools import partial

from services.common.errors import require_found

from . import domain
from .domain import NOTICE_SEQ, OVERDUE, REMIND
from .keys import PairingKeys
from .pairings import APPROVED, COUNTED, REPORTED

COUNTS = {REMIND: "reminded", OVERDUE: "overdue"}


class DeadlineChecks(PairingKeys):
    def progress(self, campaign_id):
        pipe = self.client.pipeline(transaction=True)
        pipe.get(self.campaign_key(campaign_id))
        for status in (*COUNTED, "late"):
            pipe.smembers(self.state_key(campaign_id, status))
        raw, *sets = pipe.execute()
        return domain.progress(require_found(self.decode(raw), "活动"), *sets)

    def check_deadlines(self, now):
        """Notify the missing units of every campaign whose notice time has come; returns counts."""
        counts = dict.fromkeys(COUNTS.values(), 0)
        for event_type, counted in COUNTS.items():
            for campaign_id in self.client.zrangebyscore(self.due_key(event_type), "-inf", now.timestamp()):
                counts[counted] += self.transact(partial(self._notify, campaign_id, event_type, now))
        return counts

    def _notify(self, campaign_id, event_type, now, tx):
        due_key, told_key = self.due_key(event_type), self.notified_key(campaign_id, event_type)
        tx.watch(due_key, told_key, self.active_units_key(),
                 *(self.state_key(campaign_id, status) for status in (REPORTED, APPROVED)))
        campaign = tx.get(self.campaign_key(campaign_id))
        phase = domain.notice_phase(campaign, now)
        if phase != event_type:
            if event_type == REMIND and phase == OVERDUE:
                # Reminders end with the deadline; they are never sent late.
                tx.write(lambda pipe: pipe.zrem(due_key, campaign_id))
            return 0
        missing = domain.missing(campaign, *self.progress_sets(tx.reader, campaign_id, (REPORTED, APPROVED)))
        due = []
        if missing:
            active = tx.reader.smismember(self.active_units_key(), missing)
            told = tx.reader.smismember(told_key, missing)
            due = [code for code, is_active, was_told in zip(missing, active, told) if is_active and not was_told]
        for code in due:
            tx.emit(event_type, domain.notice_subject(campaign_id, code), NOTICE_SEQ[event_type],
                    domain.deadline_notice(campaign, code))

        def mark(pipe):
            if due:
                pipe.sadd(told_key, *due)
            if event_type == OVERDUE:
                # Re-armed by any change that leaves a unit missing again (withdraw, reject, joins).
                pipe.zrem(due_key, campaign_id)

        tx.write(mark)
        return len(due)
