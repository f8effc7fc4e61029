"""Pure helpers for what the pages mark and draw: a campaign's missing reports (only once its
deadline has passed), overdue issues (contract §1 Time: an issue is due to be acknowledged by
`ack_due_at` and answered by `answer_due_at`) and the report's bar rows."""
from datetime import date, datetime, timedelta

from services.common import clock

AWAITING_ACK = ("forwarded",)
AWAITING_ANSWER = ("forwarded", "acknowledged")


def _past(moment, now):
    return bool(moment) and datetime.fromisoformat(moment) < now


def deadline_passed(campaign, now):
    """Whether a campaign's reports are late from now on: (deadline + 1 day) 00:00 +08:00 (contract §1)."""
    return now >= clock.start_of_day(date.fromisoformat(campaign["report_deadline"]) + timedelta(days=1))


def overdue(issue, now):
    """"ack" or "answer" when the issue's department is late with it, else None."""
    if issue.get("status") in AWAITING_ACK and _past(issue.get("ack_due_at"), now):
        return "ack"
    if issue.get("status") in AWAITING_ANSWER and _past(issue.get("answer_due_at"), now):
        return "answer"
    return None


def overdue_first(issues, now):
    """The page's issues with their marks, overdue ones first (the list's own order kept otherwise)."""
    marked = [{**issue, "overdue": overdue(issue, now)} for issue in issues]
    return sorted(marked, key=lambda issue: issue["overdue"] is None)


def bars(rows, label, value, scale=None):
    """[{label, value, percent}] for a CSS bar chart, each row labelled by its `name` (the report's
    rows carry one) or else its `label` code; `scale` fixes 100% (1 for rates), else the maximum."""
    values = [row.get(value) for row in rows]
    top = scale or max([v for v in values if v is not None] or [0]) or 1
    return [{"label": row.get("name") or row.get(label), "value": v, "percent": round(100 * (v or 0) / top)}
            for row, v in zip(rows, values)]
