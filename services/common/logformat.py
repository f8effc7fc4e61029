"""How log lines look: `LOG_FORMAT=json` (compose's default) or `plain` (`make run`'s), chosen in
config.yml's LOGGING by `formatter(kind=...)`. Both give the time in UTC, ISO 8601.

A JSON line is one object: `time`, `level`, `service`, `logger`, `message`, `correlation_id`, and
where they apply `entrypoint`, `rpc_method`, `event_id`, `event_type` (correlation.FIELDS) and
`traceback`. JSON escapes newlines, so no record spans lines, a traceback included. These fields
are what `python -m services.ops trace` reads back."""
import json
import logging
from datetime import datetime, timezone

from .correlation import FIELDS, KEY, NONE

PLAIN = "%(asctime)s %(levelname)s %(name)s [%(correlation_id)s] %(message)s"


def utc_iso(created):
    return datetime.fromtimestamp(created, timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class PlainFormatter(logging.Formatter):
    def formatTime(self, record, datefmt=None):
        return utc_iso(record.created)


class JsonFormatter(logging.Formatter):
    def format(self, record):
        line = {"time": utc_iso(record.created), "level": record.levelname,
                "service": getattr(record, "service", None) or NONE, "logger": record.name,
                "message": record.getMessage(), KEY: getattr(record, KEY, None) or NONE}
        line.update((name, getattr(record, name)) for name in FIELDS[1:] if getattr(record, name, None))
        if record.exc_info:
            line["traceback"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False, default=str)


def formatter(kind="plain", fmt=PLAIN):
    """The `()` factory config.yml names: `kind` is LOG_FORMAT."""
    if kind == "json":
        return JsonFormatter()
    if kind != "plain":
        raise ValueError(f"LOG_FORMAT must be json or plain, not {kind!r}")
    return PlainFormatter(fmt)
