import json

import pytest

from services.common import events, settings
from services.common.errors import ValidationError

PAIRING = {"id": "p1", "campaign_id": "c1", "unit_code": "U1", "status": "reported",
           "created_at": "2026-03-01T09:00:00+08:00", "updated_at": "2026-03-01T09:00:00+08:00",
           "target": {"category": "work_object", "kind": "organization", "district": "东城区"}}


def test_an_event_has_the_contract_envelope():
    event = events.make_event("pairing", "pairing_reported", "p1", 1, PAIRING)
    assert set(event) == {"event_id", "event_type", "occurred_at", "source", "version", "subject", "seq", "data",
                          "correlation_id"}
    assert (event["version"], event["subject"], event["seq"]) == (1, "p1", 1)
    assert event["occurred_at"].endswith("+08:00")


def test_an_event_carries_the_correlation_id_it_is_given_or_a_new_one():
    given = events.make_event("pairing", "pairing_reported", "p1", 1, PAIRING, correlation_id="req-1.a_b~c")
    made = events.make_event("pairing", "pairing_reported", "p1", 1, PAIRING)
    assert given["correlation_id"] == "req-1.a_b~c"
    assert made["correlation_id"] and made["correlation_id"] != given["correlation_id"]


def test_an_event_from_before_v2_has_no_correlation_id_and_is_valid():
    event = events.make_event("pairing", "pairing_reported", "p1", 1, PAIRING)
    del event["correlation_id"]
    assert events.validate_event(event) is event


@pytest.mark.parametrize("bad", ["", "a b", "x" * 65, "id\n", 7])
def test_a_malformed_correlation_id_makes_the_event_invalid(bad):
    event = {**events.make_event("pairing", "pairing_reported", "p1", 1, PAIRING), "correlation_id": bad}
    with pytest.raises(ValidationError) as raised:
        events.validate_event(event)
    assert "correlation_id" in json.loads(str(raised.value))


def test_event_ids_are_unique():
    ids = {events.make_event("pairing", "pairing_reported", "p1", 1, PAIRING)["event_id"] for _ in range(100)}
    assert len(ids) == 100


@pytest.mark.parametrize("leak", [
    {"target": {**PAIRING["target"], "contact_phone": "13912345678"}},
    {"target": {**PAIRING["target"], "address": "东城区某街1号"}},
    {"target": {**PAIRING["target"], "contact_name": "张三"}},
])
def test_personal_data_never_goes_on_the_bus(leak):
    with pytest.raises(events.InvalidEvent) as exc:
        events.make_event("pairing", "pairing_reported", "p1", 1, {**PAIRING, **leak})
    assert "139" not in str(exc.value) and "张三" not in str(exc.value)


def test_a_publisher_bug_is_an_invalid_event_not_the_callers_validation_error():
    with pytest.raises(events.InvalidEvent):
        events.make_event("pairing", "pairing_reported", "p1", 1, {"id": "p1"})


@pytest.mark.parametrize("change, field", [
    ({"version": 2}, "version"),
    ({"seq": "1"}, "seq"),
    ({"occurred_at": "2026-03-01T09:00:00"}, "occurred_at"),
    ({"event_type": "no_such_event"}, "event_type"),
    ({"data": {**PAIRING, "status": None}}, "data.status"),
])
def test_received_envelopes_are_validated_field_by_field(change, field):
    event = events.make_event("pairing", "pairing_reported", "p1", 1, PAIRING)
    with pytest.raises(ValidationError) as exc:
        events.validate_event({**event, **change})
    assert field in json.loads(str(exc.value))


def test_a_missing_required_setting_stops_with_one_line():
    with pytest.raises(SystemExit) as exc:
        settings.require_setting({"REDIS_URL": None}, "REDIS_URL")
    assert str(exc.value) == "configuration error: REDIS_URL is not set (see config.yml)"


@pytest.mark.parametrize("config, expected", [
    ({"EVENT_RETRY_DELAYS": [1, 2, 4]}, [1.0, 2.0, 4.0]), ({"EVENT_RETRY_DELAYS": "0.5,1"}, [0.5, 1.0]),
    ({"EVENT_RETRY_DELAYS": 3}, [3.0]), ({}, [1.0, 2.0]), ({"EVENT_RETRY_DELAYS": None}, [1.0, 2.0]),
    ({"EVENT_RETRY_DELAYS": ""}, [1.0, 2.0]),
])
def test_retry_delays_read_as_lists_or_text(config, expected):
    assert settings.delays(config, "EVENT_RETRY_DELAYS", [1, 2]) == expected
