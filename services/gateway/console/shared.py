"""What every role's pages share: the page record, an action that is one API call, the campaign in
the query, and the inbox (each caller reads only its own: the API checks the recipient)."""
from dataclasses import dataclass, field

from services.notification.recipients import audience_of, event_types_of

from .. import problems
from . import marks


@dataclass(frozen=True)
class Page:
    title: str
    template: str
    view: callable  # ctx -> template variables (or a whole Response, e.g. a download)
    actions: dict = field(default_factory=dict)  # form action -> fn(ctx, args) calling the API


class Outcome(dict):
    """What an action shows on its page instead of redirecting (an import's row by row results)."""


def rpc(service, method):
    """An action whose form fields are exactly the method's arguments."""
    return lambda ctx, args: ctx.api(service, method, **args)


def campaign_id(ctx):
    value = ctx.arg("campaign_id")
    if value is None:
        raise problems.Problem(404, "NotFound", "请先选择活动(No campaign chosen).")
    return value


def departments(ctx):
    """Every department (at most 200: there are a few)."""
    return ctx.api("summary", "list_departments", limit=200)["items"]


def issue_page(ctx, page, now, **variables):
    """An issue board's variables: its page with the overdue marks (overdue first), the departments
    to transfer to (the active ones) and every department's name by code (cards show names, not codes)."""
    listed = departments(ctx)
    return {"issues": {**page, "items": marks.overdue_first(page["items"], now)},
            "departments": [(d["code"], d["name"]) for d in listed if d.get("active", True)],
            "department_names": {d["code"]: d["name"] for d in listed}, **variables}


def inbox(ctx):
    return {"notifications": ctx.page_of("notification", "list_inbox", recipient=ctx.caller.recipient,
                                          unread_only=ctx.arg("unread") == "true")}


INBOX = Page("消息", "inbox.html", inbox, {"mark_read": rpc("notification", "mark_read")})


def webhooks(ctx):
    """The caller's own webhooks, each with its deliveries' page, and the events it may subscribe to
    (those its inbox is told of: notification's rule, contract §8)."""
    recipient = ctx.caller.recipient
    hooks = ctx.page_of("notification", "list_webhooks", recipient=recipient)
    chosen = ctx.arg("webhook_id")
    return {"webhooks": hooks, "event_types": event_types_of(audience_of(recipient)), "chosen": chosen,
            "deliveries": deliveries_of(ctx, chosen)}


def deliveries_of(ctx, webhook_id):
    """A page of the chosen webhook's deliveries; none once it is deleted (the page it was deleted
    from comes back with it still chosen)."""
    if not webhook_id:
        return None
    try:
        return ctx.api("notification", "list_deliveries", webhook_id=webhook_id, limit=20, cursor=ctx.arg("dcursor"))
    except problems.Problem as problem:
        if problem.status == 404:
            return None
        raise


WEBHOOKS = Page("消息推送", "webhooks.html", webhooks,
                {"register_webhook": rpc("notification", "register_webhook"),
                 "delete_webhook": rpc("notification", "delete_webhook"),
                 "redeliver": rpc("notification", "redeliver")})
