"""The campaign report (contract §5) kept as counters. Plain functions on dicts: no nameko, no Redis.

Every event folds into a small state of its subject: a campaign, one unit's pairings, an activity,
a summary request, an issue. A state says what its subject contributes to the counters, and
applying an event writes only the difference between the old and the new contribution. So a
repeated, stale or out-of-order event leaves the counters exact, and the report is read from a
fixed handful of hashes whatever the number of activities.

A contribution maps `(table, field)` to a number; the tables are the campaign's totals
(`issues.answered`), its units (`U001:problems_found`) and its departments (`elderly-care:issues`)."""
from collections import Counter

from services.common import clock, projection

TOTALS, UNITS, DEPARTMENTS = "totals", "units", "departments"
# Hours are counted in thousandths so that integer HINCRBY stays exact.
MILLI = 1000

ISSUE_EVENTS = ("issue_forwarded", "issue_acknowledged", "issue_answered", "issue_transferred",
                "issue_reopened", "issue_closed", "issue_overdue")
PAIRING_EVENTS = ("pairing_reported", "pairing_withdrawn", "pairing_approved", "pairing_rejected")
# Deadline notices: the `reminders` of contract §5 v2 `units.by_status`.
NOTICE_EVENTS = ("pairing_deadline_approaching", "pairing_overdue")
UNIT_EVENTS = PAIRING_EVENTS + NOTICE_EVENTS
KINDS = {
    **{("pairing", t): "campaign" for t in ("campaign_created", "campaign_updated", *UNIT_EVENTS)},
    **{("activity", t): "activity" for t in ("activity_planned", "activity_completed", "activity_cancelled")},
    **{("summary", t): "summary" for t in ("summary_requested", "summary_submitted", "summary_overdue")},
    **{("summary", t): "issue" for t in ISSUE_EVENTS},
}


# Names for the report's rows, kept across campaigns.
NAMES = {("pairing", "unit_registered"): "unit", ("summary", "department_registered"): "department",
         ("summary", "department_updated"): "department"}


def kind_of(event):
    return KINDS[(event["source"], event["event_type"])]


def is_counted(event):
    return (event["source"], event["event_type"]) in KINDS


def is_named(event):
    return (event["source"], event["event_type"]) in NAMES


def subject_of(event):
    """(campaign id, kind, subject) of the state an event folds into.

    Pairings and deadline notices fold into their campaign's state: a unit counts by its latest
    pairing, and only while it takes part (a unit deactivated before the deadline leaves the
    campaign, pairing and all)."""
    kind = kind_of(event)
    data = event["data"]
    if kind == "campaign":
        campaign_id = data["campaign_id"] if event["event_type"] in UNIT_EVENTS else data["id"]
        return campaign_id, kind, campaign_id
    return data["campaign_id"], kind, data["id"]


def is_newer(state, event):
    return projection.is_newer(event["seq"], state)


def newest(events):
    """{campaign id: the latest `occurred_at` among `events`}: the report's `as_of` (§5 v2)."""
    latest = {}
    for event in events:
        campaign_id = subject_of(event)[0]
        latest[campaign_id] = later(latest.get(campaign_id), event["occurred_at"])
    return latest


def later(kept, occurred_at):
    """The later of two ISO times (`kept` may be None)."""
    if kept is None or clock.parse(occurred_at) > clock.parse(kept):
        return occurred_at
    return kept


# Folding an event into its subject's state. Each returns `state` itself when nothing changes.

# A campaign's state before its own event has arrived (pairing events may overtake it).
NO_CAMPAIGN = {"seq": 0, "name": None, "participants": [], "pairings": {}, "notices": {},
               "carried_over_from": None}


def fold_campaign(state, event):
    """The campaign's name, participants and origin, each unit's pairings and deadline notices."""
    state = {**NO_CAMPAIGN, **(state or {})}  # states stored before notices were counted lack them
    data = event["data"]
    if event["event_type"] in NOTICE_EVENTS:
        return fold_notice(state, event)
    if event["event_type"] in PAIRING_EVENTS:
        unit = data["unit_code"]
        before = state["pairings"].get(unit)
        after = fold_pairing(before, event)
        return state if after is before else {**state, "pairings": {**state["pairings"], unit: after}}
    if not is_newer(state, event):
        return state
    return {**state, "seq": event["seq"], "name": data["name"], "participants": sorted(set(data["participants"])),
            "carried_over_from": data.get("carried_over_from")}


