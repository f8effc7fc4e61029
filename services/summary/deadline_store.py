"""Deadline checks: only what has fallen due is read, through the due sets.

Each id is settled in its own transaction that re-reads the record under WATCH, so concurrent
checks (two instances, the timer and the RPC) send each notice once."""
from functools import partial

from . import domain, issues
from .keys import SUMMARY_DUE, SummaryKeys


class DeadlineChecks(SummaryKeys):
    def check_deadlines(self, now):
        """Send the overdue notices fallen due before `now`; the counts of what this call sent."""
        counts = {"summary_overdue": 0, "issue_overdue": {issues.ACK: 0, issues.ANSWER: 0}}
        for summary_id in self.fallen_due(SUMMARY_DUE, now):
            counts["summary_overdue"] += self.transact(partial(self._summary_overdue, summary_id, now))
        for kind in (issues.ACK, issues.ANSWER):
            for issue_id in self.fallen_due(kind, now):
                counts["issue_overdue"][kind] += self.transact(partial(self._issue_overdue, issue_id, kind, now))
        return counts

    def _summary_overdue(self, summary_id, now, tx):
        before = tx.get(self.summary(summary_id))
        if before is None or not domain.summary_fell_due(before, now):
            return 0
        summary = domain.mark_summary_overdue(before, now)
        self.save_summary(tx, summary, before)
        tx.emit("summary_overdue", summary["id"], summary["revision"], summary)
        return 1

    def _issue_overdue(self, issue_id, kind, now, tx):
        before = tx.get(self.issue(issue_id))
        if before is None or not issues.fell_due(before, kind, now):
            return 0
        issue, event_type = issues.mark_overdue(before, kind, now)
        self.save_issue(tx, issue, before)
        tx.emit(event_type, issue["id"], issue["revision"], {**issue, "kind": kind})
        return 1
