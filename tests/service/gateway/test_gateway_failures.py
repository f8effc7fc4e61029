"""How the gateway answers when a service fails (contract §7): InternalError 500 with only the
reference, Unavailable 503 with Retry-After (also for a service whose queue does not exist), and 504
once GATEWAY_RPC_TIMEOUT has passed without an answer. A stand-in `notification` service does the
failing; `pairing` is not started at all. Also: the RPC carries the caller's token and the
request's X-Request-Id as `correlation_id` in its context data."""
import re

import pytest
from eventlet.event import Event
from kombu import Connection
from nameko.extensions import DependencyProvider

from services.common.auth import COMMITTEE, Auth, allow
from services.common.errors import Unavailable
from services.common.rpc import rpc
from services.gateway.service import GatewayService
from tests.helpers import wait_until
from tests.service.gateway.conftest import Stack
from tests.service.gateway.test_gateway_http import problem

TIMEOUT = 0.5
released = Event()


class ContextData(DependencyProvider):
    def get_dependency(self, worker_ctx):
        return worker_ctx.context_data


class FailingNotification:
    name = "notification"
    auth = Auth()
    context = ContextData()

    @rpc
    @allow(COMMITTEE)
    def list_inbox(self, recipient=None, unread_only=False, limit=50, cursor=None):
        if recipient == "boom":
            raise RuntimeError("secret 13912345678")
        if recipient == "outage":
            raise Unavailable("Redis 暂不可用(Redis unavailable).")
        if recipient == "slow":
            released.wait()
        return {"correlation_id": self.context.get("correlation_id"), "token": self.context.get("auth_token")}


@pytest.fixture(scope="module")
def stack(containers, make_token):
    containers.start(FailingNotification)
    running = Stack(containers.start(GatewayService, GATEWAY_RPC_TIMEOUT=TIMEOUT), make_token)
    wait_until(lambda: running.http.get(running.url("/health"), timeout=5).status_code == 200,
               message="the gateway's /health")
    yield running
    released.send()


def test_an_internal_error_is_500_with_only_its_reference(stack):
    body = problem(stack.get("notification/list_inbox", {"recipient": "boom"}), 500)
    assert body["code"] == "InternalError" and re.fullmatch(r"[0-9a-f]{12}", body["detail"])


def test_an_outage_is_503_with_retry_after(stack):
    response = stack.get("notification/list_inbox", {"recipient": "outage"})
    assert problem(response, 503)["code"] == "Unavailable"
    assert int(response.headers["Retry-After"]) > 0


def test_a_stopped_service_keeps_the_call_queued_and_answers_504(stack):
    # The topology step declares rpc-pairing up front (quorum queues), so the call waits there for
    # the service to come back: the caller retries with the same Idempotency-Key.
    assert problem(stack.get("pairing/list_campaigns"), 504)["code"] == "Timeout"


def test_a_service_with_no_queue_is_503(stack, containers):
    with Connection(containers.amqp_uri) as connection:
        connection.default_channel.queue_delete("rpc-pairing")
    response = stack.get("pairing/list_campaigns")
    assert problem(response, 503)["code"] == "Unavailable"
    assert int(response.headers["Retry-After"]) > 0


def test_no_answer_within_the_timeout_is_504(stack):
    assert problem(stack.get("notification/list_inbox", {"recipient": "slow"}), 504)["code"] == "Timeout"


def test_the_rpc_carries_the_token_and_the_request_id_as_correlation_id(stack):
    token = stack.token()
    response = stack.http.get(stack.url("/api/v1/notification/list_inbox"), timeout=10,
                              headers={"Authorization": f"Bearer {token}", "X-Request-Id": "trace-1"})
    assert response.json() == {"correlation_id": "trace-1", "token": token}
