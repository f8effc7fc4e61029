"""The notification rules on plain dicts: the recipient directory kept from the bus, what a text
needs to know, the notification record, its e-mail addresses and the e-mail retry schedule."""
from services.common import clock
from services.common.ids import derived_id
from services.common.records import created, revised

from . import texts
from .recipients import COMMITTEE, DEPARTMENT, UNIT, recipients_of

PENDING, SENT, FAILED, SKIPPED = "pending", "sent", "failed", "skipped"

# event type -> (directory kind, the record's key field, the fields kept). Only what texts and
# e-mail need: names, the unit's party organisation, the contact e-mail and whether a unit is active.
UNIT_FIELDS = ("code", "name", "party_org", "contact_email", "active")
CAMPAIGN_FIELDS = ("id", "name", "year", "region", "report_deadline")
ACTIVITY_FIELDS = ("id", "title")
DIRECTORY = {
    "unit_registered": ("unit", "code", UNIT_FIELDS),
    "unit_deactivated": ("unit", "code", UNIT_FIELDS),
    "department_registered": ("department", "code", ("code", "name", "contact_email")),
    "campaign_created": ("campaign", "id", CAMPAIGN_FIELDS),
    "campaign_updated": ("campaign", "id", CAMPAIGN_FIELDS),
    "activity_planned": ("activity", "id", ACTIVITY_FIELDS),
    "activity_updated": ("activity", "id", ACTIVITY_FIELDS),
}


def directory_entry(event):
    """(kind, key, entry) that an event puts in the directory; the entry remembers the event's seq."""
    kind, key_field, kept = DIRECTORY[event["event_type"]]
    data = event["data"]
    entry = {name: data.get(name) for name in kept}
    entry["seq"] = event["seq"]
    return kind, data[key_field], entry


def directory_refs(data):
    """The directory entries a text about this record names: {kind: key or None}."""
    source = data.get("source") or {}
    activity = data.get("activity_id") or (source.get("id") if source.get("kind") == "activity" else None)
    return {"campaign": data.get("campaign_id"), "unit": data.get("unit_code"),
            "department": data.get("department"), "activity": activity}


def text_context(data, directory):
    """What the templates see: the event's record and the names from the directory, each falling
    back to its code when the directory has not heard of it yet."""
    campaign = directory.get("campaign") or {}
    unit = directory.get("unit") or {}
    department = directory.get("department") or {}
    activity = directory.get("activity") or {}
    activity_id = directory_refs(data)["activity"]
    history = data.get("history") or [{}]
    return {
        "record": data,
        "campaign": {"name": campaign.get("name") or data.get("campaign_id"),
                     "region": campaign.get("region"), "report_deadline": campaign.get("report_deadline")},
        "unit": {"code": data.get("unit_code"), "name": unit.get("name") or data.get("unit_code"),
                 "party_org": unit.get("party_org")},
        "department": {"code": data.get("department"),
                       "name": department.get("name") or data.get("department")},
        "activity": {"title": activity.get("title") or (f"编号 {activity_id}" if activity_id else None)},
        "review_comment": data.get("review_comment"),
        "latest_note": (history[-1] or {}).get("note"),
    }


def notification_id(event, recipient):
    """One id per fact and recipient. A fact is (event type, subject, seq): a record's events carry
    its revision as seq, a deadline notice a fixed seq under `<campaign>:<unit>`. So a redelivery,
    and the same fact announced again under a new `event_id`, find the notification already made."""
    return derived_id("notification", [event["event_type"], event["subject"], event["seq"], recipient])


def new_notification(event, recipient, title, body, email, now):
    return created(
        notification_id(event, recipient), now, recipient=recipient,
        event_id=event["event_id"], event_type=event["event_type"], subject=event["subject"], seq=event["seq"],
        title=title, body=body, read_at=None, email=email, email_attempts=0, email_error=None, email_sent_at=None)


def notifications_for(event, directory, committee, mail_configured, now):
    """[(notification, e-mail addresses)], one for each recipient of `event`."""
    data = event["data"]
    context = text_context(data, directory)
    drafts = []
    for audience, recipient in recipients_of(event["event_type"], data):
        title, body = texts.render(audience, event["event_type"], context)
        to = addresses(audience, directory, committee)
        drafts.append((new_notification(event, recipient, title, body, email_status(to, mail_configured), now), to))
    return drafts


def committee_emails(setting):
    """COMMITTEE_EMAILS: comma-separated text or a YAML list; empty or None means none."""
    if not setting:
        return []
    parts = setting.split(",") if isinstance(setting, str) else setting
    return [part.strip() for part in parts if part and part.strip()]


def addresses(audience, directory, committee):
    """Where a recipient's e-mail goes: the committee's addresses, or the unit's / department's
    contact e-mail from the directory (none for a deactivated unit)."""
    if audience == COMMITTEE:
        return list(committee)
    entry = directory.get(audience) or {}
    if audience == UNIT and entry.get("active") is False:
        return []
    return [entry["contact_email"]] if entry.get("contact_email") else []


def email_status(to, smtp_configured):
    return PENDING if smtp_configured and to else SKIPPED


def owner_of(recipient):
    """The `require_owner` arguments for an inbox: a unit's, a department's or the committee's."""
    audience, _, code = recipient.partition(":")
    if audience == UNIT:
        return {"unit": code}
    if audience == DEPARTMENT:
        return {"department": code}
    return {}


def read(record, now):
    """Marking read is idempotent: the first read time stays."""
    return record if record["read_at"] else revised(record, now, read_at=clock.iso(now))


def email_sent(record, now):
    return revised(record, now, email=SENT, email_attempts=record["email_attempts"] + 1,
                   email_error=None, email_sent_at=clock.iso(now))


def email_failed_attempt(record, reason, permanent, delays, now):
    """(record, seconds until the next attempt or None when given up) after a failed attempt.

    Each of `delays` allows one more attempt; a permanent refusal (SMTP 5xx) is not retried."""
    attempts = record["email_attempts"] + 1
    if not permanent and attempts <= len(delays):
        return revised(record, now, email_attempts=attempts, email_error=reason), delays[attempts - 1]
    final = f"邮件发送失败（共尝试 {attempts} 次）：{reason}"
    return revised(record, now, email=FAILED, email_attempts=attempts, email_error=final), None
