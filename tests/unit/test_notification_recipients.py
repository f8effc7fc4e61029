"""The recipients table against contract §4, and one template per (audience, event type)."""
import pytest

from services.common.events import SCHEMAS
from services.notification import texts
from services.notification.recipients import RECIPIENTS, recipients_of
from tests.service.notification import events as s

UNIT_DATA = {"campaign_id": "c1", "unit_code": "U001"}
ASSIGNED = {**UNIT_DATA, "department": "elderly-care"}
TRIAGE = {**UNIT_DATA, "department": None}

ALL_TYPES = sorted({event_type for _, event_type in SCHEMAS})


@pytest.mark.parametrize("event_type", ALL_TYPES)
@pytest.mark.parametrize("data", [ASSIGNED, TRIAGE], ids=["assigned", "triage"])
def test_every_event_type_reaches_exactly_the_contracts_recipients(event_type, data):
    assert {recipient for _, recipient in recipients_of(event_type, data)} == s.contract_recipients(event_type, data)


def test_the_table_names_only_known_event_types():
    assert set(RECIPIENTS) <= set(ALL_TYPES)
    assert set(RECIPIENTS) == s.TO_COMMITTEE | s.TO_UNIT | s.TO_DEPARTMENT


@pytest.mark.parametrize("event_type, data, pairs", [
    ("issue_forwarded", TRIAGE, [("committee", "committee")]),
    ("issue_transferred", ASSIGNED, [("department", "department:elderly-care")]),
    ("issue_reopened", TRIAGE, []),
    ("pairing_overdue", UNIT_DATA, [("committee", "committee"), ("unit", "unit:U001")]),
    ("activity_completed", UNIT_DATA, []),
])
def test_recipients_come_with_their_audience(event_type, data, pairs):
    assert recipients_of(event_type, data) == pairs


@pytest.mark.parametrize("event_type, rule", [(e, r) for e, rules in RECIPIENTS.items() for r in rules])
def test_every_rule_has_its_template(event_type, rule):
    assert texts.has_template(rule["to"], event_type)
