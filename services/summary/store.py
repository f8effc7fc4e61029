"""Summary's state changes in Redis (prefix `summary:`), each one transaction with its events
(transactional outbox). The key layout, the saves that keep the indexes and the plain reads are in
keys.py; the deadline checks in deadline_store.py.

Ownership is checked inside the transaction, on the record read under WATCH: `authorize(record)`
raises `Forbidden` when the caller may not change it."""
from services.common import clock
from services.common.errors import NotFound, require_found

from . import domain, issues
from .deadline_store import DeadlineChecks


class SummaryStore(DeadlineChecks):
    def load_found(self, key, what):
        return require_found(self.load(key), what)

    # Campaign terms, projected from pairing's events.

    def project_campaign(self, data, seq):
        key = self.campaign(data["id"])

        def work(tx):
            projection = domain.project_campaign(tx.get(key), data, seq)
            if projection is not None:
                tx.put(key, projection)

        self.transact(work)

    def _terms(self, tx, campaign_id):
        return domain.campaign_terms(tx.get(self.campaign(campaign_id)))

    # A completed activity: one summary request and its business problems forwarded.

    def request_summary(self, activity):
        """The summary request of a completed activity, once per activity; `CampaignNotYetKnown`
        while its campaign's terms have not arrived (the event is retried)."""
        def work(tx):
            requested = self.activity_summary(activity["id"])
            tx.watch(requested)
            if tx.reader.exists(requested):
                return  # the same completion announced again under another event_id
            terms = domain.known_campaign_terms(tx.get(self.campaign(activity["campaign_id"])))
            at = clock.now()
            summary = domain.request_summary(self.next_id(tx, "summary"), activity, terms, at)
            self.save_summary(tx, summary)
            tx.emit("summary_requested", summary["id"], summary["revision"], summary)
            self._forward(tx, domain.activity_issues(activity), terms, at, issues.SYSTEM)

        self.transact(work)

    def _forward(self, tx, origins, terms, at, by):
        """Open one issue per origin, routed by category; the issues."""
        routes = self.read_routes(tx)
        opened = []
        for origin in origins:
            issue, event_type = issues.open_issue(self.next_id(tx, "issue"), origin,
                                                  domain.route(origin["category"], routes), terms, at, by)
            self.save_issue(tx, issue)
            tx.emit(event_type, issue["id"], issue["revision"], issue)
            opened.append(issue)
        return opened

    # Departments.

    def register_department(self, data, request_id):
        def work(tx):
            earlier = tx.remembered("register_department", request_id)
            if earlier:
                return tx.get(self.department(earlier))
            existing = tx.get(self.department(data["code"]))
            record = domain.new_department(data, existing, self.read_routes(tx), clock.now())
            self.add_department(tx, record)
            tx.remember("register_department", request_id, record["code"])
            return record

        return self.transact(work)

    # Summaries.

    def submit_summary(self, summary_id, content, authorize, by):
        def work(tx):
            before = require_found(tx.get(self.summary(summary_id)), "总结")
            authorize(before)
            at = clock.now()
            submitted, origins = domain.submit_summary(before, content, at)
            opened = self._forward(tx, origins, self._terms(tx, before["campaign_id"]), at, by)
            submitted["issue_ids"] = [issue["id"] for issue in opened]
            self.save_summary(tx, submitted, before)
            tx.emit("summary_submitted", submitted["id"], submitted["revision"], submitted)
            return submitted

        return self.transact(work)

    # Issues: each step returns `(issue, event_type)`.

    def acknowledge_issue(self, issue_id, authorize, by):
        return self._change_issue(issue_id, authorize, lambda tx, issue, at: issues.acknowledge(issue, by, at))

    def answer_issue(self, issue_id, reply, authorize, by):
        return self._change_issue(issue_id, authorize, lambda tx, issue, at: issues.answer(issue, reply, by, at))

    def transfer_issue(self, issue_id, department, reason, authorize, by):
        """To `department`, or with None back to the committee's triage."""
        def step(tx, issue, at):
            if department is not None and tx.get(self.department(department)) is None:
                raise NotFound("司局不存在(Department not found).")
            return issues.transfer(issue, department, reason, self._terms(tx, issue["campaign_id"]), by, at)

        return self._change_issue(issue_id, authorize, step)

    def rate_issue(self, issue_id, rating, authorize, by):
        return self._change_issue(issue_id, authorize, lambda tx, issue, at: issues.rate(
            issue, rating, self._terms(tx, issue["campaign_id"]), by, at))

    def _change_issue(self, issue_id, authorize, step):
        """Apply `step(tx, issue, at) -> (issue, event_type)` once `authorize(issue)` has passed."""
        def work(tx):
            before = require_found(tx.get(self.issue(issue_id)), "问题")
            authorize(before)
            issue, event_type = step(tx, before, clock.now())
            self.save_issue(tx, issue, before)
            tx.emit(event_type, issue["id"], issue["revision"], issue)
            return issue

        return self.transact(work)
