"""Inputs for the gateway tests (a unit, a campaign it takes part in, a target and a report) and
their log recorder."""
import logging
import uuid
from contextlib import contextmanager
from datetime import datetime, timedelta

from services.common import clock, correlation

TARGET = {"name": "和平里社区养老驿站", "category": "public_welfare_org", "kind": "organization",
          "district": "东城区", "address": "东城区和平里街道七区12号楼", "contact_name": "张建国",
          "contact_phone": "13812349876", "needs": ["visit_condolence"], "notes": ""}


def code(prefix="U"):
    return f"{prefix}{uuid.uuid4().hex[:8]}"


def unit_input(unit_code):
    return {"code": unit_code, "name": f"{unit_code}单位", "party_org": f"{unit_code}党支部",
            "contact_name": "王芳芳", "contact_phone": "13912345678", "contact_email": f"{unit_code.lower()}@example.org"}


def campaign_input(unit_codes, days_ahead=30):
    deadline = clock.now().date() + timedelta(days=days_ahead)
    return {"name": f"{deadline.year}年学雷锋结对帮扶", "year": deadline.year,
            "report_deadline": deadline.isoformat(), "unit_codes": unit_codes}


def iso(moment):
    return moment.isoformat()


def activity_input(pairing_id):
    start = clock.now() + timedelta(days=1)
    return {"pairing_id": pairing_id, "title": "走访慰问", "service_types": ["visit_condolence"],
            "scheduled_start": iso(start), "scheduled_end": iso(start + timedelta(hours=3)),
            "location": "和平里", "planned_volunteers": 3}


def report_input(category="elderly_care"):
    ended = clock.now() - timedelta(hours=1)
    return {"started_at": iso(ended - timedelta(hours=3)), "ended_at": iso(ended),
            "volunteers": [{"name": "李雷", "party_member": True, "youth": False, "hours": 2}],
            "services_delivered": ["visit_condolence"], "beneficiaries": 3, "description": "走访",
            "problems": [{"description": "屋顶漏水", "category": category, "business_related": True,
                          "resolved_on_site": False}], "opinions": ["希望常来"]}


def committee_unit_and_campaign(stack):
    """A registered unit taking part in a new campaign: (unit code, campaign)."""
    unit_code = code()
    stack.ok("pairing/register_unit", {"unit": unit_input(unit_code)})
    return unit_code, stack.ok("pairing/create_campaign", {"campaign": campaign_input([unit_code])})


def approved_pairing(stack, unit_code, campaign_id):
    pairing = stack.ok("pairing/report_pairing", {"campaign_id": campaign_id, "unit_code": unit_code,
                                                  "target": TARGET}, role="unit", unit=unit_code)
    return stack.ok("pairing/review_pairing", {"pairing_id": pairing["id"], "decision": "approve", "comment": ""})


def is_now(text):
    return abs(datetime.fromisoformat(text) - clock.now()) < timedelta(minutes=5)


class Recorded(logging.Handler):
    """The records a logger emits, stamped by the services' own filter as their log lines are."""

    def __init__(self):
        super().__init__(logging.INFO)
        self.records = []
        self.addFilter(correlation.LogFilter())

    def emit(self, record):
        self.records.append(record)


@contextmanager
def recording(logger_name):
    """What `logger_name` emits at INFO and above while the block runs (`.records`)."""
    recorded, logger = Recorded(), logging.getLogger(logger_name)
    level = logger.level
    logger.setLevel(logging.INFO)
    logger.addHandler(recorded)
    try:
        yield recorded
    finally:
        logger.removeHandler(recorded)
        logger.setLevel(level)
