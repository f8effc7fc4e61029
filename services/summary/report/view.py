"""The campaign report of contract §5 from its counters (see counters.py): sections, rows, rates.
Plain functions on what Redis returns: no nameko, no Redis."""
from collections import Counter
from typing import TypedDict

from services.common.vocabulary import SERVICE_TYPES

from .counters import DEPARTMENT_FIGURES, ISSUE_TOTALS, MILLI, NO_CAMPAIGN

SUMMARY_FIELDS = ("requested", "submitted", "submitted_on_time", "overdue")
UNIT_FIGURES = ("activities_completed", "volunteer_hours", "problems_found", "issues_forwarded",
                "summaries_submitted", "summaries_on_time")
UNIT_TOTALS = ("total", "reported", "reported_on_time", "approved")
NOT_REPORTED = "not_reported"
PAIRING_STATUSES = (NOT_REPORTED, "reported", "approved", "rejected", "withdrawn")
# The sections of an earlier campaign's report that `compared_with` repeats (§5 v2).
COMPARED = ("units", "activities", "volunteers", "beneficiaries", "problems", "issues")


class Counted(TypedDict):
    """What the report store reads for one campaign: its state (counters.fold_campaign, None when
    its own event has not arrived) and its `totals` hash (field -> text, as Redis returns it)."""
    campaign_id: str
    state: dict | None
    totals: dict


class Read(Counted):
    """Everything one report is built from: the campaign's `units` and `departments` hashes, the
    names of registered units and departments (code -> name), its `as_of` and, for a campaign
    carried over from an earlier one, that campaign's counts (None otherwise)."""
    units: dict
    departments: dict
    unit_names: dict
    department_names: dict
    as_of: str | None
    earlier: Counted | None


def rate(part, whole):
    return part / whole if whole else None


def hours(milli):
    return milli // MILLI if milli % MILLI == 0 else milli / MILLI


def split(fields):
    """{"U001:problems_found": "2"} -> {"U001": {"problems_found": 2}}"""
    rows = {}
    for field, value in fields.items():
        owner, _, name = field.rpartition(":")
        rows.setdefault(owner, {})[name] = int(value)
    return rows


def unit_row(unit_code, figures, names):
    row = {"unit_code": unit_code, "name": names.get(unit_code),
           **{name: figures.get(name, 0) for name in UNIT_FIGURES}}
    row["volunteer_hours"] = hours(figures.get("volunteer_hours_milli", 0))
    return row


def department_row(department, figures, names):
    row = {"department": department, "name": names.get(department),
           **{name: figures.get(name, 0) for name in DEPARTMENT_FIGURES}}
    row.update(response_rate=rate(row["acknowledged_on_time"], row["issues"]),
               resolution_rate=rate(row["resolved"], row["issues"]),
               satisfaction_rate=rate(row["satisfied"], row["rated"]))
    return row


def shown(figures, keep):
    """Rows worth a line: taking part (units) or registered (departments), or with any figure."""
    return keep or any(value for name, value in figures.items() if name != "participating")


def unit_status(state, unit_code):
    """A taking-part unit by its latest pairing (§5 v2 `units.by_status`), `reminders` = the
    deadline notices sent to it."""
    latest = (state["pairings"].get(unit_code) or {}).get("latest")
    return {"unit_code": unit_code, "status": latest["status"] if latest else NOT_REPORTED,
            "late": bool(latest and latest["late"]),
            "reminders": len(state["notices"].get(unit_code, []))}


def sections(counted):
    """The sections of §5 that come from the `totals` hash, `units` with its `by_status`."""
    total = Counter({field: int(value) for field, value in counted["totals"].items()})

    def section(prefix, names):
        return {name: total[f"{prefix}.{name}"] for name in names}

    issues = section("issues", ISSUE_TOTALS)
    assigned = issues["forwarded"] - issues["triage"]
    issues.update(response_rate=rate(issues["acknowledged_on_time"], assigned),
                  resolution_rate=rate(issues["resolved"], assigned),
                  satisfaction_rate=rate(issues["satisfied"], issues["rated"]))
    volunteers = section("volunteers", ("participations", "party_members", "youth"))
    volunteers["hours"] = hours(total["volunteers.hours_milli"])
    state = {**NO_CAMPAIGN, **(counted["state"] or {})}
    units = section("units", UNIT_TOTALS)
    units["by_status"] = [unit_status(state, code) for code in state["participants"]]
    return {
        "units": units,
        "activities": section("activities", ("planned", "completed", "cancelled")),
        "volunteers": volunteers,
        "services": section("services", SERVICE_TYPES),
        "beneficiaries": total["beneficiaries"],
        "opinions": total["opinions"],
        "problems": section("problems", ("found", "resolved_on_site", "business_related", "unresolved")),
        "summaries": section("summaries", SUMMARY_FIELDS),
        "issues": issues,
    }


def comparison(earlier):
    """`compared_with` (§5 v2): the earlier campaign's sections, or None for a first campaign."""
    if earlier is None:
        return None
    figures = sections(earlier)
    return {"campaign_id": earlier["campaign_id"], **{name: figures[name] for name in COMPARED}}


def build(read: Read):
    """The report of contract §5 (with v2's `as_of`, `units.by_status` and `compared_with`).

    Beyond the contract: the campaign's `name`, each row's unit or department `name` (None while
    not known), and department rows' `rated`, the denominator of their satisfaction rate."""
    unit_rows = split(read["units"])
    department_rows = split(read["departments"])
    for code in read["department_names"]:
        department_rows.setdefault(code, {})
    return {
        "campaign_id": read["campaign_id"],
        "name": read["state"]["name"] if read["state"] else None,
        "as_of": read["as_of"],
        **sections(read),
        "by_unit": [unit_row(code, figures, read["unit_names"]) for code, figures in sorted(unit_rows.items())
                    if shown(figures, figures.get("participating"))],
        "by_department": [department_row(code, figures, read["department_names"])
                          for code, figures in sorted(department_rows.items())
                          if shown(figures, code in read["department_names"])],
        "compared_with": comparison(read["earlier"]),
    }
