"""The rules of volunteer activities (志愿服务活动): planned with an approved pairing, changed or
cancelled only while planned, completed with a report. Plain functions on dicts."""
from datetime import timedelta

from services.common import clock, records
from services.common.errors import Conflict, ValidationError
from services.common.masking import mask_name

from .records import APPROVED, CANCELLED, COMPLETED, PLANNED
# A reporting unit's clock may run a little ahead of ours; the same leeway as for tokens.
CLOCK_SKEW = timedelta(seconds=60)
MASKED = "***"


def schedule_problems(start, end):
    if end <= start:
        return {"scheduled_end": ["结束时间须晚于开始时间(Must be after scheduled_start)."]}
    return {}


def report_problems(report, now):
    """Field problems of a completion report whose fields are each well formed."""
    started, ended = report["started_at"], report["ended_at"]
    if ended <= started:
        return {"ended_at": ["结束时间须晚于开始时间(Must be after started_at)."]}
    if ended > now + CLOCK_SKEW:
        return {"ended_at": ["结束时间不能在将来(Must not be in the future)."]}
    available = (ended - started).total_seconds() / 3600
    too_long = {
        index: {"hours": ["服务时长不能超过 started_at 与 ended_at 之间的时长"
                          "(At most the hours between started_at and ended_at)."]}
        for index, volunteer in enumerate(report["volunteers"]) if volunteer["hours"] > available}
    return {"volunteers": too_long} if too_long else {}


def pairing_view(pairing, seq):
    """What this service keeps of a pairing: never the target's name or contact data."""
    target = pairing.get("target") or {}
    return {
        "id": pairing["id"],
        "campaign_id": pairing["campaign_id"],
        "unit_code": pairing["unit_code"],
        "status": pairing["status"],
        "target": {key: target.get(key) for key in ("category", "kind", "district")},
        "seq": seq,
    }


def require_approved(pairing):
    if pairing["status"] != APPROVED:
        raise Conflict(f"结对状态为 {pairing['status']},尚未批准,不能安排活动(Pairing is not approved).")


def plan(data, pairing, activity_id, now):
    """A planned activity with an approved `pairing` (a view the caller owns)."""
    require_approved(pairing)
    return records.created(
        activity_id, now,
        campaign_id=pairing["campaign_id"],
        unit_code=pairing["unit_code"],
        pairing_id=pairing["id"],
        target=dict(pairing["target"]),
        **planned_fields(data),
        status=PLANNED,
        report=None,
        completed_at=None,
        cancelled_at=None,
        cancel_reason=None,
    )


def planned_fields(data):
    fields = {key: value for key, value in data.items() if key != "pairing_id"}
    for key in ("scheduled_start", "scheduled_end"):
        if key in fields:
            fields[key] = clock.iso(fields[key])
    return fields


def require_planned(activity):
    if activity["status"] != PLANNED:
        raise Conflict(f"活动已{'完成' if activity['status'] == COMPLETED else '取消'},不能再更改"
                       f"(Activity is {activity['status']}).")


def change(activity, changes, now):
    require_planned(activity)
    start = changes.get("scheduled_start") or clock.parse(activity["scheduled_start"])
    end = changes.get("scheduled_end") or clock.parse(activity["scheduled_end"])
    problems = schedule_problems(start, end)
    if problems:
        raise ValidationError({f"changes.{path}": messages for path, messages in problems.items()})
    return records.revised(activity, now, **planned_fields(changes))


def complete(activity, report, now):
    require_planned(activity)
    stored = {**report, "started_at": clock.iso(report["started_at"]), "ended_at": clock.iso(report["ended_at"])}
    return records.revised(activity, now, status=COMPLETED, report=stored, completed_at=clock.iso(now))


def cancel(activity, reason, now):
    require_planned(activity)
    return records.revised(activity, now, status=CANCELLED, cancel_reason=reason, cancelled_at=clock.iso(now))


def visible(activity, sees_personal_data):
    """In full for the committee and the owning unit. Anyone else (ops) sees the location cut to
    its district, as in events, and the volunteers' names masked: ops reads everything with
    personal data masked (contract §3)."""
    if sees_personal_data:
        return activity
    shown = published(activity)
    report = activity.get("report")
    if report:
        shown["report"] = {**report, "volunteers": [{**v, "name": mask_name(v["name"])} for v in report["volunteers"]]}
    return shown


def published(activity):
    """Events go to every department's system. The location of a visit is often the target's
    home: they carry only its district. The report is the event's data (contract §4), names included."""
    return {**activity, "location": activity["target"].get("district") or MASKED}
