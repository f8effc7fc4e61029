"""Test-only services for the fault tests, each run as its own process like the real ones:

    nameko run --config config.yml tests.fault.fault_services:FaultProducer
    nameko run --config config.yml tests.fault.fault_services:FaultConsumer

FAULT_EMIT_PAUSE and FAULT_HANDLER_PAUSE (seconds) stretch a stream of events out in time, so that
a broker outage lands in the middle of it rather than after it.

For a kill at a chosen moment rather than a likely one, two holds wait on Redis flags:
FAULT_EMIT_HOLD_AT=n makes the producer wait, before beat n, until `faultproducer:go` is set (so the
stream is still flowing whenever the test acts); FAULT_HOLD_AFTER_COMMIT=n makes the consumer wait,
after committing beat n's effect and before its ack, until `faultconsumer:release` is set."""
import os
import time
from functools import partial

import eventlet
from marshmallow import fields
from services.common.rpc import rpc

from services.common import events, web
from services.common.auth import COMMITTEE, Auth, allow
from services.common.consumer import reliable_event_handler
from services.common.schemas import LenientSchema
from services.common.storage import Storage
from services.common.store import Store

CRASH_POINT_ENV = "LEIFENG_CRASH_POINT"
EMIT_PAUSE = float(os.environ.get("FAULT_EMIT_PAUSE", "0"))
HANDLER_PAUSE = float(os.environ.get("FAULT_HANDLER_PAUSE", "0"))
EMIT_HOLD_AT = int(os.environ.get("FAULT_EMIT_HOLD_AT", "-1"))
HOLD_AFTER_COMMIT = int(os.environ.get("FAULT_HOLD_AFTER_COMMIT", "-1"))


def wait_for_flag(client, key):
    while not client.exists(key):
        eventlet.sleep(0.01)


class Beat(LenientSchema):
    n = fields.Integer(required=True)
    poison = fields.Boolean(required=True)


events.register("faultproducer", "beat", Beat)


class CrashingStore(Store):
    """With LEIFENG_CRASH_POINT=after_outbox_write the process dies right after EXEC, before
    publishing: the outbox relay of the next process must publish what was committed."""

    def publish(self, staged):
        if os.environ.get(CRASH_POINT_ENV) == "after_outbox_write":
            os._exit(70)
        super().publish(staged)


class FaultProducer(web.Observable):
    name = "faultproducer"
    auth = Auth()
    store = Storage(CrashingStore)

    @rpc
    @allow(COMMITTEE)
    def emit(self, count, start=0, poison=False):
        """Beats `start` .. `start + count - 1`, one transaction and one `beat` event each; returns
        their event ids. A beat already emitted is not emitted again, so a call redelivered after
        its first run crashed before replying adds nothing. The Redis flag `halt` ends a stream
        early (an open-ended stream is a long one that the test halts)."""
        event_ids = []
        for n in range(start, start + count):
            if self.store.client.exists(self.store.key("halt")):
                break
            if n == EMIT_HOLD_AT:
                wait_for_flag(self.store.client, self.store.key("go"))
            event_ids.append(self.store.transact(partial(self._beat, n, poison), self.store.key("beats")))
            eventlet.sleep(EMIT_PAUSE)
        return event_ids

    def _beat(self, n, poison, tx):
        beats = self.store.key("beats")
        emitted = tx.reader.hget(beats, n)
        if emitted:
            return emitted
        tx.emit("beat", f"beat-{n}", 1, {"n": n, "poison": poison})
        event_id = tx.events[-1]["event_id"]
        tx.write(lambda pipe: pipe.hset(beats, n, event_id))
        return event_id


class FaultConsumer(web.Observable):
    name = "faultconsumer"
    store = Storage(Store)

    @reliable_event_handler("faultproducer", "beat")
    def on_beat(self, event):
        event_id = event["event_id"]
        if event["data"]["poison"] and not self.store.client.exists(self.store.key("fixed")):
            # When each attempt ran, for the test to check the retry schedule.
            self.store.client.rpush(self.store.key("attempts", event_id), time.time())
            raise RuntimeError("poison beat")
        self.store.transact(lambda tx: tx.write(
            lambda pipe: pipe.hincrby(self.store.key("effects"), event_id, 1)))
        # Work after the commit and before the ack: the window a kill must not turn into a second effect.
        if event["data"]["n"] == HOLD_AFTER_COMMIT:
            wait_for_flag(self.store.client, self.store.key("release"))
        eventlet.sleep(HANDLER_PAUSE)
