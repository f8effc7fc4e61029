"""`DeadlineEntrypoints`: the `check_deadlines` RPC and its timer, for every service with deadlines.

Both call the service's `run_deadline_checks(now)` (returns the counts as a dict). Due times are
indexed as epoch SECONDS (float scores, `due_score`) in every service, so a check reads only the
records that have fallen due (contract §1)."""
from nameko.dependency_providers import Config
from redis.exceptions import WatchError

from .auth import COMMITTEE, OPS, allow
from .idfields import request_id_field
from .requests import Request
from .rpc import rpc
from .schemas import BaseSchema, load
from .timers import configured_timer, effective_now


def due_score(moment):
    """A due time as a sorted-set score: epoch seconds."""
    return moment.timestamp()


class CheckArgs(BaseSchema):
    request_id = request_id_field(load_default=None, allow_none=True)


class DeadlineEntrypoints:
    """Mixed into a service class that defines `run_deadline_checks(now)` and has `auth` and `store`."""

    config = Config()

    @rpc
    @allow(COMMITTEE, OPS)
    def check_deadlines(self, now=None, request_id=None):
        """Send what has fallen due by `now` (only where ALLOW_CLOCK_OVERRIDE allows a `now`)."""
        moment = effective_now(self.config, now)
        request_id = load(CheckArgs, {"request_id": request_id})["request_id"]
        request = Request("check_deadlines", self.auth.caller.scope_key, request_id,
                          {"now": None if now is None else moment})
        return self.store.once(request, lambda: self.run_deadline_checks(moment))

    @configured_timer("DEADLINE_CHECK_INTERVAL", 60)
    def deadline_timer(self):
        # A failed tick is one warning line (ConfiguredTimer); the next tick tries again.
        self.run_deadline_checks(effective_now(self.config, None))


# Before v2 summary scored its due sets in epoch milliseconds. Seconds reach 1e11 only in the year
# 5138 and milliseconds passed it in 1973, so a score at or above it is in milliseconds.
MS_SCORES_FROM = 1e11


def rescale_ms_scores(client, key):
    """Turn the millisecond scores of the due set `key` into seconds; returns how many moved.
    Safe to run again and while the service runs (WATCHed: a concurrent rescore wins and is
    never overwritten with an old due time)."""
    while True:
        with client.pipeline(transaction=True) as pipe:
            try:
                pipe.watch(key)
                stale = pipe.zrangebyscore(key, MS_SCORES_FROM, "+inf", withscores=True)
                pipe.multi()
                if stale:
                    pipe.zadd(key, {member: score / 1000 for member, score in stale})
                pipe.execute()
                return len(stale)
            except WatchError:
                continue
