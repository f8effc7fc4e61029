"""`python -m services.ops audit [--service S] [--who SUB] [--record ID] [--since T] [--limit N]`:
the audit trail (services/common/audit.py) of each service, oldest first, as a table."""
import redis

from services.common import audit, clock, topology
from services.common.redis_ha import redis_client

from .broker import OpsError
from .output import table

COLUMNS = ("at", "service", "method", "sub", "role", "unit", "department", "record", "outcome")


def add_parser(commands):
    shown = commands.add_parser("audit", help="who changed what, when, with what outcome")
    shown.add_argument("--service", action="append", help="one service (repeatable); default: all four")
    shown.add_argument("--who", metavar="SUB", help="only calls by this token subject ('unauthenticated' too)")
    shown.add_argument("--record", metavar="ID", help="only calls on this record id or code")
    shown.add_argument("--since", metavar="T", help="ISO date or time with offset (a date is 00:00 +08:00)")
    shown.add_argument("--limit", type=int, default=1000, help="at most this many lines per service")


def since_ms(text):
    if text is None:
        return None
    try:
        moment = clock.start_of_day(text) if len(text) == 10 else clock.parse(text)
    except ValueError:
        raise OpsError(f"--since: 不是 ISO 日期或时间(not an ISO date or time): {text}") from None
    if moment.tzinfo is None:
        raise OpsError("--since: 时间须带时区(a time needs an offset, e.g. +08:00)")
    return clock.epoch_ms(moment)


def run(config, args):
    start = since_ms(args.since)
    client = redis_client(config)
    rows = []
    try:
        for service in args.service or topology.SERVICES:
            entries = audit.read(client, service, start, args.who, args.record, args.limit)
            rows.extend([entry.get(column, "-") for column in COLUMNS] for entry in entries)
    except redis.RedisError as exc:
        raise OpsError(f"无法读取 Redis(Redis unreachable): {type(exc).__name__}") from None
    rows.sort(key=lambda row: row[0])
    print(table(COLUMNS, rows) if rows else "没有记录(no entries)")
    return 0
