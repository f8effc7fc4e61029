"""The system as `make run` starts it: four healthy processes that refuse anonymous calls."""
import pytest
import requests
from nameko.exceptions import RemoteError
from nameko.standalone.rpc import ClusterRpcProxy

from tests.e2e.conftest import SERVICES


def test_every_service_answers_health_and_metrics(system):
    for service in SERVICES:
        health = requests.get(system.url(service), timeout=5)
        assert health.status_code == 200
        assert health.json()["service"] == service
        metrics = requests.get(system.url(service, "/metrics"), timeout=5)
        assert "leifeng_outbox_backlog" in metrics.text or "leifeng_events_published_total" in metrics.text


def test_an_rpc_without_a_token_is_unauthenticated(system):
    with ClusterRpcProxy(system.config, timeout=20) as rpc:
        with pytest.raises(RemoteError) as exc:
            rpc.pairing.list_campaigns()
    assert exc.value.exc_type == "Unauthenticated"
