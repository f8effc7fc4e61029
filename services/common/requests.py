"""Idempotent calls (contract §3 v2): a `request_id` is bound to its first call's arguments."""
import json
from dataclasses import dataclass


@dataclass(frozen=True)
class Request:
    """One call: `method`, the caller's `scope` (committee, ops, unit:<code>, department:<code>), the
    caller's `request_id` (None: not idempotent) and the validated `args` without it."""

    method: str
    scope: str
    request_id: str | None
    args: dict

    def fingerprint(self):
        return json.dumps(self.args, sort_keys=True, ensure_ascii=False, default=str)
