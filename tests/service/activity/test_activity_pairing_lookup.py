"""Read-your-writes: plan_activity succeeds as soon as review_pairing has returned `approved`,
whether or not this service's consumer has applied pairing_approved yet. The pairing view fed
by pairing's events, and the `pairing.get_pairing` fallback asked in the caller's name."""
import json

import eventlet
import pytest
import redis
from nameko.testing.services import entrypoint_waiter

from services.activity.service import ActivityService
from services.common import amqp_names
from services.common.auth import COMMITTEE, OPS, allow
from tests.helpers import publish_event, queue_depth, wait_until
from tests.service.activity.samples import new_pairing, plan, remote_error
from tests.service.fake_pairing import CALLERS, PAIRINGS, SLOW, FakePairingService, event_data, pairing_record

APPROVED_QUEUE = amqp_names.consumer_queue_name("pairing", "pairing_approved", "activity", "on_pairing_changed")


def pairing_view(redis_client, pairing_id):
    raw = redis_client.get(f"activity:pairing:{pairing_id}")
    return None if raw is None else json.loads(raw)


def announce(service_config, event_type, record):
    """pairing's event for `record`, at seq = its revision."""
    return publish_event(service_config["AMQP_URI"], "pairing", event_type, record["id"], event_data(record),
                         seq=record["revision"])


def callers():
    return [(caller.role, caller.unit) for caller in CALLERS]


def test_a_plan_right_after_approval_asks_pairing_when_no_event_ever_came(
        fake_pairing, activity_service, rpc, redis_client, service_config):
    # Approved at pairing, and pairing_approved never published: only get_pairing can know.
    pairing = new_pairing("U001")
    assert pairing_view(redis_client, pairing["id"]) is None
    assert queue_depth(service_config["AMQP_URI"], APPROVED_QUEUE) == 0

    activity = rpc("unit", unit="U001").activity.plan_activity(plan(pairing["id"]))

    assert (activity["pairing_id"], activity["status"]) == (pairing["id"], "planned")
    assert callers() == [("unit", "U001")]
    remembered = pairing_view(redis_client, pairing["id"])
    assert (remembered["status"], remembered["seq"]) == ("approved", 2)
    assert "张大爷" not in json.dumps(remembered, ensure_ascii=False) and "contact_phone" not in remembered["target"]


def test_a_plan_succeeds_while_the_pairing_approved_consumer_is_held_back(
        fake_pairing, activity_service, rpc, redis_client, service_config, monkeypatch):
    reported = new_pairing("U001", status="reported")
    reported["revision"] = 1
    with entrypoint_waiter(activity_service, "on_pairing_changed"):
        announce(service_config, "pairing_reported", reported)
    assert pairing_view(redis_client, reported["id"])["status"] == "reported"

    # review_pairing returns `approved` and publishes pairing_approved; our consumer receives it
    # and is held inside the handler, so the view still says `reported` when the unit plans.
    approved = pairing_record(reported["id"], "U001", "approved", revision=2)
    PAIRINGS[approved["id"]] = approved
    entered, release = eventlet.Event(), eventlet.Event()
    handle = ActivityService.on_pairing_changed

    def held(self, event):
        entered.send(event["event_type"])
        release.wait()
        return handle(self, event)

    monkeypatch.setattr(ActivityService, "on_pairing_changed", held)
    announce(service_config, "pairing_approved", approved)
    try:
        with eventlet.Timeout(10):
            assert entered.wait() == "pairing_approved"
        assert pairing_view(redis_client, reported["id"])["status"] == "reported"
        activity = rpc("unit", unit="U001").activity.plan_activity(plan(reported["id"]))
        assert activity["status"] == "planned"
        assert callers() == [("unit", "U001")]
    finally:
        release.send()
    wait_until(lambda: pairing_view(redis_client, reported["id"])["status"] == "approved",
               message="the held pairing_approved applied")
    rpc("unit", unit="U001").activity.plan_activity(plan(reported["id"]))
    assert callers() == [("unit", "U001")]


def test_an_approval_the_view_already_holds_needs_no_call_to_pairing(
        fake_pairing, activity_service, rpc, service_config):
    approved = pairing_record("p000000000000000a", "U001", "approved", revision=2)
    with entrypoint_waiter(activity_service, "on_pairing_changed"):
        announce(service_config, "pairing_approved", approved)
    planned = rpc("unit", unit="U001").activity.plan_activity(plan("p000000000000000a"))
    assert planned["pairing_id"] == "p000000000000000a"
    assert callers() == []


