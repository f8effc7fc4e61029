"""Idempotent requests (contract §3 v2): a repeated `request_id` returns the first call's result.

A request is bound to its service (the store's prefix), its method, its caller's scope
(`committee`, `ops`, `unit:<code>`, `department:<code>`) and its validated arguments: a repeat with
other arguments is `Conflict`, and one caller can neither block nor probe another's ids.

    <prefix>request:<method>:<scope>:<request_id>   {"id": record id or "result": reply, "args": digest}
                                                    kept REQUEST_TTL seconds"""
import json
from dataclasses import dataclass, field

from .errors import Conflict
from .ids import digest

REQUEST_TTL = 30 * 24 * 3600
REUSED = "request_id 已用于另一请求(request_id already used for another request)."


@dataclass(frozen=True)
class Request:
    method: str
    scope: str
    request_id: str | None
    # The validated arguments, defaults applied, without request_id.
    args: dict = field(default_factory=dict)

    @property
    def fingerprint(self):
        return digest(self.args, 32)

    @property
    def given(self):
        return self.request_id is not None

    def key_parts(self):
        return ("request", self.method, self.scope, self.request_id)

    def encode(self, **outcome):
        return json.dumps({**outcome, "args": self.fingerprint}, ensure_ascii=False)

    def decode(self, raw):
        """The stored outcome of this request (None if new); Conflict if it was another request's."""
        if raw is None:
            return None
        stored = json.loads(raw)
        if stored.get("args") != self.fingerprint:
            raise Conflict(REUSED)
        return stored
