"""Idempotent requests (contract §3 v2): a repeated `request_id` returns the first call's result.

A request is bound to its service (the store's prefix), its method, its caller's scope
(`committee`, `ops`, `unit:<code>`, `department:<code>`) and its validated arguments: a repeat with
other arguments is `Conflict`, and one caller can neither block nor probe another's ids. "The same
arguments" means equal after validation and defaults: the fingerprint is taken of `comparable(args)`,
so an instant written in another offset or 2.0 for 2 is the same request.

    <prefix>request:<method>:<scope>:<request_id>   {"id": record id, "result": the first call's
                                                    result ("result" alone for `Store.once`),
                                                    "args": digest}, kept REQUEST_TTL seconds"""
import json
from dataclasses import dataclass, field
from datetime import datetime

from .clock import CAMPAIGN_TZ
from .errors import Conflict
from .ids import digest

REQUEST_TTL = 30 * 24 * 3600
REUSED = "request_id 已用于另一请求(request_id already used for another request)."


def comparable(value):
    """The loaded `value` with one form per value: an instant in +08:00 whatever offset the caller
    wrote (the usual +08:00 keeps the fingerprints already stored), an integral number as an int
    (`JsonNumber` keeps 2.0 as sent); dates and strict integers have one form already. Only for
    fingerprints: `ids.derived_id` digests facts as they are, so ids already issued stay the same."""
    if isinstance(value, dict):
        return {key: comparable(item) for key, item in value.items()}
    if isinstance(value, list):
        return [comparable(item) for item in value]
    if isinstance(value, datetime):
        return value.astimezone(CAMPAIGN_TZ)
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


@dataclass(frozen=True)
class Request:
    method: str
    scope: str
    request_id: str | None
    # The validated arguments, defaults applied, without request_id.
    args: dict = field(default_factory=dict)

    @property
    def fingerprint(self):
        return digest(comparable(self.args), 32)

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
        # The arguments as given were fingerprinted until 2026-12-03: a first call stored before then
        # with an instant not in +08:00 or a number such as 2.0 is still the same request (until
        # 2027-01-02, when every such entry's REQUEST_TTL is over and this comparison can go).
        if stored.get("args") not in (self.fingerprint, digest(self.args, 32)):
            raise Conflict(REUSED)
        return stored
