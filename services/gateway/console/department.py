"""A department's pages (issue 13): its issues with due dates and overdue marks (acknowledge, answer
with measures and resolved, transfer with a reason), its inbox and its webhooks."""
from services.common import clock

from . import marks
from .shared import INBOX, Page, department_options, rpc


def issues(ctx):
    status = ctx.arg("status")
    page = ctx.page_of("summary", "list_issues", department=ctx.caller.department,
                       **({"status": status} if status else {}))
    return {"issues": {**page, "items": marks.overdue_first(page["items"], clock.now())},
            "departments": department_options(ctx), "status": status}


def webhooks(ctx):
    return {"webhooks": ctx.page_of("notification", "list_webhooks", recipient=ctx.caller.recipient)}


PAGES = {
    "issues": Page("转办问题", "department/issues.html", issues,
                   {"acknowledge_issue": rpc("summary", "acknowledge_issue"),
                    "answer_issue": rpc("summary", "answer_issue"),
                    "transfer_issue": rpc("summary", "transfer_issue")}),
    "inbox": INBOX,
    "webhooks": Page("Webhook", "department/webhooks.html", webhooks,
                     {"register_webhook": rpc("notification", "register_webhook"),
                      "delete_webhook": rpc("notification", "delete_webhook")}),
}
