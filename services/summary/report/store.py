"""The campaign report's keys (prefix `summary:report:`), next to the summary service's own.

    report:<campaign>:totals | :units | :departments   counter hashes (see docs/report.md)
    report:<campaign>:state:<kind>:<subject>            one small JSON state per subject
    report:<campaign>:as_of                             the newest counted event's `occurred_at`
    report:<campaign>:as_of:epoch                       the same in epoch seconds (new in v2.1)
    report:names:unit, report:names:department          code -> name, across campaigns

Counting events reads their subjects' states in one MGET, folds the events in memory and commits
the new states with the counter changes (HINCRBY, all in one script), the later `as_of` (a script, so that events of
one campaign, which all touch it, do not conflict under WATCH) and, in an event handler, its
handled mark, in one transaction: the transaction that emits the events (every transaction of the
summary service is a `CountedTransaction`), or the handler's for other services' events. Reading a report is one MULTI of seven reads,
and one of two more for a campaign carried over from an earlier one, whatever the campaign's size."""
from functools import partial

from services.common import clock
from services.common.store import Store, Transaction

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
# KEYS: counter hashes; ARGV: per change, its hash's number in KEYS, the field and the delta. One
# command for a transaction's counter changes (a completion makes about 16): each command queued
# in a MULTI costs its caller a packing and two replies to parse.
ADD_COUNTS = """
for i = 1, #ARGV, 3 do
  redis.call('hincrby', KEYS[tonumber(ARGV[i])], ARGV[i + 1], ARGV[i + 2])
end
return 0
"""


class CountedTransaction(Transaction):
    """A transaction that keeps the report: after its work it folds into the counters the events it
    emits and the received events given to `count`, reading their subjects' states under its WATCH,
    so they commit (or not) with its state change and its handled mark. The summary service's
    transactions are all of this kind: each event it emits is counted once, where it is emitted."""

    def __init__(self, store, pipe):
        super().__init__(store, pipe)
        self.received = []
        self.fresh = set()

    def count(self, *events):
        self.received.extend(events)

    def first_of(self, *subject_ids):
        """Records made here under ids just drawn (`new_id`): no state of theirs can exist yet, so
        counting their events reads none (a retried transaction draws new ids)."""
        self.fresh.update(subject_ids)

    def finish(self):
        events = [*self.received, *self.events]
        report = ReportStore.beside(self.store)
        counted = [event for event in events if counters.is_counted(event)]
        if counted:
            report.fold(self, counted)
        for event in events:
            if counters.is_named(event):
                self.write(partial(report.name, event))


class ReportStore(Store):
    transaction = CountedTransaction

    @classmethod
    def beside(cls, store):
        """The report's keys under `store`'s prefix (the summary service's)."""
        return cls(store.client, store.prefix, store.source, store.outbox)

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
        """Fold `events` (in this order) into the report in a transaction of their own: an event
        handler's, or the bulk path's (any batch size)."""
        self.transact(lambda tx: tx.count(*events))

    def fold(self, tx, events):
        """Within `tx`: the subjects' states of `events` read in one MGET, folded in memory, and
        the new states, the counter changes (one script) and the later `as_of` queued."""
        subjects = list(dict.fromkeys(counters.subject_of(event) for event in events))
        known = [subject for subject in subjects if subject[2] not in tx.fresh]
        tx.prefetch(*map(self.state_key, known))
        states = {subject: tx.get(self.state_key(subject)) if subject in known else None for subject in subjects}
        changed, changes = counters.count(states, events)
        for subject, state in changed.items():
            tx.put(self.state_key(subject), state)
        newest = counters.newest(events)
        tx.write(lambda pipe: self._add(pipe, changes, newest))

    def _add(self, pipe, changes, newest):
        if changes:
            hashes = list(dict.fromkeys((campaign_id, table) for campaign_id, table, _field in changes))
            number = {campaign_table: n for n, campaign_table in enumerate(hashes, 1)}
            deltas = [item for (campaign_id, table, field), delta in changes.items()
                      for item in (number[campaign_id, table], field, delta)]
            pipe.eval(ADD_COUNTS, len(hashes), *(self.counters_key(campaign_id, table) for campaign_id, table in hashes), *deltas)
        for campaign_id, occurred_at in newest.items():
            as_of = self.as_of_key(campaign_id)
            pipe.eval(LATER_AS_OF, 2, as_of, f"{as_of}:epoch", occurred_at, clock.parse(occurred_at).timestamp())

    def name(self, event, pipe):
        """The name of a registered (or renamed) unit or department, for the report's rows."""
        key = self.names_key(counters.NAMES[(event["source"], event["event_type"])])
        pipe.hset(key, event["data"]["code"], event["data"]["name"])

    def report(self, campaign_id, uncounted=None):
        """The report of `campaign_id`. When no event of the campaign has been counted: None, or,
        with `uncounted()` giving the campaign as pairing knows it (or raising), the empty report
        (`as_of` None) with its name and the campaign it was carried over from."""
        pipe = self.client.pipeline(transaction=True)
        pipe.get(self.campaign_key(campaign_id))
        for table in TABLES:
            pipe.hgetall(self.counters_key(campaign_id, table))
        pipe.hgetall(self.names_key("unit"))
        pipe.hgetall(self.names_key("department"))
        pipe.get(self.as_of_key(campaign_id))
        campaign, totals, units, departments, unit_names, department_names, as_of = pipe.execute()
        state = self.decode(campaign)
        if not (campaign or totals):
            if uncounted is None:
                return None
            known = uncounted()
            state = {"name": known["name"], "carried_over_from": known.get("carried_over_from")}
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
