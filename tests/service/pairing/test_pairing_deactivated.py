"""Contract §3 v2: a deactivated unit's token is `Forbidden` on every state-changing method at once
in pairing (before its input is looked at); its reads stay open, and other units are untouched."""
import pytest

from tests.service.pairing.samples import TARGET, open_campaign, remote_error

WRITES = {
    "report_pairing": lambda unit, w: unit.report_pairing(w["campaign_id"], "U1", TARGET),
    "report_pairing with bad input": lambda unit, w: unit.report_pairing(w["campaign_id"], "U1", {"name": ""}),
    "withdraw_pairing": lambda unit, w: unit.withdraw_pairing(w["pairing_id"]),
}


@pytest.fixture
def world(pairing, rpc):
    campaign = open_campaign(rpc(), "U1", "U2", days_ahead=-1)
    reported = rpc().pairing.report_pairing(campaign["id"], "U1", TARGET)
    rpc().pairing.deactivate_unit("U1")
    return {"campaign_id": campaign["id"], "pairing_id": reported["id"]}


@pytest.mark.parametrize("write", sorted(WRITES))
def test_a_deactivated_units_writes_are_forbidden_at_once(world, rpc, write):
    error = remote_error(lambda: WRITES[write](rpc("unit", unit="U1").pairing, world))
    assert error.exc_type == "Forbidden"
    assert rpc().pairing.get_pairing(world["pairing_id"])["status"] == "reported"


def test_a_deactivated_unit_still_reads_its_own_records(world, rpc):
    unit = rpc("unit", unit="U1").pairing
    assert unit.get_unit("U1")["active"] is False
    assert unit.get_pairing(world["pairing_id"])["unit_code"] == "U1"


def test_other_units_are_untouched(world, rpc):
    assert rpc("unit", unit="U2").pairing.report_pairing(world["campaign_id"], "U2", TARGET)["status"] == "reported"