def test_an_older_event_arriving_late_does_not_undo_the_approval(
        fake_pairing, activity_service, rpc, redis_client, service_config):
    approved = pairing_record("p000000000000000b", "U001", "approved", revision=2)
    with entrypoint_waiter(activity_service, "on_pairing_changed"):
        announce(service_config, "pairing_approved", approved)
    with entrypoint_waiter(activity_service, "on_pairing_changed"):
        announce(service_config, "pairing_reported", {**approved, "status": "reported", "revision": 1})
    view = pairing_view(redis_client, "p000000000000000b")
    assert (view["status"], view["seq"]) == ("approved", 2)
    rpc("unit", unit="U001").activity.plan_activity(plan("p000000000000000b"))
    assert callers() == []


@pytest.mark.parametrize("status", ["rejected", "withdrawn"])
def test_a_pairing_that_stays_unapproved_is_a_conflict_after_asking_pairing(
        status, fake_pairing, activity_service, rpc, redis_client, service_config):
    record = new_pairing("U001", status=status)
    with entrypoint_waiter(activity_service, "on_pairing_changed"):
        announce(service_config, f"pairing_{status}", record)
    error = remote_error(lambda: rpc("unit", unit="U001").activity.plan_activity(plan(record["id"])))
    assert error.exc_type == "Conflict"
    assert callers() == [("unit", "U001")]
    assert redis_client.keys("activity:activity:*") == []


def test_another_units_pairing_known_from_events_is_forbidden_without_asking(
        fake_pairing, activity_service, rpc, service_config):
    record = new_pairing("U002", status="rejected")
    with entrypoint_waiter(activity_service, "on_pairing_changed"):
        announce(service_config, "pairing_rejected", record)
    error = remote_error(lambda: rpc("unit", unit="U001").activity.plan_activity(plan(record["id"])))
    assert error.exc_type == "Forbidden"
    assert callers() == []


@pytest.mark.parametrize("status", ["approved", "rejected"])
def test_another_units_pairing_unknown_to_the_view_is_forbidden_by_pairing(status, fake_pairing, activity_service,
                                                                          rpc):
    record = new_pairing("U002", status=status)
    error = remote_error(lambda: rpc("unit", unit="U001").activity.plan_activity(plan(record["id"])))
    assert error.exc_type == "Forbidden"
    assert callers() == [("unit", "U001")]


def test_a_silent_pairing_service_is_an_internal_error_after_the_timeout(
        fake_pairing, activity_service, rpc, redis_client, caplog):
    PAIRINGS[SLOW] = pairing_record(SLOW, "U001")
    error = remote_error(lambda: rpc("unit", unit="U001").activity.plan_activity(plan(SLOW)))
    assert error.exc_type == "InternalError"
    assert error.value in caplog.text and "PairingUnavailable" in caplog.text
    assert redis_client.keys("activity:activity:*") == []


@pytest.mark.own_vhost  # no rpc-pairing queue at all, as on a bus where pairing never ran
def test_without_a_pairing_service_planning_is_an_internal_error(activity_service, rpc, redis_client):
    error = remote_error(lambda: rpc("unit", unit="U001").activity.plan_activity(plan("p000000000000000c")))
    assert error.exc_type == "InternalError"
    assert redis_client.keys("activity:activity:*") == []


@allow(COMMITTEE, OPS, unit="own")
def get_pairing_without_redis(service, pairing_id):
    raise redis.exceptions.ConnectionError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")


def test_pairing_answering_unavailable_is_unavailable_and_the_retry_with_the_request_id_plans(
        fake_pairing, activity_service, rpc, redis_client, monkeypatch):
    # pairing's Redis is down: its @allow answers Unavailable, an outage activity passes on as its
    # own (contract §3 v2), so the caller retries with the same request_id instead of reporting a bug.
    pairing = new_pairing("U001")
    unit = rpc("unit", unit="U001").activity
    monkeypatch.setattr(FakePairingService, "get_pairing", get_pairing_without_redis)
    error = remote_error(lambda: unit.plan_activity(plan(pairing["id"]), request_id="r-down"))
    assert error.exc_type == "Unavailable" and "request_id" in error.value
    assert redis_client.keys("activity:activity:*") == []
    monkeypatch.undo()
    assert unit.plan_activity(plan(pairing["id"]), request_id="r-down")["status"] == "planned"
    assert len(redis_client.keys("activity:activity:*")) == 1


@pytest.mark.own_vhost
def test_the_reply_queue_of_the_lookup_is_transient_so_a_lost_node_takes_it_and_it_is_declared_anew(
        activity_service, rabbit_manager, rabbit_config):
    """A durable classic queue outlives its lost node unreachable, and the lookup's replies with it
    (tests/fault/test_cluster.py shows the lookup answered again after a node is killed)."""
    replies = [queue for queue in rabbit_manager.get_queues(rabbit_config["vhost"])
               if queue["name"].startswith("rpc.reply-activity-")]
    assert [queue["durable"] for queue in replies] == [False]
