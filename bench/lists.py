"""A filtered `list_issues` page at growing numbers of issues: issues are written straight into
summary's keys with the indexes its own save keeps (SummaryStore.issue_indexes), spread over
departments, units and statuses, a campaign per size; then the committee asks for one department's
answered issues of each campaign, the sizes in turn call after call."""
import json
from functools import partial

from services.common import clock, listing
from services.summary import issues
from services.summary.store import SummaryStore

from .campaign_report import timings_side_by_side

DEPARTMENTS = ("social-assistance", "elderly-care", "child-welfare", "social-affairs")
STATUSES = ("forwarded", "acknowledged", "answered", "closed")
UNITS = 20
BATCH = 1_000
FILTER = {"department": "elderly-care", "status": "answered"}


def issue(campaign_id, number, at):
    origin = {"campaign_id": campaign_id, "unit_code": f"L{number % UNITS:02d}",
              "source": {"kind": "activity", "id": f"a{number:016x}"}, "description": "困难",
              "category": "elderly_care", "countermeasure": None}
    record, _ = issues.open_issue(f"i{number:016x}", origin, DEPARTMENTS[number % len(DEPARTMENTS)],
                                  {"issue_ack_days": 2, "issue_answer_days": 15}, at)
    return {**record, "status": STATUSES[(number // len(DEPARTMENTS)) % len(STATUSES)]}


def seed(client, campaign_id, first, count):
    store = SummaryStore(client, "summary:", "summary", None)
    at = clock.now()
    for start in range(first, first + count, BATCH):
        pipe = client.pipeline(transaction=False)
        for number in range(start, min(start + BATCH, first + count)):
            record = issue(campaign_id, number, at)
            pipe.set(store.issue_key(record["id"]), json.dumps(record, ensure_ascii=False))
            for key in store.issue_indexes(record):
                listing.add(pipe, key, record)
        pipe.execute()


def run(system, proxies, sizes, calls):
    """[(size, (median ms, p95 ms), items on the page)] for a 50-item filtered page at each size."""
    lister, first, pages = proxies[0].summary, 0, {}
    for size in sizes:
        campaign_id = f"c{size:016d}"
        seed(system.redis, campaign_id, first, size)
        first += size
        pages[size] = partial(lister.list_issues, **FILTER, campaign_id=campaign_id, limit=50)
    figures = timings_side_by_side(pages, calls)
    return [(size, figures[size], len(pages[size]()["items"])) for size in sizes]
