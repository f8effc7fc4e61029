"""The nameko side of correlation ids: every worker runs with one (see `correlation`)."""
from nameko.extensions import DependencyProvider
from nameko.rpc import Rpc

from . import correlation


def worker_fields(worker_ctx):
    """What the worker's log lines name besides its correlation id: the service and entrypoint, the
    RPC method, or the event being handled (its id and type, never its data)."""
    entrypoint = worker_ctx.entrypoint
    fields = {"service": worker_ctx.service_name, "entrypoint": entrypoint.method_name}
    if isinstance(entrypoint, Rpc):
        fields["rpc_method"] = entrypoint.method_name
    event = worker_ctx.args[0] if getattr(entrypoint, "handled_key", None) and worker_ctx.args else None
    if isinstance(event, dict):
        fields.update(event_id=event.get("event_id"), event_type=event.get("event_type"))
    return fields


class CorrelationContext(DependencyProvider):
    """Gives each worker a correlation id (the caller's, or a new one) and binds it for logging.

    The id is put into the worker's context data (`worker_ctx.data`: `context_data` is a copy), so
    nested RPCs carry it on; the store reads it from there too, whichever dependency is injected first."""

    def setup(self):
        self.tokens = {}
        correlation.name_process(self.container.service_name)

    def get_dependency(self, worker_ctx):
        return correlation.ensure(worker_ctx.data)

    def worker_setup(self, worker_ctx):
        self.tokens[worker_ctx] = correlation.bind(correlation.ensure(worker_ctx.data), **worker_fields(worker_ctx))

    def worker_teardown(self, worker_ctx):
        token = self.tokens.pop(worker_ctx, None)
        if token is not None:
            correlation.unbind(token)
