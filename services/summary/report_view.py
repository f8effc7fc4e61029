"""The campaign report of contract §5 from its counters (see report.py): sections, rows, rates.
Plain functions on what Redis returns: no nameko, no Redis."""
from collections import Counter

from services.common.vocabulary import SERVICE_TYPES

from .report import DEPARTMENT_FIGURES, ISSUE_TOTALS, MILLI

SUMMARY_FIELDS = ("requested", "submitted", "submitted_on_time", "overdue")
UNIT_FIGURES = ("activities_completed", "volunteer_hours", "problems_found", "issues_forwarded",
                "summaries_submitted", "summaries_on_time")


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


def build(campaign_id, name, totals, units, departments, unit_names, department_names):
    """The report of contract §5 from the three counter hashes (field -> text, as Redis returns
    them) and the names of the registered units and departments (code -> name).

    Beyond the contract: the campaign's `name`, each row's unit or department `name` (None while
    not known), and department rows' `rated`, the denominator of their satisfaction rate."""
    total = Counter({field: int(value) for field, value in totals.items()})

    def section(prefix, names):
        return {name: total[f"{prefix}.{name}"] for name in names}

    issues = section("issues", ISSUE_TOTALS)
    assigned = issues["forwarded"] - issues["triage"]
    issues.update(response_rate=rate(issues["acknowledged_on_time"], assigned),
                  resolution_rate=rate(issues["resolved"], assigned),
                  satisfaction_rate=rate(issues["satisfied"], issues["rated"]))
    volunteers = section("volunteers", ("participations", "party_members", "youth"))
    volunteers["hours"] = hours(total["volunteers.hours_milli"])
    unit_rows = split(units)
    department_rows = split(departments)
    for code in department_names:
        department_rows.setdefault(code, {})
    return {
        "campaign_id": campaign_id,
        "name": name,
        "units": section("units", ("total", "reported", "reported_on_time", "approved")),
        "activities": section("activities", ("planned", "completed", "cancelled")),
        "volunteers": volunteers,
        "services": section("services", SERVICE_TYPES),
        "beneficiaries": total["beneficiaries"],
        "opinions": total["opinions"],
        "problems": section("problems", ("found", "resolved_on_site", "business_related", "unresolved")),
        "summaries": section("summaries", SUMMARY_FIELDS),
        "issues": issues,
        "by_unit": [unit_row(code, figures, unit_names) for code, figures in sorted(unit_rows.items())
                    if shown(figures, figures.get("participating"))],
        "by_department": [department_row(code, figures, department_names)
                          for code, figures in sorted(department_rows.items())
                          if shown(figures, code in department_names)],
    }
