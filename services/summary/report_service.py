"""The campaign report's entrypoints, mixed into the summary service: handlers that keep the
counters as pairing's, activity's and summary's own events arrive, and `campaign_report`.

Every counted event type has its own queue (`evt-<source>-<event_type>--summary.count_report_event`),
all handled by one method since the report folds any of them the same way. The service class
provides `auth`."""
from services.common.rpc_queue import rpc

from services.common.auth import COMMITTEE, OPS, allow
from services.common.consumer import reliable_event_handler
from services.common.errors import NotFound
from services.common.schemas import load
from services.common.storage import Storage

from .report_schemas import CampaignReportArgs
from .report_store import ReportStore


class ReportEndpoints:
    report_store = Storage(ReportStore)

    @reliable_event_handler("pairing", "campaign_created")
    @reliable_event_handler("pairing", "campaign_updated")
    @reliable_event_handler("pairing", "pairing_reported")
    @reliable_event_handler("pairing", "pairing_withdrawn")
    @reliable_event_handler("pairing", "pairing_approved")
    @reliable_event_handler("pairing", "pairing_rejected")
    @reliable_event_handler("activity", "activity_planned")
    @reliable_event_handler("activity", "activity_completed")
    @reliable_event_handler("activity", "activity_cancelled")
    @reliable_event_handler("summary", "summary_requested")
    @reliable_event_handler("summary", "summary_submitted")
    @reliable_event_handler("summary", "summary_overdue")
    @reliable_event_handler("summary", "issue_forwarded")
    @reliable_event_handler("summary", "issue_acknowledged")
    @reliable_event_handler("summary", "issue_answered")
    @reliable_event_handler("summary", "issue_transferred")
    @reliable_event_handler("summary", "issue_reopened")
    @reliable_event_handler("summary", "issue_closed")
    @reliable_event_handler("summary", "issue_overdue")
    def count_report_event(self, event):
        self.report_store.count([event])

    @reliable_event_handler("pairing", "unit_registered")
    @reliable_event_handler("summary", "department_registered")
    def remember_name(self, event):
        self.report_store.remember_name(event)

    @rpc
    @allow(COMMITTEE, OPS)
    def campaign_report(self, campaign_id):
        args = load(CampaignReportArgs, {"campaign_id": campaign_id})
        result = self.report_store.report(args["campaign_id"])
        if result is None:
            raise NotFound("未找到该专项活动的统计数据(Unknown campaign).")
        return result
