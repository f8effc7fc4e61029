"""Lists of contract §3: newest first, `limit` ≤ 200, an opaque `cursor`, `{items, next_cursor}`.

An index is a sorted set whose members are `<created ms, 13 digits>:<id>` at score 0, so that
lexicographic order is creation order and a cursor (the last member served) is stable under inserts.

A list whose filters may be combined keeps one index per combination of a record's filter values
(`indexes`), so every filtered page is read from its own index (`filtered`) and costs the same
however many records the other filters would have skipped; `move` keeps them when a value changes."""
import json
import re
from itertools import chain, combinations, islice

from . import clock
from .errors import ValidationError

CURSOR = re.compile(r"^\d{13}:[^\s]{1,200}$")


def member(created_at, record_id):
    return f"{clock.epoch_ms(clock.parse(created_at)):013d}:{record_id}"


def add(pipe, index_key, record):
    pipe.zadd(index_key, {member(record["created_at"], record["id"]): 0})


def remove(pipe, index_key, record):
    pipe.zrem(index_key, member(record["created_at"], record["id"]))


def filtered(index_key, filters):
    """The one index serving `filters` (name -> value, None when not filtered), named
    `index_key(name, value, ...)` in the order of `filters`; `index_key()` when none is given."""
    return index_key(*chain.from_iterable((name, value) for name, value in filters.items() if value is not None))


def indexes(index_key, filters):
    """Every index a record with these filter values belongs to: one per subset of its values
    (a None value is one the record cannot be filtered by)."""
    present = [(name, value) for name, value in filters.items() if value is not None]
    return [filtered(index_key, dict(subset)) for size in range(len(present) + 1)
            for subset in combinations(present, size)]


# KEYS: the indexes a record leaves, then those it joins; ARGV: its member, how many it leaves.
MOVE = """
for i, key in ipairs(KEYS) do
  if i <= tonumber(ARGV[2]) then redis.call('zrem', key, ARGV[1]) else redis.call('zadd', key, 0, ARGV[1]) end
end
return 0
"""


def move(pipe, before, after, record):
    """Queue the index changes of a record listed in `before` (index keys) and now in `after`, as
    one command: a record is in up to 16 indexes, and each command queued in a MULTI costs its
    caller a packing and two replies to parse."""
    before, after = list(dict.fromkeys(before)), list(dict.fromkeys(after))
    was, now = set(before), set(after)
    leaving = [key for key in before if key not in now]
    joining = [key for key in after if key not in was]
    if leaving or joining:
        pipe.eval(MOVE, len(leaving) + len(joining), *leaving, *joining,
                  member(record["created_at"], record["id"]), len(leaving))


def backfill(client, pattern, index_keys, batch=500, listed=None):
    """Add every record whose key matches `pattern` to `index_keys(record)`: the migration of a
    new index (idempotent, so safe to repeat or to run while the service writes). Returns the count.

    `listed(record)` is what the index lists, `{id, created_at}`, for records named otherwise (a
    unit by its code). Keys matching `pattern` that hold no string (another record's sorted set)
    read as None from MGET and are skipped."""
    scanned, count = client.scan_iter(match=pattern, count=batch), 0
    while keys := list(islice(scanned, batch)):
        records = [json.loads(raw) for raw in client.mget(keys) if raw is not None]
        pipe = client.pipeline(transaction=False)
        for record in records:
            for index_key in index_keys(record):
                add(pipe, index_key, listed(record) if listed else record)
        pipe.execute()
        count += len(records)
    return count


def record_id(index_member):
    return index_member.split(":", 1)[1]


def page(store, index_key, record_key, limit, cursor):
    """One page of the index: its next `limit` members (one more tells whether a page follows), then
    their records in one `store.load_many(record_key(id) ...)`; nothing else is read. A member whose
    record is gone (never so while saves keep indexes in their transaction) is left out of the page."""
    if cursor is not None and not CURSOR.match(cursor):
        raise ValidationError.field("cursor", "无效的分页游标(Invalid cursor).")
    members = store.client.zrevrangebylex(index_key, f"({cursor}" if cursor else "+", "-", start=0, num=limit + 1)
    listed = members[:limit]
    records = store.load_many([record_key(record_id(m)) for m in listed])
    return {"items": [record for record in records if record is not None],
            "next_cursor": listed[-1] if len(members) > limit else None}
