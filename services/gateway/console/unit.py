"""A unit's pages (issue 13): its pairing per campaign (report, withdraw, the review), its activities
(plan, complete with the full report, cancel), its summaries with due dates, its issues (answers,
rating) and its inbox. Every read names the caller's own unit; the API refuses any other."""
from services.common import clock

from .. import problems
from .shared import INBOX, WEBHOOKS, Page, issue_page, rpc


def own(ctx):
    return ctx.caller.unit


def standing(ctx):
    """What every unit page shows of the unit itself: a deactivated unit reads its history but may
    change nothing (contract §3: its token is refused on every state change), so no form is drawn.
    Only a help: when pairing cannot say (a unit it does not know, an outage), the page is drawn as
    for an active unit and the API still judges every form."""
    try:
        return {"deactivated": not ctx.api("pairing", "get_unit", code=own(ctx))["active"]}
    except problems.Problem:
        return {}


def taking_part(ctx, campaigns):
    """The campaigns of a page the unit takes part in (the list names every campaign); for the
    committee, acting for the units, every one."""
    return [campaign for campaign in campaigns if own(ctx) is None or own(ctx) in campaign.get("participants", ())]


def pairing(ctx):
    listed = ctx.page_of("pairing", "list_campaigns")
    campaigns = {**listed, "items": taking_part(ctx, listed["items"])}
    chosen = ctx.arg("campaign_id") or next((c["id"] for c in campaigns["items"]), None)
    pairings = [] if chosen is None else ctx.api("pairing", "list_pairings", campaign_id=chosen,
                                                   unit_code=own(ctx), limit=20)["items"]
    return {"campaigns": campaigns, "chosen": chosen, "pairings": pairings,
            "current": next((p for p in pairings if p["status"] in ("reported", "approved")), None)}


def approved_pairings(ctx):
    """(pairing id, campaign and target) of the unit's approved pairings, the ones activities are
    planned for, in the campaigns it takes part in (of the latest 20: a unit has one a year)."""
    options = []
    for campaign in taking_part(ctx, ctx.api("pairing", "list_campaigns", limit=20)["items"]):
        approved = ctx.api("pairing", "list_pairings", campaign_id=campaign["id"], unit_code=own(ctx),
                           status="approved", limit=200)["items"]
        options += [(p["id"], f'{campaign["name"]} · {p["unit_code"]} · {p["target"]["name"]}') for p in approved]
    return options


def activities(ctx):
    return {"activities": ctx.page_of("activity", "list_activities", unit_code=own(ctx)),
            "pairing_id": ctx.arg("pairing_id", ""), "pairings": approved_pairings(ctx)}


def activity(ctx):
    return {"activity": ctx.api("activity", "get_activity", activity_id=ctx.arg("id", ""))}


def summaries(ctx):
    """The unit's summaries, each named by its activity's title (the latest 200 activities: a unit
    has a few a year)."""
    titles = {a["id"]: a["title"] for a in ctx.api("activity", "list_activities", unit_code=own(ctx),
                                                   status="completed", limit=200)["items"]}
    return {"summaries": ctx.page_of("summary", "list_summaries", unit_code=own(ctx)), "titles": titles}


def summary(ctx):
    record = ctx.api("summary", "get_summary", summary_id=ctx.arg("id", ""))
    return {"summary": record, "activity": ctx.api("activity", "get_activity", activity_id=record["activity_id"])}


def issues(ctx):
    return issue_page(ctx, ctx.page_of("summary", "list_issues", unit_code=own(ctx)), clock.now())


PAGES = {
    "pairing": Page("结对报送", "unit/pairing.html", pairing,
                    {"report_pairing": rpc("pairing", "report_pairing"),
                     "withdraw_pairing": rpc("pairing", "withdraw_pairing")}),
    "activities": Page("志愿服务活动", "unit/activities.html", activities,
                       {"plan_activity": rpc("activity", "plan_activity")}),
    "activity": Page("活动详情", "unit/activity.html", activity,
                     {"update_activity": rpc("activity", "update_activity"),
                      "complete_activity": rpc("activity", "complete_activity"),
                      "cancel_activity": rpc("activity", "cancel_activity")}),
    "summaries": Page("活动总结", "unit/summaries.html", summaries),
    "summary": Page("填写总结", "unit/summary.html", summary, {"submit_summary": rpc("summary", "submit_summary")}),
    "issues": Page("问题转办", "unit/issues.html", issues, {"rate_issue": rpc("summary", "rate_issue")}),
    "inbox": INBOX,
    "webhooks": WEBHOOKS,
}
