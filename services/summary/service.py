"""Summary (活动总结与问题转办): summary requests, departments, issue forwarding, deadlines.

Entrypoints only: each loads its input, calls the store (every state change is one of its
transactions) and returns."""
from nameko.dependency_providers import Config
from services.common.rpc_queue import rpc

from services.common import clock, web
from services.common.auth import COMMITTEE, DEPARTMENT, OPS, UNIT, Auth, allow
from services.common.consumer import reliable_event_handler
from services.common.schemas import load
from services.common.timers import configured_timer, effective_now

from . import domain, report_service, schemas
from .seed import SeededStorage
from .store import SummaryStore


class SummaryService(web.Observable, report_service.ReportEndpoints):
    name = "summary"

    auth = Auth()
    store = SeededStorage(SummaryStore)
    config = Config()

    # Campaign terms, projected from pairing's events.

    @reliable_event_handler("pairing", "campaign_created")
    def on_campaign_created(self, event):
        self.store.project_campaign(load(schemas.CampaignTerms, event["data"]), event["seq"])

    @reliable_event_handler("pairing", "campaign_updated")
    def on_campaign_updated(self, event):
        self.store.project_campaign(load(schemas.CampaignTerms, event["data"]), event["seq"])

    # A completed activity: one summary request and its business problems forwarded. Raises while
    # the campaign's terms are unknown here, so the consumer retries it (docs/summary.md).

    @reliable_event_handler("activity", "activity_completed")
    def on_activity_completed(self, event):
        self.store.request_summary(load(schemas.CompletedActivity, event["data"]))

    # Departments.

    @rpc
    @allow(COMMITTEE)
    def register_department(self, department, request_id=None):
        args = load(schemas.RegisterDepartmentArgs, {"department": department, "request_id": request_id})
        return self.store.register_department(args["department"], args["request_id"])

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
        summary = self.store.load_found(self.store.summary(args["summary_id"]), "总结")
        self.auth.caller.require_owner(unit=summary["unit_code"])
        return summary

    @rpc
    @allow(COMMITTEE, unit="own")
    def submit_summary(self, summary_id, summary):
        args = load(schemas.SubmitSummaryArgs, {"summary_id": summary_id, "summary": summary})
        return self.store.submit_summary(args["summary_id"], args["summary"], self._reporting_unit,
                                         self.auth.caller.recipient)

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
        issue = self.store.load_found(self.store.issue(args["issue_id"]), "问题")
        self.auth.caller.require_owner(unit=issue["unit_code"], department=issue["department"])
        return issue

    @rpc
    @allow(COMMITTEE, department="own")
    def acknowledge_issue(self, issue_id):
        args = load(schemas.IssueArgs, {"issue_id": issue_id})
        return self.store.acknowledge_issue(args["issue_id"], self._assigned_department, self.auth.caller.recipient)

    @rpc
    @allow(COMMITTEE, department="own")
    def answer_issue(self, issue_id, answer):
        args = load(schemas.AnswerIssueArgs, {"issue_id": issue_id, "answer": answer})
        return self.store.answer_issue(args["issue_id"], args["answer"], self._assigned_department,
                                       self.auth.caller.recipient)

    @rpc
    @allow(COMMITTEE, department="own")
    def transfer_issue(self, issue_id, department, reason):
        args = load(schemas.TransferIssueArgs, {"issue_id": issue_id, "department": department, "reason": reason})
        return self.store.transfer_issue(args["issue_id"], args["department"], args["reason"],
                                         self._assigned_department, self.auth.caller.recipient)

    @rpc
    @allow(COMMITTEE, unit="own")
    def rate_issue(self, issue_id, rating):
        args = load(schemas.RateIssueArgs, {"issue_id": issue_id, "rating": rating})
        return self.store.rate_issue(args["issue_id"], args["rating"], self._reporting_unit,
                                     self.auth.caller.recipient)

    # Who may change a record, checked by the store on the record it read under WATCH.

    def _assigned_department(self, issue):
        self.auth.caller.require_owner(department=issue["department"])

    def _reporting_unit(self, record):
        self.auth.caller.require_owner(unit=record["unit_code"])

    # Deadlines: only what has fallen due is read, through the due sets.

    @rpc
    @allow(COMMITTEE, OPS)
    def check_deadlines(self, now=None):
        return self.store.check_deadlines(effective_now(self.config, now))

    @configured_timer("DEADLINE_CHECK_INTERVAL", 60)
    def check_deadlines_on_schedule(self):
        # A failed tick is logged as one warning line by the timer; the next tick tries again.
        self.store.check_deadlines(clock.now())
