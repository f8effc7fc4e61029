"""Pairing (结对): campaigns, units, pairing reports and their review, deadline reminders.

Each entrypoint loads its arguments with its schema, calls one use case (or read) and returns."""
from services.common.rpc import rpc

# Mixins by module: `nameko run` takes every class with entrypoints in this module's namespace for a service.
from services.common import deadlines, web
from services.common.auth import COMMITTEE, DEPARTMENT, OPS, UNIT, Auth, allow
from services.common.calls import load_call
from services.common.schemas import load
from services.common.storage import Storage

from . import domain, pairings, schemas, usecases
from .store import PairingStore


class PairingService(deadlines.DeadlineEntrypoints, web.Observable):
    name = "pairing"

    auth = Auth()
    store = Storage(PairingStore)
    scrape_gauges = web.ScrapeGauges(PairingStore)

    @rpc
    @allow(COMMITTEE)
    def create_campaign(self, campaign, request_id=None):
        args, request = self._load(
            "create_campaign", schemas.CreateCampaignArgs, campaign=campaign, request_id=request_id)
        return usecases.create_campaign(self.store, args["campaign"], request)

    @rpc
    @allow(COMMITTEE)
    def carry_over_campaign(self, campaign_id, campaign, request_id=None):
        args, request = self._load(
            "carry_over_campaign", schemas.CarryOverCampaignArgs, campaign_id=campaign_id, campaign=campaign,
            request_id=request_id)
        return usecases.carry_over_campaign(self.store, args["campaign_id"], args["campaign"], request)

    @rpc
    @allow(COMMITTEE)
    def update_campaign(self, campaign_id, changes, request_id=None):
        args, request = self._load(
            "update_campaign", schemas.UpdateCampaignArgs, campaign_id=campaign_id, changes=changes,
            request_id=request_id)
        return usecases.update_campaign(self.store, args["campaign_id"], args["changes"], request)

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
    def register_unit(self, unit, request_id=None):
        args, request = self._load(
            "register_unit", schemas.RegisterUnitArgs, unit=unit, request_id=request_id)
        return usecases.register_unit(self.store, args["unit"], request)

    @rpc
    @allow(COMMITTEE)
    def deactivate_unit(self, code, request_id=None):
        args, request = self._load(
            "deactivate_unit", schemas.DeactivateUnitArgs, code=code, request_id=request_id)
        return usecases.deactivate_unit(self.store, args["code"], request)

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
        args, request = self._load(
            "report_pairing", schemas.ReportPairingArgs, campaign_id=campaign_id, unit_code=unit_code, target=target,
            request_id=request_id)
        return usecases.report_pairing(self.store, self.auth.caller, args["campaign_id"], args["unit_code"],
                                       args["target"], request)

    @rpc
    @allow(COMMITTEE, unit="own")
    def withdraw_pairing(self, pairing_id, request_id=None):
        args, request = self._load(
            "withdraw_pairing", schemas.WithdrawPairingArgs, pairing_id=pairing_id, request_id=request_id)
        return usecases.withdraw_pairing(self.store, self.auth.caller, args["pairing_id"], request)

    @rpc
    @allow(COMMITTEE)
    def review_pairing(self, pairing_id, decision, comment="", request_id=None):
        args, request = self._load(
            "review_pairing", schemas.ReviewPairingArgs, pairing_id=pairing_id, decision=decision, comment=comment,
            request_id=request_id)
        return usecases.review_pairing(self.store, args["pairing_id"], args["decision"], args["comment"],
                                       request)

    @rpc
    @allow(COMMITTEE, OPS, unit="own")
    def get_pairing(self, pairing_id):
        pairing = self.store.pairing(load(schemas.PairingArgs, {"pairing_id": pairing_id})["pairing_id"])
        self.auth.caller.require_owner(unit=pairing["unit_code"])
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
        args = load(schemas.CampaignArgs, {"campaign_id": campaign_id})
        campaign, sets = self.store.progress_sets(args["campaign_id"])
        return domain.progress(campaign, *sets)

    def run_deadline_checks(self, now):
        """`check_deadlines` and its timer (DeadlineEntrypoints)."""
        return usecases.check_deadlines(self.store, now)

    def _load(self, method, schema, **arguments):
        return load_call(method, schema, self.auth.caller, arguments)

    def check_unit_active(self, caller, _deferred):
        """Called by `@allow` before the input of every state-changing method (contract §3 v2): a
        deactivated unit's token is `Forbidden` at once here, from this service's own unit records,
        so no check is left pending (None)."""
        usecases.refuse_deactivated(self.store, caller)
        return None

    def _shown(self, page, view, owner_field):
        """A page with each record as this caller may see it."""
        sees = self.auth.caller.sees_personal_data
        return dict(page, items=[view(item, sees(item[owner_field])) for item in page["items"]])
