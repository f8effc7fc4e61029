"""Time in the campaign's zone (Asia/Shanghai has had no daylight saving since 1991)."""
from datetime import date, datetime, time, timedelta, timezone

CAMPAIGN_TZ = timezone(timedelta(hours=8), "Asia/Shanghai")


def now():
    return datetime.now(CAMPAIGN_TZ)


def iso(moment):
    return moment.astimezone(CAMPAIGN_TZ).isoformat()


def parse(text):
    return datetime.fromisoformat(text)


def start_of_day(day):
    """00:00 +08:00 of a date (or ISO date text)."""
    if isinstance(day, str):
        day = date.fromisoformat(day)
    return datetime.combine(day, time(0), CAMPAIGN_TZ)


def days_later(moment, days):
    return moment + timedelta(days=days)


def epoch_ms(moment):
    return int(moment.timestamp() * 1000)