def fold_notice(state, event):
    """A deadline notice sent to a unit, counted once per notice (its type and seq), however often
    and under whatever event_id it arrives."""
    unit = event["data"]["unit_code"]
    fact = f"{event['event_type']}:{event['seq']}"
    sent = state["notices"].get(unit, [])
    if fact in sent:
        return state
    return {**state, "notices": {**state["notices"], unit: sorted([*sent, fact])}}


def pairing_order(pairing):
    return clock.parse(pairing["created_at"]), pairing["id"]


def fold_pairing(state, event):
    """A unit's pairings: the seq applied per pairing, and the latest pairing (by creation)."""
    pairing = event["data"]
    seqs = dict(state["seqs"]) if state else {}
    if not projection.is_newer(event["seq"], seqs.get(pairing["id"])):
        return state
    seqs[pairing["id"]] = event["seq"]
    latest = state["latest"] if state else None
    if latest is None or pairing_order(pairing) >= pairing_order(latest):
        latest = {"id": pairing["id"], "created_at": pairing["created_at"], "status": pairing["status"],
                  "late": pairing["late"]}
    return {"seqs": seqs, "latest": latest}


def completion_figures(report):
    volunteers, problems = report["volunteers"], report["problems"]
    return {
        "participations": len(volunteers),
        "party_members": sum(1 for v in volunteers if v["party_member"]),
        "youth": sum(1 for v in volunteers if v["youth"]),
        "hours_milli": sum(round(v["hours"] * MILLI) for v in volunteers),
        "services": sorted(set(report["services_delivered"])),
        "beneficiaries": report["beneficiaries"],
        "opinions": len(report["opinions"]),
        "found": len(problems),
        "resolved_on_site": sum(1 for p in problems if p["resolved_on_site"]),
        "business_related": sum(1 for p in problems if p["business_related"]),
        "unresolved": sum(1 for p in problems if not p["resolved_on_site"] and not p["business_related"]),
    }


def fold_activity(state, event):
    if not is_newer(state, event):
        return state
    activity = event["data"]
    completed = activity["status"] == "completed"
    return {"seq": event["seq"], "unit": activity["unit_code"], "status": activity["status"],
            "figures": completion_figures(activity["report"]) if completed else None}


def fold_summary(state, event):
    """A request's `overdue` stays true once `summary_overdue` was sent, submitted or not."""
    if not is_newer(state, event):
        return state
    summary = event["data"]
    return {"seq": event["seq"], "unit": summary["unit_code"], "status": summary["status"],
            "late": summary["late"], "overdue_sent": summary["overdue"]}


def still_overdue(issue):
    """An `issue_overdue` was sent in the current assignment and its step is still awaited."""
    awaited = {"ack": ("forwarded",), "answer": ("forwarded", "acknowledged")}
    return any(notice["assignment"] == issue["assignment"] and issue["status"] in awaited[notice["kind"]]
               for notice in issue["overdue_notices"])


def fold_issue(state, event):
    """The issue record carries its whole story (first acknowledgement, answers, ratings, 重办,
    overdue notices), so the latest record alone says what the issue counts."""
    if not is_newer(state, event):
        return state
    issue = event["data"]
    answer, rating = issue["answer"], issue["rating"]
    return {"seq": event["seq"], "unit": issue["unit_code"], "department": issue["department"],
            "figures": {
                "forwarded": 1,
                "triage": int(issue["status"] == "triage"),
                "acknowledged_on_time": int(bool(issue["acknowledged_on_time"])),
                "answered": int(issue["ever_answered"]),
                "resolved": int(bool(answer and answer["resolved"])),
                "reopened": int(issue["reopen_count"] > 0),
                "closed": int(issue["status"] == "closed"),
                "rated": int(issue["rating_count"] > 0),
                "satisfied": int(bool(rating and rating["satisfied"])),
                "overdue": int(still_overdue(issue)),
            }}


FOLDS = {"campaign": fold_campaign, "activity": fold_activity, "summary": fold_summary, "issue": fold_issue}


def fold(kind, state, event):
    return FOLDS[kind](state, event)


# What a state contributes to the counters.

