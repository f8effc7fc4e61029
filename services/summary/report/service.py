"""The campaign report's entrypoints, mixed into the summary service: handlers that keep the
counters as pairing's and activity's events arrive, and `campaign_report`.

Every counted event type has its own queue (`evt-<source>-<event_type>--summary.count_report_event`),
all handled by one method since the report folds any of them the same way. Summary's own events
are counted by the transactions that emit them, and `activity_completed` by the one that requests
its summary (report/store.py, CountedTransaction): no queue of theirs. The service class provides
`auth`."""
from services.common.auth import COMMITTEE, OPS, allow
from services.common.consumer import handles
from services.common.errors import require_found
from services.common.rpc import rpc
from services.common.schemas import load
from services.common.storage import Storage

from . import counters
from .schemas import CampaignReportArgs
from .store import ReportStore


class ReportEndpoints:
    report_store = Storage(ReportStore)

    @handles("pairing", "campaign_created", "campaign_updated", *counters.UNIT_EVENTS)
    @handles("activity", "activity_planned", "activity_cancelled")
    def count_report_event(self, event):
        self.report_store.count([event])

    @handles("pairing", "unit_registered")
    def remember_name(self, event):
        self.report_store.count([event])

    @rpc
    @allow(COMMITTEE, OPS)
    def campaign_report(self, campaign_id):
        args = load(CampaignReportArgs, {"campaign_id": campaign_id})
        return require_found(self.report_store.report(args["campaign_id"]), "专项活动统计")
