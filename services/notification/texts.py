"""Chinese notification texts from Jinja2 templates: templates/<audience>/<event_type>.txt, each
with a `title` block (one line, also the e-mail subject) and a `body` block."""
import re
from datetime import date, datetime
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined

from services.common import clock, vocabulary

TEMPLATES = Path(__file__).resolve().parent / "templates"


def day(value):
    """A date (or the date of a moment) as 2025年3月9日, in the campaign's zone."""
    if isinstance(value, str):
        value = date.fromisoformat(value) if len(value) == 10 else clock.parse(value)
    if isinstance(value, datetime):
        value = value.astimezone(clock.CAMPAIGN_TZ).date()
    return f"{value.year}年{value.month}月{value.day}日"


def moment(value):
    """A point in time as 2025年3月16日 18:00 (+08:00)."""
    when = clock.parse(value).astimezone(clock.CAMPAIGN_TZ) if isinstance(value, str) else value
    return f"{day(when)} {when:%H:%M}"


def labelled(labels):
    return lambda code: labels.get(code, code)


def _environment():
    # The templates ship with the service: not looked at again on disk for each notification.
    env = Environment(loader=FileSystemLoader(TEMPLATES), undefined=StrictUndefined, autoescape=False,
                      trim_blocks=True, lstrip_blocks=True, auto_reload=False)
    env.filters.update({
        "day": day,
        "moment": moment,
        "issue_category": labelled(vocabulary.ISSUE_CATEGORIES),
        "target_category": labelled(vocabulary.TARGET_CATEGORIES),
        "target_kind": labelled(vocabulary.TARGET_KINDS),
    })
    # Shared passages (a target, an issue) as macros, reachable from inside every block.
    env.globals["common"] = env.get_template("common.txt").module
    return env


ENV = _environment()
TEMPLATE_NAMES = frozenset(ENV.list_templates())


def template_name(audience, event_type):
    return f"{audience}/{event_type}.txt"


def has_template(audience, event_type):
    return template_name(audience, event_type) in TEMPLATE_NAMES


def render(audience, event_type, context):
    """(title, body) for one recipient of an event."""
    template = ENV.get_template(template_name(audience, event_type))
    values = template.new_context(context)
    title = " ".join("".join(template.blocks["title"](values)).split())
    body = "".join(template.blocks["body"](values)).strip()
    return title, re.sub(r"\n{3,}", "\n\n", body)
