"""The campaign report's keys (prefix `summary:report:`), next to the summary service's own.

    report:<campaign>:totals | :units | :departments   counter hashes (see docs/report.md)
    report:<campaign>:state:<kind>:<subject>            one small JSON state per subject
    report:<campaign>:as_of                             the newest counted event's `occurred_at`
    report:<campaign>:as_of:epoch                       the same in epoch seconds (new in v2.1)
    report:names:unit, report:names:department          code -> name, across campaigns

Counting events reads their subjects' states in one MGET, folds the events in memory and commits
the new states with HINCRBY of the counter changes, the later `as_of` (a script, so that events of
one campaign, which all touch it, do not conflict under WATCH) and, in an event handler, its
handled mark, in one transaction. Reading a report is one MULTI of seven reads,
and one of two more for a campaign carried over from an earlier one, whatever the campaign's size."""
from services.common import clock
from services.common.store import Store

from . import counters, view

TABLES = (counters.TOTALS, counters.UNITS, counters.DEPARTMENTS)
# KEYS: as_of, as_of:epoch; ARGV: an occurred_at and its epoch seconds. Keeps the later of the two.
# An as_of kept before its epoch was (v2) is compared as text: same offset (+08:00), same order.
LATER_AS_OF = """
local kept = redis.call('get', KEYS[2])
if kept then
  if tonumber(kept) >= tonumber(ARGV[2]) then return 0 end
else
  local text = redis.call('get', KEYS[1])
  if text and text >= ARGV[1] then return 0 end
end
redis.call('set', KEYS[1], ARGV[1])
redis.call('set', KEYS[2], ARGV[2])
return 1
"""


class ReportStore(Store):
    def counters_key(self, campaign_id, table):
        return self.key("report", campaign_id, table)

    def state_key(self, subject):
        campaign_id, kind, subject_id = subject
        return self.key("report", campaign_id, "state", kind, subject_id)

    def campaign_key(self, campaign_id):
        return self.state_key((campaign_id, "campaign", campaign_id))

    def as_of_key(self, campaign_id):
        return self.key("report", campaign_id, "as_of")

    def names_key(self, kind):
        return self.key("report", "names", kind)

    def count(self, events):
        """Fold `events` (in this order) into the counters. Any batch size: the bulk path too."""
        subjects = list(dict.fromkeys(counters.subject_of(event) for event in events))
        keys = {subject: self.state_key(subject) for subject in subjects}
        newest = counters.newest(events)

        def work(tx):
            raw = tx.reader.mget(list(keys.values()))
            states = {subject: self.decode(value) for subject, value in zip(subjects, raw)}
            changed, changes = counters.count(states, events)
            for subject, state in changed.items():
                tx.put(keys[subject], state)
            tx.write(lambda pipe: self._add(pipe, changes, newest))

        self.transact(work, *keys.values())

    def _add(self, pipe, changes, newest):
        for (campaign_id, table, field), delta in changes.items():
            pipe.hincrby(self.counters_key(campaign_id, table), field, delta)
        for campaign_id, occurred_at in newest.items():
            as_of = self.as_of_key(campaign_id)
            pipe.eval(LATER_AS_OF, 2, as_of, f"{as_of}:epoch", occurred_at, clock.parse(occurred_at).timestamp())

    def remember_name(self, event):
        """The name of a registered (or renamed) unit or department, for the report's rows."""
        key = self.names_key(counters.NAMES[(event["source"], event["event_type"])])
        data = event["data"]
        self.transact(lambda tx: tx.write(lambda pipe: pipe.hset(key, data["code"], data["name"])))

    def report(self, campaign_id):
        """The report of `campaign_id`, or None when no event of the campaign has been counted."""
        pipe = self.client.pipeline(transaction=True)
        pipe.get(self.campaign_key(campaign_id))
        for table in TABLES:
            pipe.hgetall(self.counters_key(campaign_id, table))
        pipe.hgetall(self.names_key("unit"))
        pipe.hgetall(self.names_key("department"))
        pipe.get(self.as_of_key(campaign_id))
        campaign, totals, units, departments, unit_names, department_names, as_of = pipe.execute()
        if not (campaign or totals):
            return None
        state = self.decode(campaign)
        return view.build({"campaign_id": campaign_id, "state": state, "totals": totals, "units": units,
                           "departments": departments, "unit_names": unit_names,
                           "department_names": department_names, "as_of": as_of,
                           "earlier": self._earlier(state)})

    def _earlier(self, state):
        """The counts of the campaign `state` was carried over from, or None."""
        earlier_id = state and state.get("carried_over_from")
        if not earlier_id:
            return None
        pipe = self.client.pipeline(transaction=True)
        pipe.get(self.campaign_key(earlier_id))
        pipe.hgetall(self.counters_key(earlier_id, counters.TOTALS))
        campaign, totals = pipe.execute()
        return {"campaign_id": earlier_id, "state": self.decode(campaign), "totals": totals}
