"""`TimedCalls`: a call to another service gives up after its timeout (nameko's in-service proxy
would wait without limit) or at once when that service is not running."""
import eventlet
import pytest
from nameko.exceptions import UnknownService

from services.common.rpc_proxy import NoAnswer, TimedCalls


class Pairing:
    def get_campaign(self, campaign_id):
        return {"id": campaign_id}

    def get_pairing(self):
        eventlet.sleep(5)

    def list_units(self):
        raise UnknownService("pairing")


def test_an_answer_in_time_is_returned():
    assert TimedCalls(Pairing(), "pairing", 1).get_campaign("c1") == {"id": "c1"}


@pytest.mark.parametrize("method, reason", [("get_pairing", "gave no answer in 0.05s"),
                                            ("list_units", "is not running")])
def test_no_answer_in_time_or_no_service_is_no_answer(method, reason):
    with pytest.raises(NoAnswer, match=reason):
        getattr(TimedCalls(Pairing(), "pairing", 0.05), method)()
