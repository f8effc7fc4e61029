"""How `PairingClient` maps what `pairing.get_pairing` answers to this service's errors (the service
tests run it against a fake pairing: tests/service/activity/test_activity_pairing_lookup.py)."""
import pytest
from nameko.exceptions import RemoteError

from services.activity.pairing_lookup import PairingClient, PairingUnavailable
from services.common.errors import Forbidden, NotFound, Unauthenticated, Unavailable


class AnsweringProxy:
    """A `pairing` proxy whose get_pairing answers with the RemoteError of `exc_type`."""

    def __init__(self, exc_type):
        self.exc_type = exc_type

    def get_pairing(self, pairing_id):
        raise RemoteError(self.exc_type, "pairing's own text")


@pytest.mark.parametrize("exc_type, expected", [
    ("NotFound", NotFound), ("ValidationError", NotFound), ("Forbidden", Forbidden),
    # An outage at pairing is one for the caller too (contract §3 v2): retry, not a bug report.
    ("Unavailable", Unavailable),
    # The caller's token expired between activity's check and pairing's.
    ("Unauthenticated", Unauthenticated),
    ("InternalError", PairingUnavailable),
])
def test_pairings_errors_become_this_services(exc_type, expected):
    with pytest.raises(expected) as exc:
        PairingClient(AnsweringProxy(exc_type)).get("p0123456789abcdef")
    assert "pairing's own text" not in str(exc.value)
