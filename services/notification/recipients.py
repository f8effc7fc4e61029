"""Who is told about which event (contract §4), as a table: event type → recipient rules.

A rule names an audience (`committee`, `unit`, `department`) and optionally a condition on the
event's record. The audience also picks the template: templates/<audience>/<event_type>.txt."""
COMMITTEE, UNIT, DEPARTMENT = "committee", "unit", "department"

TO_COMMITTEE = {"to": COMMITTEE}
TO_UNIT = {"to": UNIT}
TO_DEPARTMENT = {"to": DEPARTMENT, "when": "assigned"}
TO_TRIAGE = {"to": COMMITTEE, "when": "triage"}

RECIPIENTS = {
    "pairing_reported": [TO_COMMITTEE],
    "pairing_approved": [TO_UNIT],
    "pairing_rejected": [TO_UNIT],
    "pairing_deadline_approaching": [TO_UNIT],
    "pairing_overdue": [TO_COMMITTEE, TO_UNIT],
    "summary_requested": [TO_UNIT],
    "summary_overdue": [TO_COMMITTEE, TO_UNIT],
    "issue_forwarded": [TO_DEPARTMENT, TO_TRIAGE],
    "issue_transferred": [TO_DEPARTMENT, TO_TRIAGE],
    "issue_reopened": [TO_DEPARTMENT],
    "issue_answered": [TO_COMMITTEE, TO_UNIT],
    "issue_overdue": [TO_COMMITTEE, TO_DEPARTMENT],
}

# An issue with no department is in the committee's triage.
CONDITIONS = {
    "assigned": lambda data: data.get("department") is not None,
    "triage": lambda data: data.get("department") is None,
}

ADDRESS = {
    COMMITTEE: lambda data: "committee",
    UNIT: lambda data: f"unit:{data['unit_code']}",
    DEPARTMENT: lambda data: f"department:{data['department']}",
}


def audience_of(recipient):
    """`committee`, `unit` or `department` for an inbox address such as `unit:U001`."""
    return recipient.partition(":")[0]


def event_types_of(audience):
    """The event types an audience is ever told of, in table order (a webhook's default, §8)."""
    return [event_type for event_type, rules in RECIPIENTS.items() if any(rule["to"] == audience for rule in rules)]


def recipients_of(event_type, data):
    """[(audience, recipient)] for an event, each recipient once; [] for events nobody is told of."""
    found = []
    for rule in RECIPIENTS.get(event_type, ()):
        condition = rule.get("when")
        if condition is not None and not CONDITIONS[condition](data):
            continue
        pair = (rule["to"], ADDRESS[rule["to"]](data))
        if pair not in found:
            found.append(pair)
    return found
