"""The gateway's own Prometheus metrics (GET /metrics on GATEWAY_PORT)."""
from prometheus_client import Counter

from . import api

REQUESTS = Counter("leifeng_gateway_requests_total", "HTTP API requests by operation and status.",
                   ["operation", "status"])


def count(service, method, response):
    """One request; an unknown path counts as `unknown`, so callers cannot mint label values."""
    known = api.allowed_methods(service, method) is not None
    REQUESTS.labels(f"{service}.{method}" if known else "unknown", str(response.status_code)).inc()
    return response
