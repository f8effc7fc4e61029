"""Every RPC the gateway serves (contract §7): (service, method) -> the marshmallow `...Args` schema
the service validates that method's arguments with. The schemas give the OpenAPI document its
request shapes and convert GET query parameters; the services still validate everything themselves.

Kept explicit on purpose: tests/unit/test_gateway_catalogue.py compares it with the `@rpc`
entrypoints of every service class, so a new method cannot be forgotten here."""
from dataclasses import dataclass

from services.activity import schemas as activity
from services.common.deadlines import CheckArgs
from services.common.rpc import is_read_only
from services.common.schemas import moment
from services.notification import schemas as notification
from services.pairing import schemas as pairing
from services.summary.report import schemas as report_schemas
from services.summary import schemas as summary


class CheckDeadlinesArgs(CheckArgs):
    """`check_deadlines(now=None, request_id=None)` (services.common.deadlines): `CheckArgs` loads its
    request_id, and `now` is read by services.common.timers.effective_now where it is allowed."""

    now = moment(load_default=None, allow_none=True)


@dataclass(frozen=True)
class Operation:
    service: str
    method: str
    schema: type

    @property
    def read_only(self):
        return is_read_only(self.method)

    @property
    def http_methods(self):
        return ("GET", "POST") if self.read_only else ("POST",)

    @property
    def takes_request_id(self):
        return "request_id" in self.schema._declared_fields


CATALOGUE = {
    "pairing": {
        "create_campaign": pairing.CreateCampaignArgs,
        "carry_over_campaign": pairing.CarryOverCampaignArgs,
        "update_campaign": pairing.UpdateCampaignArgs,
        "get_campaign": pairing.CampaignArgs,
        "list_campaigns": pairing.ListCampaignsArgs,
        "register_unit": pairing.RegisterUnitArgs,
        "deactivate_unit": pairing.DeactivateUnitArgs,
        "get_unit": pairing.UnitArgs,
        "list_units": pairing.ListUnitsArgs,
        "report_pairing": pairing.ReportPairingArgs,
        "withdraw_pairing": pairing.WithdrawPairingArgs,
        "review_pairing": pairing.ReviewPairingArgs,
        "get_pairing": pairing.PairingArgs,
        "list_pairings": pairing.ListPairingsArgs,
        "reporting_progress": pairing.CampaignArgs,
        "check_deadlines": CheckDeadlinesArgs,
    },
    "activity": {
        "plan_activity": activity.PlanActivityArgs,
        "update_activity": activity.UpdateActivityArgs,
        "complete_activity": activity.CompleteActivityArgs,
        "cancel_activity": activity.CancelActivityArgs,
        "get_activity": activity.ActivityIdArgs,
        "list_activities": activity.ListActivitiesArgs,
    },
    "summary": {
        "register_department": summary.RegisterDepartmentArgs,
        "update_department": summary.UpdateDepartmentArgs,
        "deactivate_department": summary.DepartmentArgs,
        "list_departments": summary.ListDepartmentsArgs,
        "list_summaries": summary.ListSummariesArgs,
        "get_summary": summary.SummaryArgs,
        "submit_summary": summary.SubmitSummaryArgs,
        "list_issues": summary.ListIssuesArgs,
        "get_issue": summary.IssueArgs,
        "acknowledge_issue": summary.AcknowledgeIssueArgs,
        "answer_issue": summary.AnswerIssueArgs,
        "transfer_issue": summary.TransferIssueArgs,
        "rate_issue": summary.RateIssueArgs,
        "campaign_report": report_schemas.CampaignReportArgs,
        "check_deadlines": CheckDeadlinesArgs,
    },
    "notification": {
        "list_inbox": notification.ListInboxArgs,
        "mark_read": notification.MarkReadArgs,
        "register_webhook": notification.RegisterWebhookArgs,
        "list_webhooks": notification.ListWebhooksArgs,
        "delete_webhook": notification.DeleteWebhookArgs,
        "list_deliveries": notification.ListDeliveriesArgs,
        "redeliver": notification.RedeliverArgs,
    },
}

OPERATIONS = {(service, method): Operation(service, method, schema)
              for service, methods in CATALOGUE.items() for method, schema in methods.items()}

# Not an RPC: the campaign report as a workbook, built by the gateway from `summary.campaign_report`.
EXPORT = ("summary", "export_report")


def operation(service, method):
    """The operation at /api/v1/<service>/<method>, or None."""
    return OPERATIONS.get((service, method))
