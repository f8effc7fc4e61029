"""Summaries (活动总结) and campaign terms: the campaign's rules as plain functions on dicts
(departments and routing are in departments.py, an issue's life in issues.py).

Times come in as aware datetimes and are stored as ISO text in +08:00. Every change returns a new
record whose `revision` grew by one: it is the `seq` of the event that announces the change."""
from services.common import clock, projection
from services.common.errors import Conflict, NotFound
from services.common.records import created, revised

from .records import REQUESTED, SUBMITTED

# Contract §3 create_campaign defaults: the terms of a campaign event that leaves one out, and of
# an RPC on a record whose campaign is unknown here.
DEFAULT_TERMS = {"summary_due_days": 7, "issue_ack_days": 2, "issue_answer_days": 15}


class CampaignNotYetKnown(NotFound):
    """activity_completed arrived before its campaign's terms: the consumer retries it later."""


# Campaigns: the terms this service needs, projected from pairing's events.

def project_campaign(current, data, seq):
    """The new projection of a campaign event, or None when `current` already holds a newer one."""
    if not projection.is_newer(seq, current):
        return None
    return {"id": data["id"], "name": data["name"], "seq": seq,
            **{term: data.get(term, default) for term, default in DEFAULT_TERMS.items()}}


def campaign_terms(campaign):
    """The terms an RPC uses (a transfer, a 重办, a summary's issues): the defaults when unknown."""
    if campaign is None:
        return dict(DEFAULT_TERMS)
    return {term: campaign[term] for term in DEFAULT_TERMS}


def known_campaign_terms(campaign):
    """The terms a completed activity's due dates are computed from: never guessed, since they are
    stored for good; a campaign not projected yet is an error the event is retried on."""
    if campaign is None:
        raise CampaignNotYetKnown("专项活动尚未同步(Campaign terms not received yet).")
    return campaign_terms(campaign)


# Summaries.

def first_request(requested_id):
    """One summary request per activity (contract §4), however often its completion is announced:
    `requested_id` is the request already made for it, if any."""
    return requested_id is None


def request_summary(summary_id, activity, terms, at):
    """The summary request that completing `activity` (its `activity_completed` data) sends to its unit."""
    due = clock.days_later(clock.parse(activity["completed_at"]), terms["summary_due_days"])
    return created(summary_id, at, activity_id=activity["id"], campaign_id=activity["campaign_id"],
                   unit_code=activity["unit_code"], status=REQUESTED, due_at=clock.iso(due),
                   submitted_at=None, late=False, overdue=False, content=None, issue_ids=[])


def _origin(record, kind, description, category, countermeasure=None):
    """What an issue is about and where it came from (see issues.open_issue)."""
    return {"campaign_id": record["campaign_id"], "unit_code": record["unit_code"],
            "source": {"kind": kind, "id": record["id"]}, "description": description, "category": category,
            "countermeasure": countermeasure}


def activity_issues(activity):
    """The issues of a completion report: every business-related problem, resolved on site or not."""
    return [_origin(activity, "activity", problem["description"], problem["category"])
            for problem in activity["report"]["problems"] if problem["business_related"]]


def submit_summary(summary, content, at):
    """The submitted summary and the issues its business problems raise (their ids go in `issue_ids`)."""
    if summary["status"] == SUBMITTED:
        raise Conflict("总结已提交(Summary already submitted).")
    submitted = revised(summary, at, status=SUBMITTED, submitted_at=clock.iso(at),
                        late=at > clock.parse(summary["due_at"]), content=content)
    origins = [_origin(summary, "summary", item["description"], item["category"], item["countermeasure"])
               for item in content["business_issues"]]
    return submitted, origins


def summary_pending_due(summary):
    """The due time still to be watched for this summary, or None."""
    if summary["status"] == REQUESTED and not summary["overdue"]:
        return summary["due_at"]
    return None


def summary_open_due(summary):
    """The due time of a summary not yet submitted (overdue or not), or None (the overdue gauge)."""
    return summary["due_at"] if summary["status"] == REQUESTED else None


def summary_fell_due(summary, now):
    due = summary_pending_due(summary)
    return due is not None and now > clock.parse(due)


def mark_summary_overdue(summary, at):
    return revised(summary, at, overdue=True)
