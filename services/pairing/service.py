"""Pairing (结对): campaigns, units, pairing reports and their review, deadline reminders."""
from nameko.dependency_providers import Config
from services.common.rpc_queue import rpc

from services.common import clock, web
from services.common.auth import COMMITTEE, DEPARTMENT, OPS, UNIT, Auth, allow
from services.common.schemas import load
from services.common.storage import Storage
from services.common.timers import configured_timer, effective_now

from . import domain, pairings, schemas
from .store import PairingStore


class PairingService(web.Observable):
    name = "pairing"

    auth = Auth()
    store = Storage(PairingStore)
    config = Config()

    @rpc
    @allow(COMMITTEE)
    def create_campaign(self, campaign, request_id=None):
        args = load(schemas.CreateCampaignArgs, {"campaign": campaign, "request_id": request_id})
        return self.store.create_campaign(args["campaign"], args["request_id"], clock.now())

    @rpc
    @allow(COMMITTEE)
    def update_campaign(self, campaign_id, changes):
        args = load(schemas.UpdateCampaignArgs, {"campaign_id": campaign_id, "changes": changes})
        return self.store.update_campaign(args["campaign_id"], args["changes"], clock.now())

    @rpc
    @allow(COMMITTEE, UNIT, DEPARTMENT, OPS)
    def get_campaign(self, campaign_id):
        return self.store.campaign(load(schemas.CampaignArgs, {"campaign_id": campaign_id})["campaign_id"])

    @rpc
    @allow(COMMITTEE, UNIT, DEPARTMENT, OPS)
    def list_campaigns(self, limit=50, cursor=None):
        args = load(schemas.ListCampaignsArgs, {"limit": limit, "cursor": cursor})
        return self.store.list_campaigns(args["limit"], args["cursor"])

    @rpc
    @allow(COMMITTEE)
    def register_unit(self, unit):
        return self.store.register_unit(load(schemas.RegisterUnitArgs, {"unit": unit})["unit"], clock.now())

    @rpc
    @allow(COMMITTEE)
    def deactivate_unit(self, code):
        return self.store.deactivate_unit(load(schemas.UnitArgs, {"code": code})["code"], clock.now())

    @rpc
    @allow(COMMITTEE, OPS, unit="own")
    def get_unit(self, code):
        unit = self.store.unit(load(schemas.UnitArgs, {"code": code})["code"])
        self.auth.caller.require_owner(unit=unit["code"])
        return domain.unit_view(unit, self.auth.caller.sees_personal_data(unit["code"]))

    @rpc
    @allow(COMMITTEE, OPS, unit="own")
    def list_units(self, limit=50, cursor=None, active=None):
        args = load(schemas.ListUnitsArgs, {"active": active, "limit": limit, "cursor": cursor})
        own, _ = self.auth.caller.scope()
        if own is not None:
            page = self.store.own_unit_page(own, args["active"], args["cursor"])
        else:
            page = self.store.list_units(args["active"], args["limit"], args["cursor"])
        return self._shown(page, domain.unit_view, "code")

    @rpc
    @allow(COMMITTEE, unit="own")
    def report_pairing(self, campaign_id, unit_code, target, request_id=None):
        args = load(schemas.ReportPairingArgs, {"campaign_id": campaign_id, "unit_code": unit_code,
                                                "target": target, "request_id": request_id})
        # Deliberately out of the contract's order (docs/pairing.md): the valid districts depend on the
        # campaign's region, so the campaign is loaded (NotFound) before `target.district` is checked.
        pairings.check_district(self.store.campaign(args["campaign_id"]), args["target"])
        self.auth.caller.require_owner(unit=args["unit_code"])
        return self.store.report_pairing(args["campaign_id"], args["unit_code"], args["target"],
                                         args["request_id"], clock.now())

    @rpc
    @allow(COMMITTEE, unit="own")
    def withdraw_pairing(self, pairing_id):
        pairing_id = self._owned_pairing(load(schemas.PairingArgs, {"pairing_id": pairing_id}))["id"]
        return self.store.withdraw_pairing(pairing_id, clock.now())

    @rpc
    @allow(COMMITTEE)
    def review_pairing(self, pairing_id, decision, comment=""):
        args = load(schemas.ReviewPairingArgs, {"pairing_id": pairing_id, "decision": decision, "comment": comment})
        self.store.pairing(args["pairing_id"])
        return self.store.review_pairing(args["pairing_id"], args["decision"], args["comment"], clock.now())

    @rpc
    @allow(COMMITTEE, OPS, unit="own")
    def get_pairing(self, pairing_id):
        pairing = self._owned_pairing(load(schemas.PairingArgs, {"pairing_id": pairing_id}))
        return pairings.view(pairing, self.auth.caller.sees_personal_data(pairing["unit_code"]))

    @rpc
    @allow(COMMITTEE, OPS, unit="own")
    def list_pairings(self, campaign_id, status=None, unit_code=None, limit=50, cursor=None):
        args = load(schemas.ListPairingsArgs, {"campaign_id": campaign_id, "status": status,
                                               "unit_code": unit_code, "limit": limit, "cursor": cursor})
        self.store.campaign(args["campaign_id"])
        unit_code, _ = self.auth.caller.scope(unit_code=args["unit_code"])
        page = self.store.list_pairings(args["campaign_id"], args["status"], unit_code, args["limit"], args["cursor"])
        return self._shown(page, pairings.view, "unit_code")

    @rpc
    @allow(COMMITTEE, OPS)
    def reporting_progress(self, campaign_id):
        return self.store.progress(load(schemas.CampaignArgs, {"campaign_id": campaign_id})["campaign_id"])

    @rpc
    @allow(COMMITTEE, OPS)
    def check_deadlines(self, now=None):
        return self.store.check_deadlines(effective_now(self.config, now))

    @configured_timer("DEADLINE_CHECK_INTERVAL", 60)
    def deadline_timer(self):
        self.store.check_deadlines(clock.now())

    def _owned_pairing(self, args):
        pairing = self.store.pairing(args["pairing_id"])
        self.auth.caller.require_owner(unit=pairing["unit_code"])
        return pairing

    def _shown(self, page, view, owner_field):
        """A page with each record as this caller may see it."""
        sees = self.auth.caller.sees_personal_data
        return dict(page, items=[view(item, sees(item[owner_field])) for item in page["items"]])
