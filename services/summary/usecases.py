"""The summary service's state changes, each one function and one transaction (services.common.store):
load under WATCH, not found, ownership, the domain rule, save, emit, in that order.

`caller` is the authenticated caller (services.common.auth.Caller); `request` the call's
services.common.requests.Request (a repeat returns the first call's result)."""
from functools import partial

from services.common.errors import require_found
from services.common.ids import new_id

from . import departments, domain, issues
from .records import ACK, ANSWER
from .report import counters
from .report.store import ReportStore
from .store import SUMMARY_DUE

# Campaign terms, projected from pairing's events.


def project_campaign(store, data, seq):
    key = store.campaign_key(data["id"])

    def work(tx):
        projection = domain.project_campaign(tx.get(key), data, seq)
        if projection is not None:
            tx.put(key, projection)

    store.transact(work)


# A completed activity: one summary request and its business problems forwarded.

def request_summary(store, activity, event):
    """The summary request of a completed activity, once per activity, with `event` (its
    `activity_completed`) counted in the report; `CampaignNotYetKnown` while its campaign's terms
    have not arrived (the event is retried, and counted then)."""
    def work(tx):
        tx.count(event)
        if not domain.first_request(store.requested_summary(tx, activity["id"])):
            return  # the same completion announced again under another event_id
        terms = domain.known_campaign_terms(tx.get(store.campaign_key(activity["campaign_id"])))
        now = store.now()
        summary = domain.request_summary(new_id("summary"), activity, terms, now)
        tx.first_of(summary["id"])
        store.save_summary(tx, summary)
        tx.emit("summary_requested", summary["id"], summary["revision"], summary)
        _forward(store, tx, domain.activity_issues(activity), terms, now, issues.SYSTEM)

    # What it reads is known up front (the report's state of the activity included): read with the
    # transaction's first round trip.
    store.transact(work, store.routes_key, reads=[store.routes_read()],
                   prefetch=[store.activity_summary_key(activity["id"]), store.campaign_key(activity["campaign_id"]),
                             ReportStore.beside(store).state_key(counters.subject_of(event))])


def _forward(store, tx, origins, terms, now, by):
    """Open one issue per origin, routed by category; their ids."""
    routes = store.read_routes(tx)
    opened = []
    for origin in origins:
        issue, event_type = issues.open_issue(new_id("issue"), origin,
                                              departments.route(origin["category"], routes), terms, now, by)
        tx.first_of(issue["id"])
        store.save_issue(tx, issue)
        tx.emit(event_type, issue["id"], issue["revision"], issue)
        opened.append(issue["id"])
    return opened


# Departments: the code is the record's id and its events' subject.

def register_department(store, department, request=None):
    def work(tx):
        if tx.replayed(request) is not None:
            return tx.first_result(request, lambda code: tx.get(store.department_key(code)))
        existing = tx.get(store.department_key(department["code"]))
        record = departments.new_department(department, existing, store.read_routes(tx), store.now())
        return _save_department(store, tx, record, None, "department_registered", request)

    return store.transact(work)


def seed_department(store, department):
    """Register a seed file entry unless it was loaded before. An entry whose code or categories
    are taken (the committee registered them first) is marked loaded and skipped: the reason is
    returned (None otherwise)."""
    code = department["code"]

    def work(tx):
        tx.watch(store.seeded_key)
        if tx.reader.hexists(store.seeded_key, code):
            return None
        now = store.now()
        tx.write(lambda pipe: pipe.hset(store.seeded_key, code, now.isoformat()))
        reason = departments.conflict(department, tx.get(store.department_key(code)), store.read_routes(tx))
        if reason is None:
            record = departments.new_department(department, None, {}, now)
            _save_department(store, tx, record, None, "department_registered")
        return reason

    return store.transact(work)


def update_department(store, code, changes, request=None):
    return _change_department(store, code, request, lambda tx, department, now: (
        departments.update(department, changes, store.read_routes(tx), now), "department_updated"))


def deactivate_department(store, code, request=None):
    return _change_department(store, code, request, lambda tx, department, now: (
        departments.deactivate(department, now), "department_deactivated"))


def _change_department(store, code, request, change):
    def work(tx):
        before = require_found(tx.get(store.department_key(code)), "司局")
        if tx.replayed(request) is not None:
            return tx.first_result(request, lambda _code: before)
        after, event_type = change(tx, before, store.now())
        return _save_department(store, tx, after, before, event_type, request)

    return store.transact(work)


