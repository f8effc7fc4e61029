"""Who may do what with webhooks (contract §8), bad arguments refused naming the field and changing
nothing, and request_id: a repeat returns the first result, other arguments are Conflict."""
import json

import pytest

from tests.helpers import outcome, remote_error, wait_until
from tests.service.notification import events as s

SECRET = "0123456789abcdef"
URL = "http://127.0.0.1:9/hook"


def spec(recipient, **more):
    return {"recipient": recipient, "url": URL, "secret": SECRET, **more}


@pytest.fixture
def world(service, known, bus, rpc, receiver):
    """A unit's and a department's webhook (registered by the committee), and one delivered delivery
    of the unit's: nothing changes by itself meanwhile."""
    committee = rpc().notification
    unit_hook = committee.register_webhook(spec("unit:U001", url=receiver.url("/unit")))
    department_hook = committee.register_webhook(spec("department:elderly-care"))
    bus("pairing_approved", s.pairing("p1", "c1", "U001", status="approved"))
    [delivery] = wait_until(lambda: [d for d in committee.list_deliveries(unit_hook["id"])["items"]
                                     if d["status"] == "delivered"], message="the delivery")
    return {"unit_hook": unit_hook["id"], "department_hook": department_hook["id"], "delivery": delivery["id"]}


def snapshot(rpc):
    """Everything a refused call must leave as it was."""
    committee = rpc().notification
    hooks = committee.list_webhooks()["items"]
    return hooks, {hook["id"]: committee.list_deliveries(hook["id"])["items"] for hook in hooks}


CALLS = {
    "register_webhook own": lambda n, w, who: n.register_webhook(spec(who)),
    "register_webhook unit:U001": lambda n, w, who: n.register_webhook(spec("unit:U001")),
    "register_webhook committee": lambda n, w, who: n.register_webhook(spec("committee")),
    "list_webhooks": lambda n, w, who: n.list_webhooks(),
    "list_webhooks unit:U001": lambda n, w, who: n.list_webhooks("unit:U001"),
    "list_deliveries": lambda n, w, who: n.list_deliveries(w["unit_hook"]),
    "redeliver": lambda n, w, who: n.redeliver(w["delivery"]),
    "delete_webhook": lambda n, w, who: n.delete_webhook(w["unit_hook"]),
    "delete_webhook department's": lambda n, w, who: n.delete_webhook(w["department_hook"]),
}
CALLERS = {
    "committee": ("committee", None, None, "committee"),
    "ops": ("ops", None, None, "committee"),
    "unit U001": ("unit", "U001", None, "unit:U001"),
    "unit U002": ("unit", "U002", None, "unit:U002"),
    "department": ("department", None, "elderly-care", "department:elderly-care"),
}
OK, NO = "ok", "Forbidden"
# call -> outcome for committee, ops, unit U001, unit U002, department elderly-care; run in this order
TABLE = {
    "register_webhook own": (OK, NO, OK, OK, OK),
    "register_webhook unit:U001": (OK, NO, OK, NO, NO),
    "register_webhook committee": (OK, NO, NO, NO, NO),
    "list_webhooks": (OK, OK, OK, OK, OK),
    "list_webhooks unit:U001": (OK, OK, OK, NO, NO),
    "list_deliveries": (OK, OK, OK, NO, NO),
    "redeliver": (OK, NO, OK, NO, NO),
    "delete_webhook department's": (OK, NO, NO, NO, OK),
    "delete_webhook": (OK, NO, OK, NO, NO),
}


def settled(rpc, world):
    """The unit's delivery delivered again after a redelivery."""
    wait_until(lambda: rpc().notification.list_deliveries(world["unit_hook"], status="delivered")["items"],
               message="the redelivery")


