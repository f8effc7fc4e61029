"""`ops trace`: which log lines belong to a correlation id, and how a step reads."""
import json
from datetime import datetime, timezone

import pytest

from services.ops.broker import OpsError
from services.ops.trace import log_step, log_steps

LINE = {"time": "2026-03-01T08:00:00.123Z", "level": "INFO", "service": "summary", "logger": "x",
        "message": "event activity_completed handled by summary.on_activity_completed: ok in 3.0 ms",
        "correlation_id": "req-1", "event_id": "e1"}


def test_a_line_of_the_id_is_a_step_in_utc_with_its_event():
    moment, service, source, what = log_step(json.dumps(LINE), "req-1")
    assert (moment, service, source) == (datetime(2026, 3, 1, 8, 0, 0, 123000, tzinfo=timezone.utc), "summary", "log")
    assert what == "INFO event activity_completed handled by summary.on_activity_completed: ok in 3.0 ms [event e1]"


def test_a_compose_or_honcho_prefix_is_skipped():
    assert log_step("summary-1  | " + json.dumps(LINE), "req-1") is not None
    assert log_step("08:00:00 summary.1 | " + json.dumps(LINE), "req-1") is not None


@pytest.mark.parametrize("line", [
    json.dumps({**LINE, "correlation_id": "req-2"}), "plain text [req-1]", "{not json req-1", "[]",
    json.dumps({k: v for k, v in LINE.items() if k != "time"}), json.dumps({**LINE, "time": "yesterday"}),
])
def test_other_lines_are_not_steps(line):
    assert log_step(line, "req-1") is None


def test_an_unreadable_log_is_one_line_for_the_operator(tmp_path):
    with pytest.raises(OpsError, match="cannot read the log"):
        log_steps([str(tmp_path / "missing.log")], "req-1")