def _save_department(store, tx, record, before, event_type, request=None):
    store.save_department(tx, record, before)
    tx.emit(event_type, record["code"], record["revision"], record)
    if request is not None:
        tx.remember(request, record["code"], record)
    return record


# Summaries.

def submit_summary(store, caller, summary_id, content, request=None):
    def change(tx, before, now):
        submitted, origins = domain.submit_summary(before, content, now)
        terms = store.terms(tx, before["campaign_id"])
        submitted["issue_ids"] = _forward(store, tx, origins, terms, now, caller.recipient)
        return submitted, "summary_submitted"

    return store.change(store.summary_key(summary_id), "总结", change, owner=partial(_reporting_unit, caller),
                        save=store.save_summary, request=request)


# Issues: each step returns `(issue, event_type)`.

def acknowledge_issue(store, caller, issue_id, request=None):
    return _change_issue(store, caller, issue_id, request,
                         lambda tx, issue, now: issues.acknowledge(issue, caller.recipient, now))


def answer_issue(store, caller, issue_id, reply, request=None):
    return _change_issue(store, caller, issue_id, request,
                         lambda tx, issue, now: issues.answer(issue, reply, caller.recipient, now))


def transfer_issue(store, caller, issue_id, department, reason, request=None):
    """To `department`, or with None back to the committee's triage."""
    def step(tx, issue, now):
        if department is not None:
            departments.require_receiving(require_found(tx.get(store.department_key(department)), "司局"))
        terms = store.terms(tx, issue["campaign_id"])
        return issues.transfer(issue, department, reason, terms, caller.recipient, now)

    # A department's retried transfer finds the issue moved away from it by its own first call.
    retried = store.was_requested(request)

    def owner(issue):
        if not (retried and caller.owns(department=issue["previous_department"])):
            caller.require_owner(department=issue["department"])

    return store.change(store.issue_key(issue_id), "问题", step, owner=owner, save=store.save_issue, request=request)


def rate_issue(store, caller, issue_id, rating, request=None):
    def step(tx, issue, now):
        return issues.rate(issue, rating, store.terms(tx, issue["campaign_id"]), caller.recipient, now)

    return store.change(store.issue_key(issue_id), "问题", step, owner=partial(_reporting_unit, caller),
                        save=store.save_issue, request=request)


def _change_issue(store, caller, issue_id, request, step):
    """A department's step on an issue assigned to it (the committee's on any)."""
    def assigned(issue):
        caller.require_owner(department=issue["department"])

    return store.change(store.issue_key(issue_id), "问题", step, owner=assigned, save=store.save_issue,
                        request=request)


def _reporting_unit(caller, record):
    caller.require_owner(unit=record["unit_code"])


# Reads: not found, then ownership.

def get_summary(store, caller, summary_id):
    summary = require_found(store.load(store.summary_key(summary_id)), "总结")
    _reporting_unit(caller, summary)
    return summary


def get_issue(store, caller, issue_id):
    issue = require_found(store.load(store.issue_key(issue_id)), "问题")
    caller.require_owner(unit=issue["unit_code"], department=issue["department"])
    return issue


# Deadlines: only what has fallen due is read, through the due sets. Each id is settled in its own
# transaction that re-reads the record under WATCH, so concurrent checks send each notice once.

def check_deadlines(store, now):
    """Send the overdue notices fallen due before `now`; the counts of what this call sent."""
    counts = {"summary_overdue": 0, "issue_overdue": {ACK: 0, ANSWER: 0}}
    for summary_id in store.fallen_due(SUMMARY_DUE, now):
        counts["summary_overdue"] += store.transact(partial(_summary_overdue, store, summary_id, now))
    for kind in (ACK, ANSWER):
        for issue_id in store.fallen_due(kind, now):
            counts["issue_overdue"][kind] += store.transact(partial(_issue_overdue, store, issue_id, kind, now))
    return counts


def _summary_overdue(store, summary_id, now, tx):
    before = tx.get(store.summary_key(summary_id))
    if before is None or not domain.summary_fell_due(before, now):
        return 0
    summary = domain.mark_summary_overdue(before, now)
    store.save_summary(tx, summary, before)
    tx.emit("summary_overdue", summary["id"], summary["revision"], summary)
    return 1


def _issue_overdue(store, issue_id, kind, now, tx):
    before = tx.get(store.issue_key(issue_id))
    if before is None or not issues.fell_due(before, kind, now):
        return 0
    issue, event_type = issues.mark_overdue(before, kind, now)
    store.save_issue(tx, issue, before)
    tx.emit(event_type, issue["id"], issue["revision"], {**issue, "kind": kind})
    return 1
