"""pairing's business gauge for /metrics (issue 15): per campaign, its participants without a
reported or approved pairing, from the sizes of its progress sets."""
import requests

from services.pairing.store import PairingStore
from tests.service.pairing.samples import TARGET, campaign_input, register


def missing(redis_client, campaign_id):
    store = PairingStore(redis_client, "pairing:", "pairing", None)
    [count] = [value for name, _, labels, value in store.gauges(None)
               if name == "leifeng_units_missing_pairing" and labels == {"campaign": campaign_id}]
    return count


def test_units_missing_a_pairing_fall_as_pairings_are_reported_and_rise_when_one_is_rejected(
        pairing, rpc, redis_client, service_config):
    register(rpc(), "U1", "U2", "U3")
    campaign = rpc().pairing.create_campaign(campaign_input())
    assert missing(redis_client, campaign["id"]) == 3
    reported = rpc("unit", unit="U1").pairing.report_pairing(campaign["id"], "U1", TARGET)
    rpc("unit", unit="U2").pairing.report_pairing(campaign["id"], "U2", TARGET)
    assert missing(redis_client, campaign["id"]) == 1
    rpc().pairing.review_pairing(reported["id"], "reject", "对象不符")
    assert missing(redis_client, campaign["id"]) == 2
    text = requests.get(f"http://{service_config['WEB_SERVER_ADDRESS']}/metrics", timeout=5).text
    assert f'leifeng_units_missing_pairing{{campaign="{campaign["id"]}",service="pairing"}} 2.0' in text
