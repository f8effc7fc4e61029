"""Prometheus metrics every service exports on GET /metrics (names in docs/operations.md)."""
from prometheus_client import Counter, Gauge

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
