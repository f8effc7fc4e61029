"""A filtered page reads its own index and then the page's records, never a record another filter
value would have skipped: lists of pairing, activity, summary and notification on the in-memory
Redis, their records listed where their saves list them (the stores' `*_indexes`)."""
import json

import pytest

from services.activity.store import ActivityStore
from services.common import listing
from services.notification.store import NotificationStore
from services.pairing.store import PairingStore
from services.summary.store import SummaryStore


def created(n):
    return f"2024-03-12T09:{n:02d}:00+08:00"


def pairings(store):
    """12 pairings of campaign c1, units U0-U2, one in three approved."""
    records = [{"id": f"p{n:02d}", "campaign_id": "c1", "unit_code": f"U{n % 3}",
                "status": "approved" if n % 3 == 0 else "reported", "created_at": created(n)} for n in range(12)]
    return records, store.pairing_key, store.pairing_indexes, lambda record: record


def units(store):
    """10 units, U1, U3, ... deactivated."""
    records = [{"code": f"U{n}", "active": n % 2 == 0, "created_at": created(n)} for n in range(10)]
    return records, store.unit_key, store.unit_indexes, lambda unit: {"id": unit["code"], "created_at": unit["created_at"]}


def deliveries(store):
    """12 deliveries of two webhooks, one in four failed."""
    records = [{"id": f"d{n:02d}", "webhook_id": f"w{n % 2}", "status": "failed" if n % 4 == 1 else "delivered",
                "created_at": created(n)} for n in range(12)]
    return records, store.delivery_key, store.delivery_indexes, lambda record: record


def activities(store):
    """24 activities of campaigns c0, c1 and units U0-U2, one in five planned, the others completed."""
    records = [{"id": f"a{n:02d}", "campaign_id": f"c{n % 2}", "unit_code": f"U{n % 3}",
                "status": "planned" if n % 5 == 0 else "completed", "created_at": created(n)} for n in range(24)]
    return records, store.activity_key, store.indexes, lambda record: record


def issues(store):
    """12 issues of unit U0, in two departments and triage, one in three answered."""
    records = [{"id": f"i{n:02d}", "campaign_id": "c1", "unit_code": "U0", "department": [None, "d1", "d2"][n % 3],
                "status": "answered" if n % 4 == 1 else "forwarded", "created_at": created(n)} for n in range(12)]
    return records, store.issue_key, store.issue_indexes, lambda record: record


# (store class, its records, the filtered list, which records it must list newest first)
LISTS = {
    "pairings by status": (PairingStore, pairings, lambda s, limit, cursor: s.list_pairings(
        "c1", "approved", None, limit, cursor), lambda p: p["status"] == "approved"),
    "pairings by unit and status": (PairingStore, pairings, lambda s, limit, cursor: s.list_pairings(
        "c1", "reported", "U1", limit, cursor), lambda p: (p["unit_code"], p["status"]) == ("U1", "reported")),
    "deactivated units": (PairingStore, units, lambda s, limit, cursor: s.list_units(False, limit, cursor),
                          lambda unit: not unit["active"]),
    "a webhook's failed deliveries": (NotificationStore, deliveries, lambda s, limit, cursor: s.list_deliveries(
        "w1", "failed", limit, cursor), lambda d: (d["webhook_id"], d["status"]) == ("w1", "failed")),
    "activities by campaign, unit and status": (ActivityStore, activities, lambda s, limit, cursor: s.page(
        "c0", "U0", "completed", limit, cursor), lambda a: (a["campaign_id"], a["unit_code"], a["status"]) == (
        "c0", "U0", "completed")),
    "a department's issues by status": (SummaryStore, issues, lambda s, limit, cursor: s.page(
        s.issue_index(department="d1", status="forwarded"), s.issue_key, limit, cursor),
        lambda i: (i["department"], i["status"]) == ("d1", "forwarded")),
}


@pytest.mark.parametrize("name", LISTS)
def test_a_filtered_page_reads_only_the_records_it_lists(name, fake_redis):
    store_class, make, listed_by, matches = LISTS[name]
    store = store_class(fake_redis, "probe:", "probe", None)
    records, key_of, indexes_of, entry = make(store)
    for record in records:
        fake_redis.set(key_of(entry(record)["id"]), json.dumps(record))
        for index in indexes_of(record):
            fake_redis.zadd(index, {listing.member(record["created_at"], entry(record)["id"]): 0})
    expected = [record for record in reversed(records) if matches(record)]
    assert len(expected) >= 3
    seen, cursor = [], None
    while True:
        fake_redis.read = []
        page = listed_by(store, 2, cursor)
        assert fake_redis.read == [key_of(entry(record)["id"]) for record in page["items"]]
        seen += page["items"]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == expected
