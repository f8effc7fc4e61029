"""Summary's keys in Redis (prefix `summary:`), the saves that keep their indexes, and plain reads.
The state changes are in usecases.py; the campaign report's keys in report/store.py, and each
transaction here also counts in the report the events it emits. A `*_key`
method names a key; every other read returns data.

    department:<code>             a department          departments            its list index
    routes                        hash category → code of the active department that handles it
    seeded                        hash department code → when the seed file's entry was loaded
    campaign:<id>                 the campaign terms projected from pairing's events
    activity:<activity id>        the id of the summary requested for that activity
    summary:<id>, issue:<id>      the records
    summaries[:unit:<code>][:campaign:<id>][:status:<s>]                  list indexes, one per
    issues[:department:<code>][:unit:<code>][:campaign:<id>][:status:<s>]  combination of filters
    due:summary, due:ack, due:answer    sorted sets of ids scored by due time (epoch SECONDS): only
                                        what may still fall due, so a deadline check never scans
    open:summaries                      requested summaries by due time (epoch seconds)
    open:issues:<department>            the department's forwarded or acknowledged issues by the
                                        deadline they must meet next (ack, then answer): with the
                                        two above, what `gauges(now)` counts with ZCOUNT for /metrics
    request:<method>:<scope>:<request_id>   idempotent calls (services.common.requests)

Due scores were epoch milliseconds before; `migrate_due_scores` rescales an old index once.
Lists were served from one-filter indexes before; `backfill_indexes` adds the combined ones once."""
from services.common import clock, listing
from services.common.deadlines import due_score, rescale_ms_scores
from services.common.store import Store

from . import departments, domain, issues
from .records import ACK, ANSWER
from .report.store import CountedTransaction

SUMMARY_DUE = "summary"
SUMMARIES_OVERDUE = ("leifeng_summaries_overdue", "Requested summaries past their due time, not submitted.")
ISSUES_OVERDUE = ("leifeng_issues_overdue",
                  "Issues past the acknowledgement or answer deadline they must meet next, per department.")
DUE_SETS = (SUMMARY_DUE, ACK, ANSWER)


