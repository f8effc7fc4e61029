"""The audit trail (issue 11): every state-changing call, accepted or refused, in Redis per service.

Key: `<service>:audit`, a stream; one entry per call with
  service, method, sub, role, unit, department   who ("unauthenticated" for a call without a valid token)
  record                                         the result's id/code, else the id argument, else "-"
  outcome                                        "ok" or the error type, never input text
  at, correlation_id                             when (ISO, +08:00), and the request it belongs to
Retention: entries older than AUDIT_RETENTION_DAYS (default 180) are trimmed on each write
(XADD MINID, exact: only the few that expired since the last write go), and the stream never
grows past MAX_ENTRIES (XTRIM MAXLEN ~).
An accepted call that commits a transaction has its entry written in that transaction's MULTI/EXEC
(`CallAudit`): no round trip of its own, and no committed change without its entry. Any other call
(refused, or changing nothing through a transaction) has it written after the call, best effort:
a failed write is one warning line, never the caller's error."""
import logging
import re
import time

from . import clock
from .settings import number

log = logging.getLogger(__name__)

STREAM = "audit"
MAX_ENTRIES = 1_000_000
DEFAULT_RETENTION_DAYS = 180
UNAUTHENTICATED = "unauthenticated"
# Only values of these shapes are recorded as they are: the audit trail quotes no input text.
SAFE_VALUE = re.compile(r"[A-Za-z0-9_.:~-]{1,100}")
ID_ARGUMENTS = re.compile(r"(?!request_id\Z)([a-z_]*_id|code)")


def safe(value):
    return value if isinstance(value, str) and SAFE_VALUE.fullmatch(value) else "-"


def record_of(result, named_arguments):
    """The record a call touched: its result's `id` or `code`, or the id argument it named."""
    if isinstance(result, dict):
        for key in ("id", "code"):
            if result.get(key) is not None:
                return safe(str(result[key]))
    for name, value in named_arguments.items():
        if ID_ARGUMENTS.fullmatch(name):
            return safe(value)
    return "-"


def who(caller):
    if caller is None:
        return {"sub": UNAUTHENTICATED, "role": "-", "unit": "-", "department": "-"}
    return {"sub": safe(caller.sub) if caller.sub else "-", "role": caller.role,
            "unit": caller.unit or "-", "department": caller.department or "-"}


class AuditTrail:
    def __init__(self, client, service, retention_days=DEFAULT_RETENTION_DAYS):
        self.client = client
        self.service = service
        self.key = f"{service}:{STREAM}"
        self.retention_ms = int(retention_days * 86400 * 1000)

    @classmethod
    def for_container(cls, container, client):
        days = number(container.config, "AUDIT_RETENTION_DAYS", DEFAULT_RETENTION_DAYS)
        return cls(client, container.service_name, days)

    def entry(self, method, caller, record, outcome, correlation_id=None):
        return {"service": self.service, "method": method, **who(caller), "record": record,
                "outcome": outcome, "at": clock.iso(clock.now()), "correlation_id": safe(correlation_id)}

    def stage(self, pipe, entry):
        """Queue the entry and the trims on `pipe` (a transaction's, or a pipeline of its own)."""
        oldest_kept = int(time.time() * 1000) - self.retention_ms
        pipe.xadd(self.key, entry, minid=oldest_kept, approximate=False)  # exact: few expire per write
        pipe.xtrim(self.key, maxlen=MAX_ENTRIES, approximate=True)

    def record(self, method, caller, record, outcome, correlation_id=None):
        self.write(self.entry(method, caller, record, outcome, correlation_id))

    def write(self, entry):
        """Write one entry now, best effort."""
        try:
            pipe = self.client.pipeline(transaction=False)
            self.stage(pipe, entry)
            pipe.execute()
        except Exception as exc:
            log.warning("audit entry for %s.%s not written (%s)", self.service, entry["method"],
                        type(exc).__name__)


class CallAudit:
    """The audit entry of one state-changing call, shared by the call's identity (`auth.Identity`)
    and its stores (`storage.Storage`) through the worker. The first transaction the call commits
    carries the entry with outcome "ok" (its record from that transaction's result); a call that
    commits none has it written after the call (`finish`)."""

    def __init__(self):
        self.entry_of = None  # (result, outcome) -> entry, once a state-changing call has begun
        self.written = False

    @classmethod
    def of_worker(cls, worker_ctx):
        """The one `CallAudit` of a worker, whichever dependency asks first."""
        return worker_ctx.__dict__.setdefault("leifeng_call_audit", cls())

    def begin(self, trail, entry_of):
        self.trail, self.entry_of = trail, entry_of

    def stage(self, pipe, result):
        """Inside a transaction's MULTI: its entry, unless an earlier transaction of the call had it."""
        if self.entry_of is not None and not self.written:
            self.trail.stage(pipe, self.entry_of(result, "ok"))

    def committed(self):
        """The transaction that staged the entry committed."""
        self.written = self.entry_of is not None

    def finish(self, result, outcome):
        """After the call: the entry, best effort, if no transaction carried it. Then the call is
        over: `entry_of` goes, as it holds the call's identity, which holds this (a reference cycle
        would leave each call's objects to the garbage collector instead of freeing them at once)."""
        if self.entry_of is not None and not self.written:
            self.trail.write(self.entry_of(result, outcome))
        self.entry_of = None


def read(client, service, since_ms=None, who_sub=None, record=None, limit=1000, page=500):
    """The service's entries, oldest first, from `since_ms` (epoch ms) on, filtered by caller and
    record; read a page at a time, as the stream may hold a million entries."""
    start, entries = ("-" if since_ms is None else str(int(since_ms))), []
    while len(entries) < limit:
        batch = client.xrange(f"{service}:{STREAM}", min=start, max="+", count=page)
        entries.extend(entry for _, entry in batch
                       if who_sub in (None, entry.get("sub")) and record in (None, entry.get("record")))
        if len(batch) < page:
            break
        start = f"({batch[-1][0]}"
    return entries[:limit]
