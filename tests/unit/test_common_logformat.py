"""LOG_FORMAT: one JSON object per line with the worker's fields, UTC times, folded tracebacks,
and a broker outage in one line."""
import json
import logging
import sys

import pytest
from amqp.exceptions import ConnectionForced

from services.common import correlation, logformat, logs


def record(msg="did %s", args=("it",), name="services.x", exc_info=None, level=logging.INFO):
    return logging.LogRecord(name, level, __file__, 1, msg, args, exc_info)


def json_line(log_record):
    correlation.LogFilter().filter(log_record)
    text = logformat.formatter("json").format(log_record)
    assert "\n" not in text
    return json.loads(text)


def test_a_json_line_names_the_worker_its_service_method_and_time_in_utc():
    token = correlation.bind("req-1", service="activity", entrypoint="complete_activity",
                             rpc_method="complete_activity")
    try:
        line = json_line(record())
    finally:
        correlation.unbind(token)
    assert line.pop("time").endswith("Z")
    assert line == {"level": "INFO", "service": "activity", "logger": "services.x", "message": "did it",
                    "correlation_id": "req-1", "entrypoint": "complete_activity",
                    "rpc_method": "complete_activity"}


def test_an_event_handlers_line_names_the_event_and_extra_fields_win_over_the_worker():
    token = correlation.bind("req-2", service="summary", event_id="evt-1", event_type="activity_completed")
    try:
        line = json_line(logging.makeLogRecord({"msg": "m", "correlation_id": "req-3", "event_id": "evt-9"}))
    finally:
        correlation.unbind(token)
    assert (line["correlation_id"], line["event_id"], line["event_type"]) == ("req-3", "evt-9", "activity_completed")


def test_a_traceback_is_one_field_of_one_line():
    try:
        raise KeyError("boom")
    except KeyError:
        line = json_line(record(exc_info=sys.exc_info(), level=logging.ERROR))
    assert "KeyError" in line["traceback"] and "Traceback" in line["traceback"]


def test_outside_a_worker_a_line_has_a_dash_and_the_process_service():
    correlation.name_process("pairing")
    try:
        line = json_line(record())
    finally:
        correlation.name_process(correlation.NONE)
    assert (line["correlation_id"], line["service"]) == ("-", "pairing")


def test_plain_lines_have_utc_times_and_the_id():
    log_record = record()
    correlation.LogFilter().filter(log_record)
    text = logformat.formatter("plain").format(log_record)
    assert text.split(" ")[0].endswith("Z") and "[-] did it" in text


def test_an_unknown_format_is_refused():
    with pytest.raises(ValueError, match="LOG_FORMAT"):
        logformat.formatter("xml")


def test_a_broker_loss_is_one_warning_line_without_a_traceback():
    try:
        raise ConnectionForced("gone")
    except ConnectionForced:
        lost = record("\nConnection to broker lost, trying to re-establish connection...\n", (),
                      "kombu.mixins", sys.exc_info(), logging.WARNING)
    assert logs.OneLineOutages().filter(lost)
    line = json_line(lost)
    assert "traceback" not in line
    assert line["message"] == "Connection to broker lost, trying to re-establish connection... (ConnectionForced)"


def test_nameko_two_line_connection_warning_becomes_one():
    warning = record("Error connecting to broker at x (y).\nRetrying in 2 seconds.", (), "nameko.messaging")
    logs.OneLineOutages().filter(warning)
    assert warning.getMessage() == "Error connecting to broker at x (y). Retrying in 2 seconds."


def test_no_broker_password_of_any_node_reaches_the_log():
    # nameko's own sanitize_url masks the first node's password only.
    warning = record("Error connecting to broker at pyamqp://activity:********@10.0.0.1:5672/;"
                     "pyamqp://activity:s3cret-A@10.0.0.2:5672/;amqp://activity:s3cret-B@n3/v (OSError). "
                     "Retrying in 0 seconds.", (), "nameko.messaging")
    assert logs.HideBrokerPasswords().filter(warning)
    message = warning.getMessage()
    assert "s3cret" not in message
    assert message.count("activity:********@") == 3 and "10.0.0.2:5672" in message


def test_a_line_without_a_broker_uri_is_left_as_it_is():
    line = record("rpc %s ok in %.1f ms", ("activity.plan_activity", 3.2), "nameko.messaging")
    logs.HideBrokerPasswords().filter(line)
    assert line.msg == "rpc %s ok in %.1f ms" and line.getMessage() == "rpc activity.plan_activity ok in 3.2 ms"