class SummaryStore(Store):
    # The report counts what each transaction emits in that transaction (report/store.py).
    transaction = CountedTransaction

    def department_key(self, code):
        return self.key("department", code)

    @property
    def routes_key(self):
        return self.key("routes")

    @property
    def seeded_key(self):
        return self.key("seeded")

    def campaign_key(self, campaign_id):
        return self.key("campaign", campaign_id)

    def activity_summary_key(self, activity_id):
        return self.key("activity", activity_id)

    def summary_key(self, summary_id):
        return self.key("summary", summary_id)

    def issue_key(self, issue_id):
        return self.key("issue", issue_id)

    def due_key(self, kind):
        return self.key("due", kind)

    # Reads inside a transaction (watched).

    def routes_read(self):
        return "HGETALL", self.routes_key

    def read_routes(self, tx):
        routes, = tx.read([self.routes_key], self.routes_read())
        return routes

    def requested_summary(self, tx, activity_id):
        key = self.activity_summary_key(activity_id)
        tx.prefetch(key)
        return tx.fetched[key]

    def terms(self, tx, campaign_id):
        return domain.campaign_terms(tx.get(self.campaign_key(campaign_id)))

    # Saves: the record, its indexes, its due times.

    def save_department(self, tx, department, before=None):
        """Store a department and route its categories (an inactive one routes none)."""
        code = department["code"]
        tx.put(self.department_key(code), department)
        stop, start = departments.rerouted(before, department)

        def index(pipe):
            if before is None:
                pipe.zadd(self.key("departments"), {listing.member(department["created_at"], code): 0})
            if stop:
                pipe.hdel(self.routes_key, *stop)
            for category in start:
                pipe.hset(self.routes_key, category, code)
        tx.write(index)

    def save_summary(self, tx, summary, before=None):
        tx.put(self.summary_key(summary["id"]), summary)

        def index(pipe):
            if before is None:
                pipe.set(self.activity_summary_key(summary["activity_id"]), summary["id"])
            listing.move(pipe, self.summary_indexes(before) if before else (), self.summary_indexes(summary),
                         summary)
            self._watch_due(pipe, SUMMARY_DUE, summary["id"], domain.summary_pending_due(summary))
            self._keep_open(pipe, self.key("open", "summaries"), summary["id"], domain.summary_open_due(summary))
        tx.write(index)

    def save_issue(self, tx, issue, before=None):
        tx.put(self.issue_key(issue["id"]), issue)

        def index(pipe):
            listing.move(pipe, self.issue_indexes(before) if before else (), self.issue_indexes(issue), issue)
            pending = issues.pending_deadlines(issue)
            for kind in (ACK, ANSWER):
                self._watch_due(pipe, kind, issue["id"], pending.get(kind))
            if before is not None and before["department"] not in (None, issue["department"]):
                pipe.zrem(self.open_issues_key(before["department"]), issue["id"])
            if issue["department"] is not None:
                self._keep_open(pipe, self.open_issues_key(issue["department"]), issue["id"],
                                issues.next_deadline(issue))
        tx.write(index)

    def open_issues_key(self, department):
        return self.key("open", "issues", department)

    @staticmethod
    def _keep_open(pipe, key, record_id, due_at):
        if due_at is None:
            pipe.zrem(key, record_id)
        else:
            pipe.zadd(key, {record_id: due_score(clock.parse(due_at))})

    def gauges(self, now):
        """Summaries overdue, and issues overdue per department (GET /metrics): ZCOUNTs, no scan."""
        upper = f"({due_score(now)}"
        codes = [listing.record_id(m) for m in self.client.zrange(self.key("departments"), 0, -1)]
        pipe = self.client.pipeline(transaction=False)
        pipe.zcount(self.key("open", "summaries"), "-inf", upper)
        for code in codes:
            pipe.zcount(self.open_issues_key(code), "-inf", upper)
        summaries, *per_department = pipe.execute()
        return [(*SUMMARIES_OVERDUE, {}, summaries),
                *((*ISSUES_OVERDUE, {"department": code}, count) for code, count in zip(codes, per_department))]

    def _watch_due(self, pipe, kind, record_id, due_at):
        if due_at is None:
            pipe.zrem(self.due_key(kind), record_id)
        else:
            pipe.zadd(self.due_key(kind), {record_id: due_score(clock.parse(due_at))})

    def migrate_due_scores(self):
        """Rescale due sets scored in epoch milliseconds (before v2) to seconds; idempotent (also
        `python -m services.ops rescale-due-scores`)."""
        for kind in DUE_SETS:
            rescale_ms_scores(self.client, self.due_key(kind))

    def fallen_due(self, kind, now, batch=200):
        """Ids in the `kind` due set whose due time is before `now`, a batch at a time.

        The caller settles each id (its save removes it from the set or moves it later), so the
        next batch starts from the front again; a batch that made no progress ends the walk."""
        upper, previous = f"({due_score(now)}", None
        while True:
            ids = self.client.zrangebyscore(self.due_key(kind), "-inf", upper, start=0, num=batch)
            if not ids or ids == previous:
                return
            yield from ids
            previous = ids

    def summary_indexes(self, summary):
        return listing.indexes(self.summaries_index, summary_filters(summary))

    def issue_indexes(self, issue):
        return listing.indexes(self.issues_index, issue_filters(issue))

    def summaries_index(self, *filters):
        return self.key("summaries", *filters)

    def issues_index(self, *filters):
        return self.key("issues", *filters)

    def backfill_indexes(self):
        """Add existing summaries and issues to every index of their filter combinations (once at
        deployment; safe to repeat, also `python -m services.ops backfill-indexes`)."""
        return {"summaries": listing.backfill(self.client, self.key("summary", "*"), self.summary_indexes),
                "issues": listing.backfill(self.client, self.key("issue", "*"), self.issue_indexes)}

    # Plain reads.

    def was_requested(self, request):
        """Whether a first call with this request's id was made (its arguments are checked later,
        in the transaction: `tx.replayed`)."""
        return bool(request and request.given and self.client.exists(self.key(*request.key_parts())))

    def summary_index(self, unit_code=None, campaign_id=None, status=None):
        return listing.filtered(self.summaries_index, {"unit": unit_code, "campaign": campaign_id, "status": status})

    def issue_index(self, department=None, unit_code=None, campaign_id=None, status=None):
        return listing.filtered(self.issues_index, {"department": department, "unit": unit_code,
                                                    "campaign": campaign_id, "status": status})

    def page(self, index, record_key, limit, cursor):
        return listing.page(self, index, record_key, limit, cursor)

    def departments_page(self, limit, cursor):
        return self.page(self.key("departments"), self.department_key, limit, cursor)


# The filters each list accepts (contract §3), in the order their index names carry them.

def summary_filters(summary):
    return {"unit": summary["unit_code"], "campaign": summary["campaign_id"], "status": summary["status"]}


def issue_filters(issue):
    return {"department": issue["department"], "unit": issue["unit_code"], "campaign": issue["campaign_id"],
            "status": issue["status"]}
