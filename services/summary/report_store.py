"""The campaign report's keys (prefix `summary:report:`), next to the summary service's own.

Per campaign: three counter hashes (`totals`, `units`, `departments`) and one small JSON state per
subject (`state:<kind>:<subject>`); across campaigns, the names of units and departments
(`names:unit`, `names:department`: code -> name). Counting events reads their subjects' states in
one MGET, folds the events in memory and commits the new states with HINCRBY of the counter
changes, and in an event handler its handled mark, in one transaction. Reading a report is one
MULTI of six reads, whatever the campaign's size."""
from services.common.store import Store

from . import report, report_view


class ReportStore(Store):
    def counters_key(self, campaign_id, table):
        return self.key("report", campaign_id, table)

    def state_key(self, subject):
        campaign_id, kind, subject_id = subject
        return self.key("report", campaign_id, "state", kind, subject_id)

    def names_key(self, kind):
        return self.key("report", "names", kind)

    def count(self, events):
        """Fold `events` (in this order) into the counters. Any batch size: the bulk path too."""
        subjects = list(dict.fromkeys(report.subject_of(event) for event in events))
        keys = {subject: self.state_key(subject) for subject in subjects}

        def work(tx):
            tx.watch(*keys.values())
            raw = tx.reader.mget(list(keys.values()))
            states = {subject: self.decode(value) for subject, value in zip(subjects, raw)}
            changed, changes = report.count(states, events)
            for subject, state in changed.items():
                tx.put(keys[subject], state)
            tx.write(lambda pipe: self._add(pipe, changes))

        self.transact(work)

    def _add(self, pipe, changes):
        for (campaign_id, table, field), delta in changes.items():
            pipe.hincrby(self.counters_key(campaign_id, table), field, delta)

    def remember_name(self, event):
        """The name of a registered unit or department, for the report's rows."""
        key = self.names_key(report.NAMES[(event["source"], event["event_type"])])
        data = event["data"]
        self.transact(lambda tx: tx.write(lambda pipe: pipe.hset(key, data["code"], data["name"])))

    def report(self, campaign_id):
        """The report of `campaign_id`, or None when no event of the campaign has been counted."""
        pipe = self.client.pipeline(transaction=True)
        pipe.get(self.state_key((campaign_id, "campaign", campaign_id)))
        for table in (report.TOTALS, report.UNITS, report.DEPARTMENTS):
            pipe.hgetall(self.counters_key(campaign_id, table))
        pipe.hgetall(self.names_key("unit"))
        pipe.hgetall(self.names_key("department"))
        campaign, totals, units, departments, unit_names, department_names = pipe.execute()
        if not (campaign or totals):
            return None
        name = self.decode(campaign)["name"] if campaign else None
        return report_view.build(campaign_id, name, totals, units, departments, unit_names, department_names)
