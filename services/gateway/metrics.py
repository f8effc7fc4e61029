"""The gateway's own Prometheus metrics (GET /metrics on GATEWAY_PORT), and one log line per API
request (with its X-Request-Id as correlation id: where `ops trace` starts)."""
import logging

from prometheus_client import Counter

from . import api

log = logging.getLogger(__name__)

REQUESTS = Counter("leifeng_gateway_requests_total", "HTTP API requests by operation and status.",
                   ["operation", "status"])


def count(service, method, response):
    """One request; an unknown path counts as `unknown`, so callers cannot mint label values."""
    known = api.allowed_methods(service, method) is not None
    operation = f"{service}.{method}" if known else "unknown"
    REQUESTS.labels(operation, str(response.status_code)).inc()
    log.info("http %s -> %d", operation, response.status_code)
    return response
