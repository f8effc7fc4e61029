"""The nameko side of correlation ids: every worker runs with one (see `correlation`)."""
from nameko.extensions import DependencyProvider

from . import correlation


class CorrelationContext(DependencyProvider):
    """Gives each worker a correlation id (the caller's, or a new one) and binds it for logging.

    The id is put into the worker's context data (`worker_ctx.data`: `context_data` is a copy), so
    nested RPCs carry it on; the store reads it from there too, whichever dependency is injected first."""

    def setup(self):
        self.tokens = {}

    def get_dependency(self, worker_ctx):
        return correlation.ensure(worker_ctx.data)

    def worker_setup(self, worker_ctx):
        self.tokens[worker_ctx] = correlation.bind(correlation.ensure(worker_ctx.data))

    def worker_teardown(self, worker_ctx):
        token = self.tokens.pop(worker_ctx, None)
        if token is not None:
            correlation.unbind(token)
