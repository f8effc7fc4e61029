"""Every record's bookkeeping: `created_at`, `updated_at`, and a `revision` that is its events' `seq`."""
from . import clock


def created(record_id, at, **fields):
    stamp = clock.iso(at)
    return {"id": record_id, **fields, "created_at": stamp, "updated_at": stamp, "revision": 1}


def revised(record, at, **fields):
    """`record` with `fields` set, its revision and `updated_at` moved on."""
    return {**record, **fields, "updated_at": clock.iso(at), "revision": record["revision"] + 1}
