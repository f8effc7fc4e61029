"""Summary's keys in Redis (prefix `summary:`), the record saves that keep their indexes, and plain reads;
the state changes live in the store mixins (store.py, deadline_store.py).

    department:<code>             a department          departments            its list index
    routes                        hash category → department code
    seeded                        hash department code → when the seed file's entry was loaded
    campaign:<id>                 the campaign terms projected from pairing's events
    activity:<activity id>        the summary requested for that activity (one per activity)
    summary:<id>, issue:<id>      the records
    summaries[:unit:<code>|:campaign:<id>]                               list indexes
    issues[:unit:<code>|:campaign:<id>|:department:<code>|:status:<s>]   list indexes
    due:summary, due:ack, due:answer    sorted sets of ids scored by due time (epoch ms): only what
                                        may still fall due, so a deadline check never scans records
    ids:<kind>                    id counters
"""
from services.common import clock, listing
from services.common.store import Store

from . import domain, issues

SUMMARY_DUE = "summary"
DUE_SETS = (SUMMARY_DUE, issues.ACK, issues.ANSWER)


class SummaryKeys(Store):
    def department(self, code):
        return self.key("department", code)

    @property
    def routes(self):
        return self.key("routes")

    @property
    def seeded(self):
        return self.key("seeded")

    def campaign(self, campaign_id):
        return self.key("campaign", campaign_id)

    def activity_summary(self, activity_id):
        return self.key("activity", activity_id)

    def summary(self, summary_id):
        return self.key("summary", summary_id)

    def issue(self, issue_id):
        return self.key("issue", issue_id)

    def due(self, kind):
        return self.key("due", kind)

    def next_id(self, tx, kind):
        """A fresh id; a retried transaction skips a number, which does no harm."""
        return f"{kind[0].upper()}{tx.reader.incr(self.key('ids', kind)):07d}"

    def read_routes(self, tx):
        tx.watch(self.routes)
        return tx.reader.hgetall(self.routes)

    def add_department(self, tx, department):
        """Store a new department, route its categories to it and announce it."""
        code = department["code"]
        tx.put(self.department(code), department)

        def index(pipe):
            pipe.zadd(self.key("departments"), {listing.member(department["created_at"], code): 0})
            for category in department["categories"]:
                pipe.hset(self.routes, category, code)
        tx.write(index)
        tx.emit("department_registered", code, department["revision"], department)

    def save_summary(self, tx, summary, before=None):
        tx.put(self.summary(summary["id"]), summary)

        def index(pipe):
            if before is None:
                pipe.set(self.activity_summary(summary["activity_id"]), summary["id"])
                for key in self._summary_indexes(summary):
                    listing.add(pipe, key, summary)
            self._watch_due(pipe, SUMMARY_DUE, summary["id"], domain.summary_pending_due(summary))
        tx.write(index)

    def save_issue(self, tx, issue, before=None):
        tx.put(self.issue(issue["id"]), issue)

        def index(pipe):
            old = set() if before is None else set(self._issue_indexes(before))
            new = set(self._issue_indexes(issue))
            for key in old - new:
                listing.remove(pipe, key, issue)
            for key in new - old:
                listing.add(pipe, key, issue)
            pending = issues.pending_deadlines(issue)
            for kind in (issues.ACK, issues.ANSWER):
                self._watch_due(pipe, kind, issue["id"], pending.get(kind))
        tx.write(index)

    def _watch_due(self, pipe, kind, record_id, due_at):
        if due_at is None:
            pipe.zrem(self.due(kind), record_id)
        else:
            pipe.zadd(self.due(kind), {record_id: clock.epoch_ms(clock.parse(due_at))})

    def fallen_due(self, kind, now, batch=200):
        """Ids in the `kind` due set whose due time is before `now`, a batch at a time.

        The caller settles each id (its save removes it from the set or moves it later), so the
        next batch starts from the front again; a batch that made no progress ends the walk."""
        upper, previous = f"({clock.epoch_ms(now)}", None
        while True:
            ids = self.client.zrangebyscore(self.due(kind), "-inf", upper, start=0, num=batch)
            if not ids or ids == previous:
                return
            yield from ids
            previous = ids

    def _summary_indexes(self, summary):
        return [self.key("summaries"), self.key("summaries", "unit", summary["unit_code"]),
                self.key("summaries", "campaign", summary["campaign_id"])]

    def _issue_indexes(self, issue):
        keys = [self.key("issues"), self.key("issues", "unit", issue["unit_code"]),
                self.key("issues", "campaign", issue["campaign_id"]),
                self.key("issues", "status", issue["status"])]
        if issue["department"] is not None:
            keys.append(self.key("issues", "department", issue["department"]))
        return keys

    def summary_index(self, unit_code=None, campaign_id=None):
        if unit_code is not None:
            return self.key("summaries", "unit", unit_code)
        if campaign_id is not None:
            return self.key("summaries", "campaign", campaign_id)
        return self.key("summaries")

    def issue_index(self, department=None, unit_code=None, campaign_id=None, status=None):
        """The narrowest index for these filters; the page keeps only records matching the rest."""
        for name, value in (("department", department), ("unit", unit_code), ("campaign", campaign_id),
                            ("status", status)):
            if value is not None:
                return self.key("issues", name, value)
        return self.key("issues")

    def page(self, index, record_key, limit, cursor, keep=None):
        return listing.page(self, index, record_key, limit, cursor, keep)

    def departments_page(self, limit, cursor):
        return self.page(self.key("departments"), self.department, limit, cursor)
