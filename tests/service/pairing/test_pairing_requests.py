"""Contract §3 v2 on every state-changing pairing method: a repeat with the same `request_id` returns
the first call's result (even after the record changed), never `Conflict` and never a second event; the same
`request_id` with other arguments is `Conflict` and changes nothing; a `request_id` belongs to its
caller (committee, ops, `unit:<code>`)."""
import inspect
import itertools

import pytest

from tests.service.pairing.samples import (
    ORG_TARGET, TARGET, campaign_input, distinct, register, remote_error, unit_input, wait_distinct,
)


class World:
    def __init__(self, committee):
        self.committee = committee
        self.codes = (f"N{n}" for n in itertools.count())
        register(committee, "U1", "U2")
        self.campaign_id = committee.pairing.create_campaign(campaign_input())["id"]

    def report(self):
        campaign_id = self.committee.pairing.create_campaign(campaign_input())["id"]
        return self.committee.pairing.report_pairing(campaign_id, "U1", TARGET)["id"]

    def approved(self):
        pairing_id = self.report()
        return self.committee.pairing.review_pairing(pairing_id, "approve")["campaign_id"]


def prepared(world, method):
    """What each method acts on, made before the first call."""
    return {"withdraw_pairing": world.report, "review_pairing": world.report, "carry_over_campaign": world.approved,
            "deactivate_unit": lambda: world.committee.pairing.register_unit(unit_input("D1"))["code"],
            }.get(method, lambda: world.campaign_id)()


# method: (event type, the call with request_id "r1" and a flag for other arguments)
CALLS = {
    "create_campaign": ("campaign_created",
                        lambda p, w, on, other: p.create_campaign(campaign_input(remind_days=5 if other else 3),
                                                                  request_id="r1")),
    "carry_over_campaign": ("campaign_created",
                            lambda p, w, on, other: p.carry_over_campaign(on, campaign_input(
                                days_ahead=400 if other else 365), request_id="r1")),
    "update_campaign": ("campaign_updated",
                        lambda p, w, on, other: p.update_campaign(on, {"remind_days": 9 if other else 5},
                                                                  request_id="r1")),
    "register_unit": ("unit_registered",
                      lambda p, w, on, other: p.register_unit(unit_input("R2" if other else "R1"), request_id="r1")),
    "deactivate_unit": ("unit_deactivated",
                        lambda p, w, on, other: p.deactivate_unit("U2" if other else on, request_id="r1")),
    "report_pairing": ("pairing_reported",
                       lambda p, w, on, other: p.report_pairing(on, "U1", ORG_TARGET if other else TARGET,
                                                                request_id="r1")),
    "withdraw_pairing": ("pairing_withdrawn",
                         lambda p, w, on, other: p.withdraw_pairing(w.report() if other else on, request_id="r1")),
    "review_pairing": ("pairing_approved",
                       lambda p, w, on, other: p.review_pairing(on, "reject" if other else "approve",
                                                                request_id="r1")),
}


def test_every_state_changing_method_takes_a_request_id():
    """Every RPC but the reads changes state; all but `check_deadlines` (common's DeadlineEntrypoints,
    tested with services/common) are in CALLS."""
    from services.pairing.service import PairingService
    rpcs = {name: getattr(PairingService, name) for name in dir(PairingService)
            if hasattr(getattr(PairingService, name), "allowed_roles")}
    reads = {name for name in rpcs if name.startswith(("get_", "list_")) or name == "reporting_progress"}
    changing = set(rpcs) - reads
    assert changing == {*CALLS, "check_deadlines"}
    assert all("request_id" in inspect.signature(rpcs[name]).parameters for name in changing)


@pytest.mark.parametrize("method", sorted(CALLS))
def test_a_repeat_returns_the_first_record_and_other_arguments_conflict(pairing, rpc, listen, method):
    event_type, call = CALLS[method]
    world = World(rpc())
    on = prepared(world, method)
    events = listen("pairing", event_type)
    proxy = rpc().pairing
    first = call(proxy, world, on, False)
    assert call(proxy, world, on, False) == first
    error = remote_error(lambda: call(proxy, world, on, True))
    assert error.exc_type == "Conflict"
    wait_distinct(events, event_type)
    assert [event["subject"] for event in distinct(events, event_type)] == [first.get("id", first.get("code"))]


def test_a_request_id_belongs_to_its_caller(pairing, rpc, redis_client):
    world = World(rpc())
    unit = rpc("unit", unit="U1").pairing
    first = unit.report_pairing(world.campaign_id, "U1", TARGET, request_id="shared")
    other = rpc("unit", unit="U2").pairing.report_pairing(world.campaign_id, "U2", ORG_TARGET, request_id="shared")
    assert (first["unit_code"], other["unit_code"]) == ("U1", "U2")
    withdrawn = rpc().pairing.withdraw_pairing(first["id"], request_id="shared")
    assert withdrawn["status"] == "withdrawn"
    assert unit.report_pairing(world.campaign_id, "U1", TARGET, request_id="shared") == first
