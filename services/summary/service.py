"""Summary (活动总结与问题转办): summary requests, departments, issue forwarding, deadlines.

Entrypoints only: each loads its input with its schema, calls one use case (usecases.py) and
returns. The campaign report's entrypoints are mixed in from report/service.py. Mixins are named
through their modules: `nameko run services.summary.service` starts every class of this module
that has entrypoints."""
from services.common import deadlines, units, web
from services.common.auth import COMMITTEE, DEPARTMENT, OPS, UNIT, Auth, allow
from services.common.consumer import handles
from services.common.events import CompletedActivity
from services.common.calls import request_of
from services.common.rpc import rpc
from services.common.schemas import load

from . import schemas, usecases
from .report import service as report_service
from .seed import SeededStorage
from .store import SummaryStore


class SummaryService(web.Observable, report_service.ReportEndpoints, deadlines.DeadlineEntrypoints,
                     units.UnitStatus):
    name = "summary"

    auth = Auth()
    store = SeededStorage(SummaryStore)
    scrape_gauges = web.ScrapeGauges(SummaryStore)

    def _request(self, method, args):
        """The idempotency key of a state-changing call (contract §3 v2)."""
        return request_of(method, self.auth.caller, args)

    # Campaign terms, projected from pairing's events.

    @handles("pairing", "campaign_created", "campaign_updated")
    def on_campaign_event(self, event):
        usecases.project_campaign(self.store, load(schemas.CampaignTerms, event["data"]), event["seq"])

    # A completed activity: one summary request and its business problems forwarded, the completion
    # counted in the report with them. Raises while the campaign's terms are unknown here, so the
    # consumer retries it (docs/summary.md).

    @handles("activity", "activity_completed")
    def on_activity_completed(self, event):
        usecases.request_summary(self.store, load(CompletedActivity, event["data"]), event)

    # Departments.

    @rpc
    @allow(COMMITTEE)
    def register_department(self, department, request_id=None):
        args = load(schemas.RegisterDepartmentArgs, {"department": department, "request_id": request_id})
        return usecases.register_department(self.store, args["department"],
                                            self._request("register_department", args))

    @rpc
    @allow(COMMITTEE)
    def update_department(self, code, changes, request_id=None):
        args = load(schemas.UpdateDepartmentArgs, {"code": code, "changes": changes, "request_id": request_id})
        return usecases.update_department(self.store, args["code"], args["changes"],
                                          self._request("update_department", args))

    @rpc
    @allow(COMMITTEE)
    def deactivate_department(self, code, request_id=None):
        args = load(schemas.DepartmentArgs, {"code": code, "request_id": request_id})
        return usecases.deactivate_department(self.store, args["code"], self._request("deactivate_department", args))

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
        index = self.store.summary_index(unit_code, args["campaign_id"], args["status"])
        return self.store.page(index, self.store.summary_key, args["limit"], args["cursor"])

    @rpc
    @allow(COMMITTEE, OPS, unit="own")
    def get_summary(self, summary_id):
        args = load(schemas.SummaryArgs, {"summary_id": summary_id})
        return usecases.get_summary(self.store, self.auth.caller, args["summary_id"])

    @rpc
    @allow(COMMITTEE, unit="own")
    def submit_summary(self, summary_id, summary, request_id=None):
        args = load(schemas.SubmitSummaryArgs, {"summary_id": summary_id, "summary": summary,
                                                "request_id": request_id})
        return usecases.submit_summary(self.store, self.auth.caller, args["summary_id"], args["summary"],
                                       self._request("submit_summary", args))

    # Issues.

    @rpc
    @allow(COMMITTEE, OPS, unit="own", department="own")
    def list_issues(self, department=None, unit_code=None, campaign_id=None, status=None, limit=50, cursor=None):
        args = load(schemas.ListIssuesArgs, {"department": department, "unit_code": unit_code,
                                             "campaign_id": campaign_id, "status": status, "limit": limit,
                                             "cursor": cursor})
        unit_code, department = self.auth.caller.scope(args["unit_code"], args["department"])
        index = self.store.issue_index(department, unit_code, args["campaign_id"], args["status"])
        return self.store.page(index, self.store.issue_key, args["limit"], args["cursor"])

    @rpc
    @allow(COMMITTEE, OPS, unit="own", department="own")
    def get_issue(self, issue_id):
        args = load(schemas.IssueArgs, {"issue_id": issue_id})
        return usecases.get_issue(self.store, self.auth.caller, args["issue_id"])

    @rpc
    @allow(COMMITTEE, department="own")
    def acknowledge_issue(self, issue_id, request_id=None):
        args = load(schemas.AcknowledgeIssueArgs, {"issue_id": issue_id, "request_id": request_id})
        return usecases.acknowledge_issue(self.store, self.auth.caller, args["issue_id"],
                                          self._request("acknowledge_issue", args))

    @rpc
    @allow(COMMITTEE, department="own")
    def answer_issue(self, issue_id, answer, request_id=None):
        args = load(schemas.AnswerIssueArgs, {"issue_id": issue_id, "answer": answer, "request_id": request_id})
        return usecases.answer_issue(self.store, self.auth.caller, args["issue_id"], args["answer"],
                                     self._request("answer_issue", args))

    @rpc
    @allow(COMMITTEE, department="own")
    def transfer_issue(self, issue_id, department, reason, request_id=None):
        args = load(schemas.TransferIssueArgs, {"issue_id": issue_id, "department": department, "reason": reason,
                                                "request_id": request_id})
        return usecases.transfer_issue(self.store, self.auth.caller, args["issue_id"], args["department"],
                                       args["reason"], self._request("transfer_issue", args))

    @rpc
    @allow(COMMITTEE, unit="own")
    def rate_issue(self, issue_id, rating, request_id=None):
        args = load(schemas.RateIssueArgs, {"issue_id": issue_id, "rating": rating, "request_id": request_id})
        return usecases.rate_issue(self.store, self.auth.caller, args["issue_id"], args["rating"],
                                   self._request("rate_issue", args))

    # Deadlines (the check_deadlines RPC and its timer come from DeadlineEntrypoints).

    def run_deadline_checks(self, now):
        return usecases.check_deadlines(self.store, now)