@pytest.mark.parametrize("caller", list(CALLERS))
def test_permissions(world, rpc, caller):
    """Every call of the table in turn (the deletes last); a refused one changes nothing."""
    role, unit, department, who = CALLERS[caller]
    proxy = rpc(role, unit=unit, department=department).notification
    column = list(CALLERS).index(caller)
    for call, row in TABLE.items():
        before = snapshot(rpc)
        assert (call, outcome(lambda: CALLS[call](proxy, world, who))) == (call, row[column])
        if row[column] != OK:
            assert snapshot(rpc) == before
        elif call == "redeliver":
            settled(rpc, world)


def test_a_unit_or_department_lists_only_its_own_webhooks(world, rpc):
    assert [h["id"] for h in rpc("unit", unit="U001").notification.list_webhooks()["items"]] == [world["unit_hook"]]
    assert rpc("unit", unit="U002").notification.list_webhooks()["items"] == []
    assert [h["id"] for h in rpc("department", department="elderly-care").notification.list_webhooks()["items"]] \
        == [world["department_hook"]]
    assert len(rpc("ops").notification.list_webhooks()["items"]) == 2


@pytest.mark.parametrize("webhook, field", [
    (spec("unit:U001", url="ftp://127.0.0.1/hook"), "webhook.url"),
    (spec("unit:U001", url="http:///no-host"), "webhook.url"),
    (spec("unit:U001", url="127.0.0.1/hook"), "webhook.url"),
    (spec("unit:U001", url="http://user:pw@127.0.0.1/hook"), "webhook.url"),
    (spec("unit:U001", url="http://127.0.0.1/hook#part"), "webhook.url"),
    (spec("unit:U001", url="http://127.0.0.1:99999/hook"), "webhook.url"),
    (spec("unit:U001", url="http://127.0.0.1/a b"), "webhook.url"),
    (spec("unit:U001", url="http://127.0.0.1/hook\n"), "webhook.url"),
    (spec("unit:U001", url="http://127.0.0.1/" + "a" * 2000), "webhook.url"),
    (spec("unit:U001", url=["http://127.0.0.1/"]), "webhook.url"),
    (spec("unit:U001", secret="too-short"), "webhook.secret"),
    (spec("unit:U001", secret="x" * 257), "webhook.secret"),
    (spec("unit:U001", secret=1234567890123456789), "webhook.secret"),
    ({"recipient": "unit:U001", "url": URL}, "webhook.secret"),
    (spec("unit:U001", event_types=["pairing_reported"]), "webhook.event_types"),
    (spec("department:elderly-care", event_types=["issue_forwarded", "pairing_approved"]), "webhook.event_types"),
    (spec("unit:U001", event_types=["activity_completed"]), "webhook.event_types.0"),
    (spec("unit:U001", event_types=[]), "webhook.event_types"),
    (spec("unit:U001", event_types=["issue_answered", "issue_answered"]), "webhook.event_types"),
    (spec("everyone"), "webhook.recipient"),
    (spec("unit:U001\n"), "webhook.recipient"),
    (spec("unit:U001", active=True), "webhook.active"),
    ("http://127.0.0.1/hook", "webhook"),
])
def test_bad_webhooks_are_refused_naming_the_field(service, rpc, webhook, field):
    error = remote_error(lambda: rpc().notification.register_webhook(webhook))
    assert error.exc_type == "ValidationError" and list(json.loads(error.value)) == [field]
    assert SECRET not in error.value and "too-short" not in error.value
    assert rpc().notification.list_webhooks()["items"] == []


@pytest.mark.parametrize("settings", [{"WEBHOOK_ALLOW_PRIVATE": False}])
@pytest.mark.parametrize("url, allowed", [
    ("http://127.0.0.1:8080/hook", False), ("http://localhost/hook", False), ("http://10.1.2.3/hook", False),
    ("http://192.168.0.1/hook", False), ("http://[::1]/hook", False), ("http://169.254.169.254/latest", False),
    ("https://93.184.216.34/hook", True)])
def test_private_addresses_can_be_refused(service, rpc, url, allowed):
    call = rpc().notification.register_webhook
    if allowed:
        assert call(spec("committee", url=url))["url"] == url
    else:
        error = remote_error(lambda: call(spec("committee", url=url)))
        assert (error.exc_type, list(json.loads(error.value))) == ("ValidationError", ["webhook.url"])


