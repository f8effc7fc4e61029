"""Campaigns and units (contract §1, §3): plain functions on dicts, no I/O.

Times are aware datetimes in, ISO text in the records. A campaign's windows are computed here:
a report is on time before (deadline + 1 day) 00:00 +08:00, reminders start at
(deadline − remind_days) 00:00 +08:00."""
from datetime import date, timedelta

from services.common import clock
from services.common.errors import Conflict, ValidationError
from services.common.masking import mask_email, mask_name, mask_phone
from services.common.records import created, revised

UNIT_FIELDS = ("code", "name", "party_org", "contact_name", "contact_phone", "contact_email")
# The unit as published: its contact person and phone stay in pairing.
UNIT_EVENT_FIELDS = ("code", "name", "party_org", "contact_email", "active", "created_at", "updated_at")
NOT_TAKING_PART = "单位未注册或已停用(Unit not registered or inactive)."


def deadline_day(campaign):
    return date.fromisoformat(campaign["report_deadline"])


def on_time_until(campaign):
    """Reports from this moment on are late; it is also when `pairing_overdue` becomes due."""
    return clock.start_of_day(deadline_day(campaign) + timedelta(days=1))


def reminders_from(campaign):
    return clock.start_of_day(deadline_day(campaign) - timedelta(days=campaign["remind_days"]))


def deadline_passed(campaign, now):
    return now >= on_time_until(campaign)


def is_late(campaign, reported_at):
    return reported_at >= on_time_until(campaign)


def _with_windows(campaign):
    campaign["reminders_from"] = clock.iso(reminders_from(campaign))
    campaign["on_time_until"] = clock.iso(on_time_until(campaign))
    return campaign


def participants(unit_codes, active_codes, path):
    """Who takes part: every active unit when `unit_codes` is None, else exactly those listed,
    each of which must be registered and active (errors name `path.<index>`)."""
    if unit_codes is None:
        return sorted(active_codes)
    refused = {f"{path}.{i}": [NOT_TAKING_PART] for i, code in enumerate(unit_codes) if code not in active_codes}
    if refused:
        raise ValidationError(refused)
    return sorted(unit_codes)


def new_campaign(campaign_id, data, taking_part, now, carried_over_from=None):
    """A campaign record; `carried_over_from` names the earlier campaign it continues (issue 17)."""
    fields = {**data, "report_deadline": data["report_deadline"].isoformat(), "participants": sorted(taking_part),
              "carried_over_from": carried_over_from}
    return _with_windows(created(campaign_id, now, **fields))


def changed_campaign(campaign, changes, taking_part, now):
    """The campaign after `update_campaign(changes)`, or None when nothing would change.

    Late flags already given stay: pairings are not revisited when the deadline moves."""
    updated = dict(campaign, **changes)
    if "report_deadline" in changes:
        updated["report_deadline"] = changes["report_deadline"].isoformat()
    if taking_part is not None:
        updated["participants"] = sorted(taking_part)
    if updated["year"] != deadline_day(updated).year:
        path = "changes.report_deadline" if "report_deadline" in changes else "changes.year"
        raise ValidationError.field(path, "年度须与报送截止日期的年份一致(Year must be the deadline's year).")
    _with_windows(updated)
    if updated == campaign:
        return None
    return revised(updated, now)


def join(campaign, unit_code, now):
    if unit_code in campaign["participants"]:
        return None
    return revised(campaign, now, participants=sorted([*campaign["participants"], unit_code]))


def leave(campaign, unit_code, now):
    if unit_code not in campaign["participants"]:
        return None
    return revised(campaign, now, participants=[c for c in campaign["participants"] if c != unit_code])


def new_unit(data, now):
    # Not `records.created`: a unit is named by its `code` and has no `id`.
    stamp = clock.iso(now)
    return {**{field: data[field] for field in UNIT_FIELDS}, "active": True,
            "created_at": stamp, "updated_at": stamp, "revision": 1}


def ensure_new_unit(existing):
    if existing is not None:
        raise Conflict("单位代码已存在(Unit code already registered).")


def same_unit(existing, data):
    return all(existing[field] == data[field] for field in UNIT_FIELDS)


def deactivated(unit, now):
    if not unit["active"]:
        raise Conflict("单位已停用(Unit already inactive).")
    return revised(unit, now, active=False, deactivated_at=clock.iso(now))


def unit_event(unit):
    return {field: unit[field] for field in UNIT_EVENT_FIELDS}


def unit_view(unit, full):
    """A unit as a caller sees it: its contact person, phone and e-mail address masked unless `full`."""
    if full:
        return unit
    return dict(unit, contact_name=mask_name(unit["contact_name"]), contact_phone=mask_phone(unit["contact_phone"]),
                contact_email=mask_email(unit["contact_email"]))


def missing(campaign, reported, approved):
    """Taking-part units without a pairing that is reported or approved."""
    valid = set(reported) | set(approved)
    return [code for code in campaign["participants"] if code not in valid]


def progress(campaign, reported, approved, rejected, late):
    """`reporting_progress`: each taking-part unit counted once, by its latest pairing."""
    taking_part = set(campaign["participants"])
    pending, accepted, refused = (taking_part & set(group) for group in (reported, approved, rejected))
    return {
        "campaign_id": campaign["id"],
        "deadline": campaign["report_deadline"],
        "total_units": len(taking_part),
        "not_reported": len(taking_part - pending - accepted - refused),
        "pending_review": len(pending),
        "approved": len(accepted),
        "rejected": len(refused),
        "late": sorted(taking_part & set(late)),
        "missing": missing(campaign, reported, approved),
    }
