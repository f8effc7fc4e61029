"""Correlation ids: kept when well formed, made otherwise, on every log record."""
import logging
from pathlib import Path

import pytest

from services.common import correlation, logformat


def test_a_well_formed_id_is_kept():
    context = {"correlation_id": "gw-Req_1.2~x"}
    assert correlation.ensure(context) == "gw-Req_1.2~x" and context == {"correlation_id": "gw-Req_1.2~x"}


@pytest.mark.parametrize("given", [None, "", "a b", "x" * 65, "evil\n", 12, "注入"])
def test_a_missing_or_malformed_id_is_replaced_by_a_new_one_in_the_context(given):
    context = {} if given is None else {"correlation_id": given}
    made = correlation.ensure(context)
    assert made != given and correlation.is_valid(made) and context["correlation_id"] == made


def test_new_ids_are_fresh():
    assert len({correlation.new_correlation_id() for _ in range(100)}) == 100


def log_record():
    return logging.LogRecord("x", logging.INFO, __file__, 1, "msg", (), None)


def test_the_log_filter_adds_the_bound_id_and_a_dash_outside_a_worker():
    log_filter, record = correlation.LogFilter(), log_record()
    assert log_filter.filter(record) and record.correlation_id == "-"
    token = correlation.bind("req-7")
    try:
        assert log_filter.filter(record) and record.correlation_id == "req-7"
    finally:
        correlation.unbind(token)
    assert correlation.current() is None


def test_every_log_line_of_a_service_carries_the_correlation_id():
    from services.common.settings import load_config

    logging_config = load_config(Path(__file__).resolve().parents[2] / "config.yml")["LOGGING"]
    assert logging_config["filters"]["correlation"]["()"] == "services.common.correlation.LogFilter"
    assert logging_config["handlers"]["console"]["filters"] == ["correlation"]
    lines = logging_config["formatters"][logging_config["handlers"]["console"]["formatter"]]
    assert lines["()"] == "services.common.logformat.formatter" and lines["kind"] == "plain"
    record = log_record()
    correlation.LogFilter().filter(record)
    assert "[-] msg" in logformat.formatter(lines["kind"]).format(record)
