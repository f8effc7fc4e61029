"""The campaign report's entrypoints, mixed into the summary service: handlers that keep the
counters as pairing's and activity's events arrive, and `campaign_report`.

Every counted event type has its own queue (`evt-<source>-<event_type>--summary.count_report_event`),
all handled by one method since the report folds any of them the same way. Summary's own events
are counted by the transactions that emit them, and `activity_completed` by the one that requests
its summary (report/store.py, CountedTransaction): no queue of theirs. The service class provides
`auth`."""
from nameko.exceptions import RemoteError

from services.common.auth import COMMITTEE, OPS, allow
from services.common.consumer import handles
from services.common.errors import NotFound, Unavailable
from services.common.rpc import rpc
from services.common.rpc_proxy import NoAnswer, TimedRpcProxy, passed_on
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

    # Asked only for a campaign of which no event has been counted yet (below).
    campaigns = TimedRpcProxy("pairing", "PAIRING_RPC_TIMEOUT")

    @rpc
    @allow(COMMITTEE, OPS)
    def campaign_report(self, campaign_id):
        """The report; for a campaign of which no event has been counted yet, the empty report
        (`as_of` null, contract §5) once pairing confirms the campaign exists."""
        args = load(CampaignReportArgs, {"campaign_id": campaign_id})
        return self.report_store.report(args["campaign_id"],
                                        uncounted=lambda: known_campaign(self.campaigns, args["campaign_id"]))


def known_campaign(campaigns, campaign_id):
    """The campaign as pairing tells it, asked in the caller's name: `NotFound` if pairing knows no
    such campaign; pairing's `Unauthenticated` and `Unavailable` as they are, and a pairing that does
    not answer is `Unavailable` too (retry); anything else an `InternalError`."""
    try:
        return campaigns.get_campaign(campaign_id)
    except NoAnswer:
        raise Unavailable("结对服务暂时不可用, 请稍后重试(Pairing did not answer, retry).") from None
    except RemoteError as err:
        if err.exc_type in ("NotFound", "ValidationError"):
            raise NotFound("专项活动不存在(Unknown campaign).") from None
        raise passed_on(err, "pairing") or err