@pytest.mark.parametrize("call, field", [
    (lambda n: n.list_deliveries("x:*"), "webhook_id"),
    (lambda n: n.list_deliveries("w" + "0" * 16, status="lost"), "status"),
    (lambda n: n.delete_webhook("not-a-webhook"), "webhook_id"),
    (lambda n: n.redeliver("d" + "0" * 15), "delivery_id"),
    (lambda n: n.list_webhooks(recipient="unit:"), "recipient"),
    (lambda n: n.list_webhooks(limit=0), "limit"),
    (lambda n: n.mark_read("0" * 24, request_id=""), "request_id"),
])
def test_bad_ids_and_filters_are_refused_naming_the_argument(service, rpc, call, field):
    error = remote_error(lambda: call(rpc().notification))
    assert (error.exc_type, list(json.loads(error.value))) == ("ValidationError", [field])


def test_well_formed_ids_of_nothing_are_not_found(service, rpc):
    committee = rpc().notification
    for call in (lambda: committee.list_deliveries("w" + "0" * 16), lambda: committee.delete_webhook("w" + "0" * 16),
                 lambda: committee.redeliver("d" + "0" * 16)):
        assert remote_error(call).exc_type == "NotFound"


def test_a_repeated_registration_returns_the_first_webhook(service, rpc):
    own = rpc("unit", unit="U001").notification
    first = own.register_webhook(spec("unit:U001"), request_id="r-1")
    assert own.register_webhook(spec("unit:U001"), request_id="r-1") == first
    assert remote_error(lambda: own.register_webhook(spec("unit:U001", url=URL + "2"), request_id="r-1")).exc_type \
        == "Conflict"
    # Another caller's request_id is its own.
    other = rpc().notification.register_webhook(spec("unit:U001"), request_id="r-1")
    assert other["id"] != first["id"]
    assert {h["id"] for h in own.list_webhooks()["items"]} == {first["id"], other["id"]}


def test_a_repeated_delete_returns_the_deleted_webhook_and_nothing_else_finds_it(service, rpc):
    own = rpc("unit", unit="U001").notification
    hook = own.register_webhook(spec("unit:U001"))
    deleted = own.delete_webhook(hook["id"], request_id="d-1")
    assert own.delete_webhook(hook["id"], request_id="d-1") == deleted
    for call in (lambda: own.delete_webhook(hook["id"]), lambda: own.delete_webhook(hook["id"], request_id="d-2"),
                 lambda: own.list_deliveries(hook["id"])):
        assert remote_error(call).exc_type == "NotFound"


def test_a_repeated_redeliver_re_arms_once(world, rpc):
    own = rpc("unit", unit="U001").notification
    first = own.redeliver(world["delivery"], request_id="again-1")
    assert first["status"] == "pending" and first["attempts"] == 0
    repeat = own.redeliver(world["delivery"], request_id="again-1")
    assert repeat["id"] == first["id"] and repeat["revision"] >= first["revision"]
    assert own.redeliver(world["delivery"], request_id="again-2")["revision"] > repeat["revision"]


def test_a_deactivated_units_writes_are_refused_and_its_reads_stay_open(world, bus, rpc, redis_client):
    bus("unit_deactivated", s.unit("U001", active=False), seq=2)
    wait_until(lambda: redis_client.sismember("notification:units:deactivated", "U001"), message="deactivation")
    own = rpc("unit", unit="U001").notification
    before = snapshot(rpc)
    for call in (lambda: own.register_webhook(spec("unit:U001")), lambda: own.redeliver(world["delivery"]),
                 lambda: own.delete_webhook(world["unit_hook"]), lambda: own.mark_read("0" * 24)):
        assert remote_error(call).exc_type == "Forbidden"
    assert snapshot(rpc) == before
    assert [h["id"] for h in own.list_webhooks()["items"]] == [world["unit_hook"]]
    assert own.list_deliveries(world["unit_hook"])["items"]
