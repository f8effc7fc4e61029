"""Who may call what (contract §3), for every pairing RPC: committee, the owning unit, another unit,
a department and ops, on real RabbitMQ and Redis."""
import itertools

import pytest

from tests.service.pairing.samples import (
    TARGET, TARGET_PHONE, campaign_input, register, remote_error, unit_input,
)

ROLES = {
    "committee": {"role": "committee"},
    "unit_own": {"role": "unit", "unit": "U1"},
    "unit_other": {"role": "unit", "unit": "U2"},
    "department": {"role": "department", "department": "elderly-care"},
    "ops": {"role": "ops"},
}
ALL = set(ROLES)


class World:
    """Records owned by unit U1, made fresh wherever a call changes them."""

    def __init__(self, committee):
        self.committee = committee
        self.codes = (f"N{n}" for n in itertools.count())
        register(committee, "U1", "U2")
        self.campaign_id = self.fresh_campaign()
        self.pairing_id = committee.pairing.report_pairing(self.campaign_id, "U1", TARGET)["id"]

    def fresh_campaign(self):
        return self.committee.pairing.create_campaign(campaign_input())["id"]

    def fresh_report(self):
        return self.committee.pairing.report_pairing(self.fresh_campaign(), "U1", TARGET)["id"]

    def fresh_unit(self):
        return self.committee.pairing.register_unit(unit_input(next(self.codes)))["code"]


def campaigns_listed(result):
    return result["items"] and all(campaign["participants"] == ["U1", "U2"] for campaign in result["items"])


def units_listed(result):
    return sorted(unit["code"] for unit in result["items"])


# method: (roles that may call it, the call, a check of what an admitted role got)
MATRIX = {
    "create_campaign": ({"committee"}, lambda p, w: p.create_campaign(campaign_input()),
                        lambda role, r: r["participants"] == ["U1", "U2"]),
    "carry_over_campaign": ({"committee"}, lambda p, w: p.carry_over_campaign(w.campaign_id, campaign_input()),
                            lambda role, r: r["carried_over_from"] and r["participants"] == ["U1", "U2"]),
    "update_campaign": ({"committee"}, lambda p, w: p.update_campaign(w.campaign_id, {"remind_days": 5}),
                        lambda role, r: r["remind_days"] == 5),
    "get_campaign": (ALL, lambda p, w: p.get_campaign(w.campaign_id), lambda role, r: r["participants"]),
    "list_campaigns": (ALL, lambda p, w: p.list_campaigns(), lambda role, r: campaigns_listed(r)),
    "register_unit": ({"committee"}, lambda p, w: p.register_unit(unit_input(next(w.codes))),
                      lambda role, r: r["active"]),
    "deactivate_unit": ({"committee"}, lambda p, w: p.deactivate_unit(w.fresh_unit()),
                        lambda role, r: r["active"] is False),
    "get_unit": ({"committee", "unit_own", "ops"}, lambda p, w: p.get_unit("U1"),
                 lambda role, r: r["code"] == "U1" and (r["contact_phone"] == "139****5678") == (role == "ops")),
    "list_units": ({"committee", "unit_own", "unit_other", "ops"}, lambda p, w: p.list_units(),
                   lambda role, r: units_listed(r) == {"unit_own": ["U1"], "unit_other": ["U2"]}.get(
                       role, ["U1", "U2"])),
    "report_pairing": ({"committee", "unit_own"}, lambda p, w: p.report_pairing(w.fresh_campaign(), "U1", TARGET),
                       lambda role, r: r["status"] == "reported"),
    "withdraw_pairing": ({"committee", "unit_own"}, lambda p, w: p.withdraw_pairing(w.fresh_report()),
                         lambda role, r: r["status"] == "withdrawn"),
    "review_pairing": ({"committee"}, lambda p, w: p.review_pairing(w.fresh_report(), "approve", "好"),
                       lambda role, r: r["status"] == "approved"),
    "get_pairing": ({"committee", "unit_own", "ops"}, lambda p, w: p.get_pairing(w.pairing_id),
                    lambda role, r: (r["target"]["contact_phone"] == TARGET_PHONE) == ("notes" in r["target"])
                    == (role != "ops")),
    "list_pairings": ({"committee", "unit_own", "ops"}, lambda p, w: p.list_pairings(w.campaign_id, unit_code="U1"),
                      lambda role, r: len(r["items"]) == 1 and r["items"][0]["unit_code"] == "U1"),
    "reporting_progress": ({"committee", "ops"}, lambda p, w: p.reporting_progress(w.campaign_id),
                           lambda role, r: (r["pending_review"], r["missing"]) == (1, ["U2"])),
    "check_deadlines": ({"committee", "ops"}, lambda p, w: p.check_deadlines(),
                        lambda role, r: r == {"reminded": 0, "overdue": 0}),
}


