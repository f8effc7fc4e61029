"""Event data as the pairing, activity and summary services publish it (contract §4), for the
notification tests of every tier; the fixtures that drive the service are in conftest.py."""
import uuid

from services.common.events import SCHEMAS, make_event

STAMP = "2025-03-01T09:00:00+08:00"
CAMPAIGN_NAME = "2025年学雷锋结对帮扶志愿服务活动"


def uid(prefix):
    return f"{prefix}{uuid.uuid4().hex[:8]}"


def record(record_id, **fields):
    return {"id": record_id, "created_at": STAMP, "updated_at": STAMP, "revision": 1, **fields}


def campaign(campaign_id, name=CAMPAIGN_NAME, deadline="2025-03-09", region="北京市"):
    return record(campaign_id, name=name, year=int(deadline[:4]), region=region, report_deadline=deadline,
                  remind_days=3, summary_due_days=7, issue_ack_days=2, issue_answer_days=15, participants=[])


def unit(code, name="民政部办公厅", email=None, active=True):
    return {"code": code, "name": name, "party_org": f"{name}党支部", "contact_email": email, "active": active,
            "created_at": STAMP, "updated_at": STAMP, "revision": 1}


def department(code, name="养老服务司", email=None, categories=("elderly_care",)):
    return {"code": code, "name": name, "categories": list(categories), "contact_email": email,
            "created_at": STAMP, "updated_at": STAMP, "revision": 1}


def pairing(pairing_id, campaign_id, unit_code, status="reported", late=False):
    return record(pairing_id, campaign_id=campaign_id, unit_code=unit_code, status=status, late=late,
                  reported_at=STAMP, review_comment="",
                  target={"category": "group_in_difficulty", "kind": "household", "district": "朝阳区",
                          "needs": ["visit_condolence"]})


def notice(campaign_id, unit_code, deadline="2025-03-09"):
    return {"campaign_id": campaign_id, "unit_code": unit_code, "deadline": deadline}


def activity(activity_id, campaign_id, unit_code, title="走访慰问独居老人"):
    return record(activity_id, campaign_id=campaign_id, unit_code=unit_code, pairing_id="p-any",
                  status="planned", title=title)


def summary(summary_id, activity_id, campaign_id, unit_code, due_at="2025-03-23T18:00:00+08:00"):
    return record(summary_id, activity_id=activity_id, campaign_id=campaign_id, unit_code=unit_code,
                  status="requested", due_at=due_at, late=False, overdue=False)


def issue(issue_id, campaign_id, unit_code, department_code, status="forwarded", **fields):
    assigned = department_code is not None
    return record(issue_id, **{
        "campaign_id": campaign_id, "unit_code": unit_code, "department": department_code,
        "status": status if assigned else "triage", "category": "elderly_care" if assigned else "other",
        "description": "独居老人助餐点不足", "source": {"kind": "activity", "id": "a-any"},
        "forwarded_at": STAMP, "ack_due_at": "2025-03-03T09:00:00+08:00" if assigned else None,
        "answer_due_at": "2025-03-16T09:00:00+08:00" if assigned else None, "answer": None,
        "rating": None, "reopen_count": 0, "history": [], **fields})


SOURCE = {event_type: source for source, event_type in SCHEMAS}

# Contract §4, sentence by sentence, restated here so that tests do not trust the service's table.
TO_COMMITTEE = {"pairing_reported", "pairing_overdue", "summary_overdue", "issue_overdue", "issue_answered"}
TO_UNIT = {"pairing_approved", "pairing_rejected", "pairing_deadline_approaching", "pairing_overdue",
           "summary_requested", "summary_overdue", "issue_answered"}
TO_DEPARTMENT = {"issue_forwarded", "issue_transferred", "issue_reopened", "issue_overdue"}
INTO_TRIAGE = {"issue_forwarded", "issue_transferred"}


def contract_recipients(event_type, data):
    """The inboxes contract §4 says an event reaches."""
    found = set()
    if event_type in TO_COMMITTEE or (event_type in INTO_TRIAGE and data.get("department") is None):
        found.add("committee")
    if event_type in TO_UNIT:
        found.add(f"unit:{data['unit_code']}")
    if event_type in TO_DEPARTMENT and data.get("department"):
        found.add(f"department:{data['department']}")
    return found


def envelope(event_type, data, subject=None, seq=1):
    subject = subject or data.get("id") or data.get("code") or f"{data['campaign_id']}:{data['unit_code']}"
    return make_event(SOURCE[event_type], event_type, subject, seq, data)
