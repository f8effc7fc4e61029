"""`python -m services.ops trace ID [--log FILE ...] [--since T]`: what every service did for one
correlation id (an HTTP request's X-Request-Id, or the id an RPC or timer tick was given), in
time order, from two sources:

- the audit trail (`<service>:audit` in Redis): every state-changing RPC, who called it, on which
  record, with what outcome;
- JSON log lines (`LOG_FORMAT=json`, services/common/logformat.py) read from the files given
  (`-`: standard input; a `docker compose logs` prefix before the `{` is skipped): the gateway's
  request, each RPC answered, each event published (the outbox names the envelope's correlation
  id, so events are in the chain as they leave), each event handled, each webhook delivery, and
  every warning or error on the way.

Events are not stored once published; their log lines are the record of them."""
import json
import sys
from datetime import datetime, timezone

import redis

from services.common import audit, clock, topology
from services.common.correlation import is_valid
from services.common.redis_ha import redis_client

from .audit import since_ms
from .broker import OpsError
from .output import table

COLUMNS = ("TIME (UTC)", "SERVICE", "SOURCE", "WHAT")


def add_parser(commands):
    shown = commands.add_parser("trace", help="what every service did for one correlation id, in time order")
    shown.add_argument("correlation_id")
    shown.add_argument("--log", action="append", default=[], metavar="FILE",
                       help="a file of JSON log lines (repeatable; - for standard input)")
    shown.add_argument("--since", metavar="T", help="audit entries from this ISO date or time on (default: all)")


def utc(moment):
    return moment.astimezone(timezone.utc)


def audit_steps(client, correlation_id, since):
    steps = []
    for service in topology.SERVICES:
        for entry in audit.read(client, service, since, limit=10**6):
            if entry.get("correlation_id") == correlation_id:
                what = (f"rpc {entry['method']} by {entry['sub']} ({entry['role']}) on {entry['record']}: "
                        f"{entry['outcome']}")
                steps.append((utc(clock.parse(entry["at"])), service, "audit", what))
    return steps


def log_step(line, correlation_id):
    """(time, service, "log", what) of one JSON log line of this correlation id, else None."""
    start = line.find("{")
    if start < 0:
        return None
    try:
        record = json.loads(line[start:])
        if not isinstance(record, dict) or record.get("correlation_id") != correlation_id:
            return None
        moment = datetime.fromisoformat(record["time"].replace("Z", "+00:00"))
    except (ValueError, KeyError, AttributeError):
        return None
    what = f"{record.get('level', '-')} {record.get('message', '')}"
    if record.get("event_id") and record["event_id"] not in what:
        what += f" [event {record['event_id']}]"
    return utc(moment), record.get("service", "-"), "log", " ".join(what.split())


def lines_of(path):
    if path == "-":
        yield from sys.stdin
        return
    try:
        with open(path, encoding="utf-8", errors="replace") as stream:
            yield from stream
    except OSError as exc:
        raise OpsError(f"无法读取日志(cannot read the log) {path}: {exc.strerror}") from None


def log_steps(paths, correlation_id):
    steps = (log_step(line, correlation_id) for path in paths for line in lines_of(path))
    return [step for step in steps if step is not None]


def chain(client, correlation_id, log_paths, since=None):
    """Every step for the id, oldest first."""
    try:
        steps = audit_steps(client, correlation_id, since)
    except redis.RedisError as exc:
        raise OpsError(f"无法读取 Redis(Redis unreachable): {type(exc).__name__}") from None
    return sorted(steps + log_steps(log_paths, correlation_id), key=lambda step: step[0])


def run(config, args):
    if not is_valid(args.correlation_id):
        raise OpsError("不是关联编号(not a correlation id): 1-64 of A-Z a-z 0-9 . _ ~ -")
    steps = chain(redis_client(config), args.correlation_id, args.log, since_ms(args.since))
    rows = [(moment.isoformat(timespec="milliseconds").replace("+00:00", "Z"), *rest) for moment, *rest in steps]
    print(table(COLUMNS, rows) if rows else "没有记录(no entries)")
    return 0