@pytest.mark.parametrize("method", sorted(MATRIX))
def test_each_role_may_call_exactly_what_the_contract_allows(pairing, rpc, method):
    admitted, call, check = MATRIX[method]
    world = World(rpc())
    for role, identity in ROLES.items():
        proxy = rpc(**identity).pairing
        if role in admitted:
            assert check(role, call(proxy, world)), (method, role)
        else:
            error = remote_error(lambda: call(proxy, world))
            assert (error.exc_type, method, role) == ("Forbidden", method, role)


def test_an_unlisted_role_is_refused_before_its_input_is_looked_at(pairing, rpc):
    department = rpc("department", department="elderly-care").pairing
    for call in (lambda: department.create_campaign(None), lambda: department.review_pairing(1, 2, 3),
                 lambda: department.report_pairing(None, None, None), lambda: department.get_unit("bad code")):
        assert remote_error(call).exc_type == "Forbidden"


# Refused for the token before they are looked at, so fixed inputs do.
CAMPAIGN = {"name": "2026年学雷锋", "year": 2026, "report_deadline": "2026-03-09"}
ARGS = {"create_campaign": (CAMPAIGN,), "carry_over_campaign": ("c1", CAMPAIGN),
        "update_campaign": ("c1", {"name": "x"}), "get_campaign": ("c1",),
        "list_campaigns": (), "register_unit": (unit_input("U1"),), "deactivate_unit": ("U1",), "get_unit": ("U1",),
        "list_units": (), "report_pairing": ("c1", "U1", TARGET), "withdraw_pairing": ("p1",),
        "review_pairing": ("p1", "approve"), "get_pairing": ("p1",), "list_pairings": ("c1",),
        "reporting_progress": ("c1",), "check_deadlines": ()}


def test_every_method_is_in_the_matrix():
    from services.pairing.service import PairingService
    rpcs = {name for name in dir(PairingService) if hasattr(getattr(PairingService, name), "allowed_roles")}
    assert rpcs == set(MATRIX) == set(ARGS)


@pytest.mark.parametrize("method", sorted(ARGS))
def test_without_a_token_every_method_is_unauthenticated(pairing, rpc, redis_client, method):
    error = remote_error(lambda: getattr(rpc(token=False).pairing, method)(*ARGS[method]))
    assert error.exc_type == "Unauthenticated"
    assert redis_client.keys("pairing:unit*") == redis_client.keys("pairing:campaign*") == []


def test_a_token_for_another_role_is_checked_before_the_record(pairing, rpc):
    register(rpc(), "U1")
    campaign = rpc().pairing.create_campaign(campaign_input())
    reported = rpc().pairing.report_pairing(campaign["id"], "U1", TARGET)
    other = rpc("unit", unit="U2").pairing
    assert remote_error(lambda: other.get_pairing(reported["id"])).exc_type == "Forbidden"
    assert remote_error(lambda: other.get_pairing("p0000000000000000")).exc_type == "NotFound"
    assert remote_error(lambda: other.withdraw_pairing(reported["id"])).exc_type == "Forbidden"
    assert remote_error(lambda: other.get_unit("U1")).exc_type == "Forbidden"
    assert rpc().pairing.get_pairing(reported["id"])["status"] == "reported"
