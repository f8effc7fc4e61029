"""Lists of contract §3: newest first, `limit` ≤ 200, an opaque `cursor`, `{items, next_cursor}`.

An index is a sorted set whose members are `<created ms, 13 digits>:<id>` at score 0, so that
lexicographic order is creation order and a cursor (the last member served) is stable under inserts."""
import re

from . import clock
from .errors import ValidationError

CURSOR = re.compile(r"^\d{13}:[^\s]{1,200}$")


def member(created_at, record_id):
    return f"{clock.epoch_ms(clock.parse(created_at)):013d}:{record_id}"


def add(pipe, index_key, record):
    pipe.zadd(index_key, {member(record["created_at"], record["id"]): 0})


def remove(pipe, index_key, record):
    pipe.zrem(index_key, member(record["created_at"], record["id"]))


def record_id(index_member):
    return index_member.split(":", 1)[1]


def page(store, index_key, record_key, limit, cursor, keep=None):
    """One page of the index, loading each record with `store.load_many(record_key(id))`.

    `keep(record)` filters (for filters that have no index of their own)."""
    if cursor is not None and not CURSOR.match(cursor):
        raise ValidationError.field("cursor", "无效的分页游标(Invalid cursor).")
    items, last, upper = [], None, f"({cursor}" if cursor else "+"
    batch = max(limit, 50)
    while len(items) < limit:
        members = store.client.zrevrangebylex(index_key, upper, "-", start=0, num=batch)
        if not members:
            last = None
            break
        records = store.load_many([record_key(record_id(m)) for m in members])
        for index_member, record in zip(members, records):
            if record is not None and (keep is None or keep(record)):
                items.append(record)
                last = index_member
                if len(items) == limit:
                    break
        upper = f"({members[-1]}"
        if len(members) < batch and len(items) < limit:
            last = None
            break
    more = last is not None and store.client.zrevrangebylex(index_key, f"({last}", "-", start=0, num=1)
    return {"items": items, "next_cursor": last if more else None}
