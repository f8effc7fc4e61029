"""Prometheus metrics every service exports on GET /metrics (names in docs/operations.md), and the
one INFO line per RPC answered and per event handled that goes with them."""
import logging

from prometheus_client import Counter, Gauge, Histogram

log = logging.getLogger(__name__)

# Seconds: an RPC answers in milliseconds; a handler may wait on a webhook or SMTP timeout.
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30)

EVENTS_PUBLISHED = Counter(
    "leifeng_events_published_total", "Events confirmed by the broker.", ["service", "event_type"])
EVENTS_UNROUTABLE = Counter(
    "leifeng_events_unroutable_total", "Events no queue was bound for (dropped).", ["service", "event_type"])
OUTBOX_BACKLOG = Gauge(
    "leifeng_outbox_backlog", "Events written to the outbox and not yet confirmed.", ["service"])
EVENTS_HANDLED = Counter(
    "leifeng_events_handled_total", "Events a consumer handled.", ["service", "event_type"])
EVENTS_DUPLICATE = Counter(
    "leifeng_events_duplicate_total", "Redelivered events skipped as already handled.", ["service", "event_type"])
EVENT_RETRIES = Counter(
    "leifeng_event_retries_total", "Failed events scheduled for another attempt.", ["service", "event_type"])
EVENTS_DEAD_LETTERED = Counter(
    "leifeng_events_dead_lettered_total", "Events moved to <service>.dead-letter.", ["service", "event_type"])
RPC_CALLS = Counter(
    "leifeng_rpc_calls_total", "RPC calls by method and outcome.", ["service", "method", "outcome"])
RPC_LATENCY = Histogram(
    "leifeng_rpc_duration_seconds", "RPC handling time by method and outcome (ok or the error type).",
    ["service", "method", "outcome"], buckets=LATENCY_BUCKETS)
HANDLER_LATENCY = Histogram(
    "leifeng_event_handler_duration_seconds",
    "Event handling time by handler, event type and outcome (ok or the error type).",
    ["service", "handler", "event_type", "outcome"], buckets=LATENCY_BUCKETS)
OUTBOX_OLDEST_AGE = Gauge(
    "leifeng_outbox_oldest_age_seconds", "Age of the oldest outbox entry not yet confirmed (0 when empty).",
    ["service"])
READY = Gauge(
    "leifeng_consuming", "1 while the instance takes work from its queues, 0 while its Redis is out of reach.",
    ["service"])


def observe_rpc(service, method, outcome, seconds):
    """One RPC answered: counted, timed, and one log line (what `ops trace` reads back)."""
    RPC_CALLS.labels(service, method, outcome).inc()
    RPC_LATENCY.labels(service, method, outcome).observe(seconds)
    log.info("rpc %s.%s %s in %.1f ms", service, method, outcome, seconds * 1000)


def observe_handler(service, handler, event_type, outcome, seconds):
    HANDLER_LATENCY.labels(service, handler, event_type, outcome).observe(seconds)
    log.info("event %s handled by %s.%s: %s in %.1f ms", event_type, service, handler, outcome, seconds * 1000)