ISSUE_TOTALS = ("forwarded", "triage", "acknowledged_on_time", "answered", "resolved", "reopened",
                "closed", "rated", "satisfied")
DEPARTMENT_FIGURES = ("issues", "acknowledged_on_time", "answered", "resolved", "rated", "satisfied",
                      "overdue")


def campaign_contribution(state):
    contribution = Counter({(TOTALS, "units.total"): len(state["participants"])})
    for unit in state["participants"]:
        contribution[(UNITS, f"{unit}:participating")] = 1
        pairings = state["pairings"].get(unit)
        if pairings is not None:
            latest = pairings["latest"]
            reported = latest["status"] in ("reported", "approved")
            contribution.update({(TOTALS, "units.reported"): int(reported),
                                 (TOTALS, "units.reported_on_time"): int(reported and not latest["late"]),
                                 (TOTALS, "units.approved"): int(latest["status"] == "approved")})
    return contribution


def activity_contribution(state):
    contribution = Counter({(TOTALS, f"activities.{state['status']}"): 1})
    figures = state["figures"]
    if figures is None:
        return contribution
    unit = state["unit"]
    contribution.update({
        **{(TOTALS, f"volunteers.{name}"): figures[name]
           for name in ("participations", "party_members", "youth", "hours_milli")},
        **{(TOTALS, f"services.{service}"): 1 for service in figures["services"]},
        (TOTALS, "beneficiaries"): figures["beneficiaries"],
        (TOTALS, "opinions"): figures["opinions"],
        **{(TOTALS, f"problems.{name}"): figures[name]
           for name in ("found", "resolved_on_site", "business_related", "unresolved")},
        (UNITS, f"{unit}:activities_completed"): 1,
        (UNITS, f"{unit}:volunteer_hours_milli"): figures["hours_milli"],
        (UNITS, f"{unit}:problems_found"): figures["found"],
    })
    return contribution


def summary_contribution(state):
    submitted = state["status"] == "submitted"
    on_time = submitted and not state["late"]
    unit = state["unit"]
    return Counter({(TOTALS, "summaries.requested"): 1,
                    (TOTALS, "summaries.submitted"): int(submitted),
                    (TOTALS, "summaries.submitted_on_time"): int(on_time),
                    (TOTALS, "summaries.overdue"): int(state["overdue_sent"] and not submitted),
                    (UNITS, f"{unit}:summaries_submitted"): int(submitted),
                    (UNITS, f"{unit}:summaries_on_time"): int(on_time)})


def issue_contribution(state):
    """Totals count each issue once; a department counts the issues assigned to it now."""
    figures = state["figures"]
    contribution = Counter({(TOTALS, f"issues.{name}"): figures[name] for name in ISSUE_TOTALS})
    contribution[(UNITS, f"{state['unit']}:issues_forwarded")] = 1
    department = state["department"]
    if department is not None:
        contribution.update({(DEPARTMENTS, f"{department}:{name}"): figures[name]
                             for name in DEPARTMENT_FIGURES if name != "issues"})
        contribution[(DEPARTMENTS, f"{department}:issues")] = 1
    return contribution


CONTRIBUTIONS = {"campaign": campaign_contribution, "activity": activity_contribution,
                 "summary": summary_contribution, "issue": issue_contribution}


def contribution(kind, state):
    return Counter() if state is None else CONTRIBUTIONS[kind](state)


def difference(kind, before, after):
    """What the counters must change by when a subject's state goes from `before` to `after`."""
    delta = contribution(kind, after)
    delta.subtract(contribution(kind, before))
    return {key: value for key, value in delta.items() if value}


def count(states, events):
    """Fold `events`, in this order, into `states` ({subject_of(event): state or None}).

    Returns the states that changed and the counter changes {(campaign_id, table, field): delta}."""
    after = dict(states)
    for event in events:
        subject = subject_of(event)
        after[subject] = fold(subject[1], after.get(subject), event)
    changed = {subject: state for subject, state in after.items() if state != states.get(subject)}
    changes = Counter()
    for subject, state in changed.items():
        campaign_id, kind, _ = subject
        for (table, field), delta in difference(kind, states.get(subject), state).items():
            changes[(campaign_id, table, field)] += delta
    return changed, {key: delta for key, delta in changes.items() if delta}
