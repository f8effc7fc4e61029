"""GET /health and GET /metrics for every service, as a mixin for the service class."""
import json
import time

from kombu import Connection
from nameko.extensions import DependencyProvider
from nameko.web.handlers import http
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from werkzeug.wrappers import Response

from .settings import require_setting
from .storage import resources
from .tracing import CorrelationContext

CACHE_SECONDS = 1.0


class Probe:
    """Checks Redis and RabbitMQ, remembering the answer for a second to keep polling cheap."""

    def __init__(self, redis, amqp_uri):
        self.redis = redis
        self.amqp_uri = amqp_uri
        self.checked_at = 0.0
        self.checks = {}

    def _redis(self):
        try:
            self.redis.ping()
            return "ok"
        except Exception as exc:
            return f"unavailable: {type(exc).__name__}"

    def _amqp(self):
        try:
            with Connection(self.amqp_uri, connect_timeout=2) as connection:
                connection.connect()
            return "ok"
        except Exception as exc:
            return f"unavailable: {type(exc).__name__}"

    def run(self):
        if time.monotonic() - self.checked_at > CACHE_SECONDS:
            # A service without state (the gateway) has no Redis to check.
            redis = {} if self.redis is None else {"redis": self._redis()}
            self.checks = {**redis, "amqp": self._amqp()}
            self.checked_at = time.monotonic()
        return self.checks


class HealthProbe(DependencyProvider):
    def setup(self):
        config = self.container.config
        self.probe = Probe(resources(self.container).client, require_setting(config, "AMQP_URI"))

    def get_dependency(self, worker_ctx):
        return self.probe


class Observable:
    """Mixed into each service class: its health and its Prometheus metrics over HTTP, and a
    correlation id for every worker (its log lines, its nested RPCs, its events)."""

    health_probe = HealthProbe()
    correlation = CorrelationContext()

    @http("GET", "/health")
    def health(self, request):
        checks = self.health_probe.run()
        healthy = all(value == "ok" for value in checks.values())
        body = {"status": "ok" if healthy else "unavailable", "service": self.name, **checks}
        return Response(json.dumps(body), status=200 if healthy else 503, mimetype="application/json")

    @http("GET", "/metrics")
    def metrics(self, request):
        return Response(generate_latest(), content_type=CONTENT_TYPE_LATEST)
