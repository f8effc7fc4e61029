"""What every role's pages share: the page record, an action that is one API call, the campaign in
the query, and the inbox (each caller reads only its own: the API checks the recipient)."""
from dataclasses import dataclass, field

from .. import problems


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


def department_options(ctx):
    """(code, name) of the departments an issue can be transferred to (at most 200: there are a few)."""
    return [(d["code"], d["name"]) for d in ctx.api("summary", "list_departments", limit=200)["items"]
            if d.get("active", True)]


def inbox(ctx):
    return {"notifications": ctx.page_of("notification", "list_inbox", recipient=ctx.caller.recipient,
                                          unread_only=ctx.arg("unread") == "true")}


INBOX = Page("消息", "inbox.html", inbox, {"mark_read": rpc("notification", "mark_read")})
