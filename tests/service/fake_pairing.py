"""A stand-in `pairing` service answering `get_pairing` as contract §3 says (C, O, owning unit),
from records the test puts in PAIRINGS, and `get_campaign` (C, U, D, O) from CAMPAIGNS. It never
publishes an event: activity can learn of an approval, and summary of a campaign, only by asking it."""
import eventlet
from services.common.rpc import rpc

from services.common.auth import COMMITTEE, DEPARTMENT, OPS, UNIT, Auth, allow
from services.common.errors import NotFound

PAIRINGS = {}
CAMPAIGNS = {}
# The callers get_pairing and get_campaign saw: proof that activity asked in its caller's name.
CALLERS = []
SLOW = "p5555555555555555"  # a pairing id get_pairing answers late


def pairing_record(pairing_id, unit_code="U001", status="approved", campaign_id="c0000000000000001", revision=2):
    return {
        "id": pairing_id, "campaign_id": campaign_id, "unit_code": unit_code, "status": status,
        "late": False, "reported_at": "2026-03-01T09:00:00+08:00", "reviewed_at": "2026-03-02T10:00:00+08:00",
        "revision": revision, "created_at": "2026-03-01T09:00:00+08:00", "updated_at": "2026-03-02T10:00:00+08:00",
        "target": {"name": "张大爷", "category": "group_in_difficulty", "kind": "person", "district": "海淀区",
                   "address": "海淀区某街2号", "contact_name": "张小明", "contact_phone": "13912345678",
                   "needs": ["home_repair"], "notes": ""},
    }


def event_data(record):
    """The pairing as pairing's events carry it: no name of a person, no contact data."""
    target = {key: record["target"][key] for key in ("category", "kind", "district")}
    return {**{k: v for k, v in record.items() if k != "target"}, "target": target}


class FakePairingService:
    name = "pairing"
    auth = Auth()

    @rpc
    @allow(COMMITTEE, OPS, unit="own")
    def get_pairing(self, pairing_id):
        CALLERS.append(self.auth.caller)
        if pairing_id == SLOW:
            eventlet.sleep(1.5)
        pairing = PAIRINGS.get(pairing_id)
        if pairing is None:
            raise NotFound("结对不存在")
        self.auth.caller.require_owner(unit=pairing["unit_code"])
        return pairing

    @rpc
    @allow(COMMITTEE, UNIT, DEPARTMENT, OPS)
    def get_campaign(self, campaign_id):
        CALLERS.append(self.auth.caller)
        campaign = CAMPAIGNS.get(campaign_id)
        if campaign is None:
            raise NotFound("专项活动不存在")
        return campaign
