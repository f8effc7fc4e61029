"""A department's pages (issue 13): its issues with due dates and overdue marks (acknowledge, answer
with measures and resolved, transfer with a reason), its inbox and its webhooks."""
from services.common import clock

from .shared import INBOX, WEBHOOKS, Page, issue_page, rpc


def issues(ctx):
    status = ctx.arg("status")
    page = ctx.page_of("summary", "list_issues", department=ctx.caller.department,
                       **({"status": status} if status else {}))
    variables = issue_page(ctx, page, clock.now(), status=status)
    # Transferring to itself is no transfer: the list names the others.
    variables["departments"] = [(code, name) for code, name in variables["departments"]
                                if code != ctx.caller.department]
    return variables



PAGES = {
    "issues": Page("转办问题", "department/issues.html", issues,
                   {"acknowledge_issue": rpc("summary", "acknowledge_issue"),
                    "answer_issue": rpc("summary", "answer_issue"),
                    "transfer_issue": rpc("summary", "transfer_issue")}),
    "inbox": INBOX,
    "webhooks": WEBHOOKS,
}
