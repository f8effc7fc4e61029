"""Summary (活动总结与问题转办): summary requests, departments, issue forwarding, deadlines."""
import logging
from functools import partial

from nameko.dependency_providers import Config
from nameko.rpc import rpc

from services.common import clock, web
from services.common.auth import COMMITTEE, DEPARTMENT, OPS, UNIT, Auth, allow
from services.common.consumer import reliable_event_handler
from services.common.errors import NotFound
from services.common.schemas import load
from services.common.timers import configured_timer, effective_now

from . import domain, issues, report_service, schemas
from .seed import SeededStorage
from .store import SUMMARY_DUE, SummaryStore

log = logging.getLogger(__name__)


def assigned_department(issue):
    return {"department": issue["department"]}


def reporting_unit(issue):
    return {"unit": issue["unit_code"]}


class SummaryService(web.Observable, report_service.ReportEndpoints):
    name = "summary"

    auth = Auth()
    store = SeededStorage(SummaryStore)
    config = Config()

    # Campaign terms, projected from pairing's events.

    @reliable_event_handler("pairing", "campaign_created")
    def on_campaign_created(self, event):
        self._project_campaign(event)

    @reliable_event_handler("pairing", "campaign_updated")
    def on_campaign_updated(self, event):
        self._project_campaign(event)

    def _project_campaign(self, event):
        data = load(schemas.CampaignTerms, event["data"])
        key = self.store.campaign(data["id"])

        def work(tx):
            projection = domain.project_campaign(tx.get(key), data, event["seq"])
            if projection is not None:
                tx.put(key, projection)

        self.store.transact(work)

    def _terms(self, tx, campaign_id):
        return domain.campaign_terms(tx.get(self.store.campaign(campaign_id)))

    # A completed activity: one summary request and its business problems forwarded.

    @reliable_event_handler("activity", "activity_completed")
    def on_activity_completed(self, event):
        activity = load(schemas.CompletedActivity, event["data"])

        def work(tx):
            requested = self.store.activity_summary(activity["id"])
            tx.watch(requested)
            if tx.reader.exists(requested):
                return  # the same completion announced again under another event_id
            at = clock.now()
            terms = self._terms(tx, activity["campaign_id"])
            summary = domain.request_summary(self.store.next_id(tx, "summary"), activity, terms, at)
            self.store.save_summary(tx, summary)
            tx.emit("summary_requested", summary["id"], summary["revision"], summary)
            self._forward(tx, domain.activity_issues(activity), terms, at, issues.SYSTEM)

        self.store.transact(work)

    def _forward(self, tx, origins, terms, at, by):
        """Open one issue per origin, routed by category; the issues."""
        routes = self.store.read_routes(tx)
        opened = []
        for origin in origins:
            issue, event_type = issues.open_issue(self.store.next_id(tx, "issue"), origin,
                                                  domain.route(origin["category"], routes), terms, at, by)
            self.store.save_issue(tx, issue)
            tx.emit(event_type, issue["id"], issue["revision"], issue)
            opened.append(issue)
        return opened

    # Departments.

    @rpc
    @allow(COMMITTEE)
    def register_department(self, department, request_id=None):
        args = load(schemas.RegisterDepartmentArgs, {"department": department, "request_id": request_id})
        data = args["department"]

        def work(tx):
            earlier = tx.remembered("register_department", args["request_id"])
            if earlier:
                return tx.get(self.store.department(earlier))
            existing = tx.get(self.store.department(data["code"]))
            record = domain.new_department(data, existing, self.store.read_routes(tx), clock.now())
            self.store.register_department(tx, record)
            tx.remember("register_department", args["request_id"], record["code"])
            return record

        return self.store.transact(work)

    @rpc
    @allow(COMMITTEE, UNIT, DEPARTMENT, OPS)
    def list_departments(self, limit=50, cursor=None):
        args = load(schemas.ListDepartmentsArgs, {"limit": limit, "cursor": cursor})
        return self.store.departments_page(args["limit"], args["cursor"])

    # Summaries.

    @rpc
    @allow(COMMITTEE, OPS, unit="own")
    def list_summaries(self, campaign_id=None, unit_code=None, status=None, limit=50, cursor=None):
        args = load(schemas.ListSummariesArgs, {"campaign_id": campaign_id, "unit_code": unit_code,
                                                "status": status, "limit": limit, "cursor": cursor})
        unit_code, _ = self.auth.caller.scope(args["unit_code"])
        filters = {"unit_code": unit_code, "campaign_id": args["campaign_id"], "status": args["status"]}
        return self.store.page(self.store.summary_index(unit_code, args["campaign_id"]), self.store.summary,
                               args["limit"], args["cursor"], keep=lambda record: domain.matches(record, **filters))

    @rpc
    @allow(COMMITTEE, OPS, unit="own")
    def get_summary(self, summary_id):
        args = load(schemas.SummaryArgs, {"summary_id": summary_id})
        summary = self._found(self.store.load(self.store.summary(args["summary_id"])), "总结")
        self.auth.caller.require_owner(unit=summary["unit_code"])
        return summary

    @rpc
    @allow(COMMITTEE, unit="own")
    def submit_summary(self, summary_id, summary):
        args = load(schemas.SubmitSummaryArgs, {"summary_id": summary_id, "summary": summary})
        caller = self.auth.caller

        def work(tx):
            before = self._found(tx.get(self.store.summary(args["summary_id"])), "总结")
            caller.require_owner(unit=before["unit_code"])
            at = clock.now()
            submitted, origins = domain.submit_summary(before, args["summary"], at)
            opened = self._forward(tx, origins, self._terms(tx, before["campaign_id"]), at, caller.recipient)
            submitted["issue_ids"] = [issue["id"] for issue in opened]
            self.store.save_summary(tx, submitted, before)
            tx.emit("summary_submitted", submitted["id"], submitted["revision"], submitted)
            return submitted

        return self.store.transact(work)

    # Issues.

    @rpc
    @allow(COMMITTEE, OPS, unit="own", department="own")
    def list_issues(self, department=None, unit_code=None, campaign_id=None, status=None, limit=50, cursor=None):
        args = load(schemas.ListIssuesArgs, {"department": department, "unit_code": unit_code,
                                             "campaign_id": campaign_id, "status": status, "limit": limit,
                                             "cursor": cursor})
        unit_code, department = self.auth.caller.scope(args["unit_code"], args["department"])
        filters = {"department": department, "unit_code": unit_code, "campaign_id": args["campaign_id"],
                   "status": args["status"]}
        return self.store.page(self.store.issue_index(**filters), self.store.issue, args["limit"], args["cursor"],
                               keep=lambda record: domain.matches(record, **filters))

    @rpc
    @allow(COMMITTEE, OPS, unit="own", department="own")
    def get_issue(self, issue_id):
        args = load(schemas.IssueArgs, {"issue_id": issue_id})
        issue = self._found(self.store.load(self.store.issue(args["issue_id"])), "问题")
        self.auth.caller.require_owner(unit=issue["unit_code"], department=issue["department"])
        return issue

    @rpc
    @allow(COMMITTEE, department="own")
    def acknowledge_issue(self, issue_id):
        args = load(schemas.IssueArgs, {"issue_id": issue_id})
        return self._change_issue(args["issue_id"], assigned_department,
                                  lambda tx, issue, by, at: issues.acknowledge(issue, by, at))

    @rpc
    @allow(COMMITTEE, department="own")
    def answer_issue(self, issue_id, answer):
        args = load(schemas.AnswerIssueArgs, {"issue_id": issue_id, "answer": answer})
        return self._change_issue(args["issue_id"], assigned_department,
                                  lambda tx, issue, by, at: issues.answer(issue, args["answer"], by, at))

    @rpc
    @allow(COMMITTEE, department="own")
    def transfer_issue(self, issue_id, department, reason):
        args = load(schemas.TransferIssueArgs, {"issue_id": issue_id, "department": department, "reason": reason})
        target = args["department"]

        def step(tx, issue, by, at):
            if target is not None and tx.get(self.store.department(target)) is None:
                raise NotFound("司局不存在(Department not found).")
            return issues.transfer(issue, target, args["reason"], self._terms(tx, issue["campaign_id"]), by, at)

        return self._change_issue(args["issue_id"], assigned_department, step)

    @rpc
    @allow(COMMITTEE, unit="own")
    def rate_issue(self, issue_id, rating):
        args = load(schemas.RateIssueArgs, {"issue_id": issue_id, "rating": rating})
        return self._change_issue(args["issue_id"], reporting_unit, lambda tx, issue, by, at: issues.rate(
            issue, args["rating"], self._terms(tx, issue["campaign_id"]), by, at))

    def _change_issue(self, issue_id, owner, step):
        """Apply `step(tx, issue, by, at) -> (issue, event_type)` if the caller is the issue's `owner`."""
        caller = self.auth.caller

        def work(tx):
            before = self._found(tx.get(self.store.issue(issue_id)), "问题")
            caller.require_owner(**owner(before))
            issue, event_type = step(tx, before, caller.recipient, clock.now())
            self.store.save_issue(tx, issue, before)
            tx.emit(event_type, issue["id"], issue["revision"], issue)
            return issue

        return self.store.transact(work)

    @staticmethod
    def _found(record, what):
        if record is None:
            raise NotFound(f"{what}不存在(Not found).")
        return record

    # Deadlines: only what has fallen due is read, through the due sets.

    @rpc
    @allow(COMMITTEE, OPS)
    def check_deadlines(self, now=None):
        return self._check_deadlines(effective_now(self.config, now))

    @configured_timer("DEADLINE_CHECK_INTERVAL", 60)
    def check_deadlines_on_schedule(self):
        try:
            self._check_deadlines(clock.now())
        except Exception as exc:
            # The next tick tries again; a Redis or broker outage is not worth a traceback a minute.
            log.warning("deadline check failed (%s); next tick retries", type(exc).__name__)

    def _check_deadlines(self, now):
        counts = {"summary_overdue": 0, "issue_overdue": {issues.ACK: 0, issues.ANSWER: 0}}
        for summary_id in self.store.fallen_due(SUMMARY_DUE, now):
            counts["summary_overdue"] += self.store.transact(partial(self._summary_overdue, summary_id, now))
        for kind in (issues.ACK, issues.ANSWER):
            for issue_id in self.store.fallen_due(kind, now):
                counts["issue_overdue"][kind] += self.store.transact(partial(self._issue_overdue, issue_id, kind, now))
        return counts

    def _summary_overdue(self, summary_id, now, tx):
        before = tx.get(self.store.summary(summary_id))
        if before is None or not domain.summary_fell_due(before, now):
            return 0
        summary = domain.mark_summary_overdue(before, now)
        self.store.save_summary(tx, summary, before)
        tx.emit("summary_overdue", summary["id"], summary["revision"], summary)
        return 1

    def _issue_overdue(self, issue_id, kind, now, tx):
        before = tx.get(self.store.issue(issue_id))
        if before is None or not issues.fell_due(before, kind, now):
            return 0
        issue, event_type = issues.mark_overdue(before, kind, now)
        self.store.save_issue(tx, issue, before)
        tx.emit(event_type, issue["id"], issue["revision"], {**issue, "kind": kind})
        return 1
