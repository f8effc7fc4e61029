"""A unit's pages (issue 13): its pairing per campaign (report, withdraw, the review), its activities
(plan, complete with the full report, cancel), its summaries with due dates, its issues (answers,
rating) and its inbox. Every read names the caller's own unit; the API refuses any other."""
from .shared import INBOX, Page, rpc


def own(ctx):
    return ctx.caller.unit


def pairing(ctx):
    campaigns = ctx.page_of("pairing", "list_campaigns")
    chosen = ctx.arg("campaign_id") or next((c["id"] for c in campaigns["items"]), None)
    pairings = [] if chosen is None else ctx.api("pairing", "list_pairings", campaign_id=chosen,
                                                   unit_code=own(ctx), limit=20)["items"]
    return {"campaigns": campaigns, "chosen": chosen, "pairings": pairings,
            "current": next((p for p in pairings if p["status"] in ("reported", "approved")), None)}


def activities(ctx):
    return {"activities": ctx.page_of("activity", "list_activities", unit_code=own(ctx)),
            "pairing_id": ctx.arg("pairing_id", "")}


def activity(ctx):
    return {"activity": ctx.api("activity", "get_activity", activity_id=ctx.arg("id", ""))}


def summaries(ctx):
    return {"summaries": ctx.page_of("summary", "list_summaries", unit_code=own(ctx))}


def summary(ctx):
    return {"summary": ctx.api("summary", "get_summary", summary_id=ctx.arg("id", ""))}


def issues(ctx):
    return {"issues": ctx.page_of("summary", "list_issues", unit_code=own(ctx))}


PAGES = {
    "pairing": Page("结对报送", "unit/pairing.html", pairing,
                    {"report_pairing": rpc("pairing", "report_pairing"),
                     "withdraw_pairing": rpc("pairing", "withdraw_pairing")}),
    "activities": Page("志愿服务活动", "unit/activities.html", activities,
                       {"plan_activity": rpc("activity", "plan_activity")}),
    "activity": Page("活动详情", "unit/activity.html", activity,
                     {"complete_activity": rpc("activity", "complete_activity"),
                      "cancel_activity": rpc("activity", "cancel_activity")}),
    "summaries": Page("活动总结", "unit/summaries.html", summaries),
    "summary": Page("填写总结", "unit/summary.html", summary, {"submit_summary": rpc("summary", "submit_summary")}),
    "issues": Page("问题转办", "unit/issues.html", issues, {"rate_issue": rpc("summary", "rate_issue")}),
    "inbox": INBOX,
}
