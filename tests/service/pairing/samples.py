"""Sample inputs, checks and steps of the pairing service tests (their fixtures are in conftest.py)."""
import json
from datetime import timedelta

from tests.helpers import remote_error, wait_until  # noqa: F401  (remote_error: for the test modules)

# Personal values that must never appear on the bus (the unit's and the target's).
UNIT_PHONE, UNIT_CONTACT = "13912345678", "王芳芳"
TARGET_PHONE, TARGET_CONTACT, TARGET_ADDRESS = "13812349876", "张建国", "东城区和平里街道七区12号楼"
PERSONAL = (UNIT_PHONE, UNIT_CONTACT, TARGET_PHONE, TARGET_CONTACT, TARGET_ADDRESS, "独居老人")

TARGET = {
    "name": "张大爷家", "category": "group_in_difficulty", "kind": "household", "district": "东城区",
    "address": TARGET_ADDRESS, "contact_name": TARGET_CONTACT, "contact_phone": TARGET_PHONE,
    "needs": ["visit_condolence", "home_repair"], "notes": "独居老人",
}
ORG_TARGET = {**TARGET, "name": "和平里社区养老驿站", "kind": "organization", "category": "public_welfare_org"}


def unit_input(unit_code, **changes):
    code = unit_code
    return {"code": code, "name": f"{code}单位", "party_org": f"{code}机关党支部", "contact_name": UNIT_CONTACT,
            "contact_phone": UNIT_PHONE, "contact_email": f"{code.lower()}@example.org", **changes}


# The test's day, pushed by conftest's autouse `one_day` fixture.
PINNED_DAYS = []


def today():
    """The test's day (see `one_day`); outside a test there is none to give."""
    assert PINNED_DAYS, "today() is read once per test, by conftest's `one_day` fixture"
    return PINNED_DAYS[-1]


def campaign_input(days_ahead=30, **changes):
    deadline = today() + timedelta(days=days_ahead)
    return {"name": f"{deadline.year}年学雷锋结对帮扶", "year": deadline.year,
            "report_deadline": deadline.isoformat(), **changes}


def error_fields(error):
    assert error.exc_type == "ValidationError", error
    return set(json.loads(error.value))


def distinct(listener, event_type=None):
    """The events heard, once each: delivery is at-least-once (the outbox relay may publish an event
    again while its first publication is still being confirmed)."""
    return list({event["event_id"]: event for event in listener.events(event_type)}.values())


def wait_distinct(listener, event_type, count=1, timeout=10.0):
    def enough():
        found = distinct(listener, event_type)
        return found if len(found) >= count else None
    return wait_until(enough, timeout, message=f"{count} x {event_type}")


def assert_no_personal_data(events):
    text = json.dumps(events, ensure_ascii=False)
    for value in PERSONAL:
        assert value not in text


def assert_envelope(event, event_type, subject, seq):
    assert set(event) == {"event_id", "event_type", "occurred_at", "source", "version", "subject", "seq", "data",
                          "correlation_id"}
    assert event["correlation_id"]
    assert (event["event_type"], event["source"], event["version"], event["subject"], event["seq"]) == (
        event_type, "pairing", 1, subject, seq)
    assert event["occurred_at"].endswith("+08:00")


def register(committee, *codes):
    return [committee.pairing.register_unit(unit_input(code)) for code in codes]


def open_campaign(committee, *codes, **campaign):
    """Register `codes` and create an all-units campaign; returns the campaign."""
    register(committee, *codes)
    return committee.pairing.create_campaign(campaign_input(**campaign))
