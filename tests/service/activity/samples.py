"""Good inputs and steps of the activity service tests (their fixtures are in conftest.py)."""
import uuid
from datetime import timedelta

from services.common import clock
from tests.helpers import outcome, remote_error  # noqa: F401  (for the test modules)
from tests.service.fake_pairing import PAIRINGS, pairing_record

def new_pairing(unit_code="U001", status="approved", campaign_id="c0000000000000001"):
    """A pairing that only the fake `pairing` knows of."""
    record = pairing_record(f"p{uuid.uuid4().hex[:16]}", unit_code, status, campaign_id)
    PAIRINGS[record["id"]] = record
    return record


def plan(pairing_id, **changes):
    return {"pairing_id": pairing_id, "title": "上门维修水管", "service_types": ["home_repair", "visit_condolence"],
            "scheduled_start": "2026-03-05T09:00:00+08:00", "scheduled_end": "2026-03-05T11:00:00+08:00",
            "location": "海淀区某街2号张大爷家", "planned_volunteers": 3, **changes}


def report(**changes):
    ended = clock.now() - timedelta(hours=1)
    return {
        "started_at": clock.iso(ended - timedelta(hours=2)), "ended_at": clock.iso(ended),
        "volunteers": [{"name": "李明", "party_member": True, "youth": False, "hours": 2},
                       {"name": "王芳", "party_member": False, "youth": True, "hours": 1.5}],
        "services_delivered": ["home_repair"], "beneficiaries": 2, "description": "修好水管,陪老人聊天",
        "problems": [{"description": "老人独居,需要助餐", "category": "elderly_care", "business_related": True,
                      "resolved_on_site": False}],
        "opinions": ["希望社区多组织活动"], **changes,
    }

