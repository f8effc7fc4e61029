"""Pairing reports in Redis: report, withdraw, review, each with the progress sets in one transaction."""
from services.common import listing

from . import domain, pairings
from .domain import OVERDUE
from .keys import PairingKeys
from .pairings import COUNTED, EVENT_OF, VALID


class PairingWrites(PairingKeys):
    def report_pairing(self, campaign_id, unit_code, target, request_id, now):
        # A request id is scoped to the campaign and the unit: the same id elsewhere is another request,
        # never an answer with another campaign's or another unit's pairing.
        method = f"report_pairing:{campaign_id}:{unit_code}"
        latest_key = self.latest_key(campaign_id, unit_code)

        def work(tx):
            earlier = tx.remembered(method, request_id)
            if earlier:
                return tx.get(self.pairing_key(earlier))
            campaign = tx.get(self.campaign_key(campaign_id))
            tx.watch(latest_key)
            latest_id = tx.reader.get(latest_key)
            latest = tx.get(self.pairing_key(latest_id)) if latest_id else None
            pairings.check_may_report(campaign, tx.get(self.unit_key(unit_code)), latest)
            pairing = pairings.new_pairing(self.new_id("p"), campaign, unit_code, target, now)

            def index(pipe):
                pipe.set(latest_key, pairing["id"])
                listing.add(pipe, self.pairings_key(campaign_id), pairing)
                listing.add(pipe, self.pairings_key(campaign_id, unit_code), pairing)

            tx.write(index)
            self._save_pairing(tx, pairing, campaign)
            tx.remember(method, request_id, pairing["id"])
            return pairing

        return self.transact(work)

    def withdraw_pairing(self, pairing_id, now):
        return self._move(pairing_id, lambda pairing: pairings.withdrawn(pairing, now))

    def review_pairing(self, pairing_id, decision, comment, now):
        return self._move(pairing_id, lambda pairing: pairings.reviewed(pairing, decision, comment, now))

    def _move(self, pairing_id, change):
        def work(tx):
            moved = change(tx.get(self.pairing_key(pairing_id)))
            self._save_pairing(tx, moved, tx.get(self.campaign_key(moved["campaign_id"])))
            return moved

        return self.transact(work)

    def _save_pairing(self, tx, pairing, campaign):
        """Write the pairing, move its unit between the campaign's progress sets, announce it."""
        campaign_id, unit_code = campaign["id"], pairing["unit_code"]
        status, late = pairings.progress_marks(pairing)

        def marks(pipe):
            for counted in COUNTED:
                pipe.srem(self.state_key(campaign_id, counted), unit_code)
            if status:
                pipe.sadd(self.state_key(campaign_id, status), unit_code)
            if late:
                pipe.sadd(self.state_key(campaign_id, "late"), unit_code)
            else:
                pipe.srem(self.state_key(campaign_id, "late"), unit_code)
            if status not in VALID:
                # Missing again: past the deadline, the next check owes it an overdue notice if it had none.
                pipe.zadd(self.due_key(OVERDUE), {campaign_id: domain.on_time_until(campaign).timestamp()})

        tx.put(self.pairing_key(pairing["id"]), pairing)
        tx.write(marks)
        tx.emit(EVENT_OF[pairing["status"]], pairing["id"], pairing["revision"], pairings.event_data(pairing))
