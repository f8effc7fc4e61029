"""A leased job loop apart from the event handlers, so that a slow or failing outside server (SMTP,
a webhook's receiver) never holds up an inbox or another job.

A handler commits its record with a job id in the sorted set `<queue>:due` (scored by when the
next attempt is due, epoch seconds). The loop claims due ids, pushing each a lease ahead so that
no other loop takes it meanwhile and a process that dies mid-attempt leaves it to be tried again,
and runs each in its own green thread, at most `max_in_flight` at once, claiming at most
`claim_at_most` with one look (one Redis transaction of a bounded size)."""
import logging

import eventlet
from eventlet.event import Event
from nameko.extensions import DependencyProvider

from services.common.storage import Storage

log = logging.getLogger(__name__)

# The loop looks again at least this often, for jobs another process queued.
IDLE_SECONDS = 1.0
# A claimed job is left alone this much longer than an attempt may take.
LEASE_MARGIN_SECONDS = 60


class JobLoop(DependencyProvider):
    queue = None          # the store's job queue: "email", "delivery"
    max_in_flight = 20
    claim_at_most = 20
    pending_gauge = None  # a Prometheus gauge of the jobs waiting

    def setup(self):
        self.store = None
        self.loop = None
        self.running = set()
        self.wakeup = Event()

    def enabled(self):
        return True

    def attempt_seconds(self):
        """How long one attempt may take at most."""
        raise NotImplementedError

    def run(self, job_id):
        """One attempt of the job; its outcome is recorded by the subclass."""
        raise NotImplementedError

    def start(self):
        # The service's own store (`store = Storage(...)`), not a mixin's.
        storage = next(dep for dep in self.container.dependencies
                       if isinstance(dep, Storage) and dep.attr_name == "store")
        self.store = storage.make_store()
        if self.enabled():
            self.loop = self.container.spawn_managed_thread(self.drain_forever)

    def stop(self):
        if self.loop is not None:
            self.loop.kill()
        for thread in list(self.running):
            thread.kill()

    kill = stop

    def get_dependency(self, worker_ctx):
        return self

    def wake(self):
        """New jobs were queued, or an attempt ended: look again now rather than after the idle wait."""
        if not self.wakeup.ready():
            self.wakeup.send()

    def drain_forever(self):
        while True:
            pause = IDLE_SECONDS
            try:
                self.drain()
                self.pending_gauge.set(self.store.pending_jobs(self.queue))
                pause = min(pause, max(0.005, self.store.seconds_to_next_job(self.queue, default=pause)))
            except Exception as exc:
                log.warning("%s loop: %s", self.queue, type(exc).__name__)
            with eventlet.Timeout(pause, False):
                self.wakeup.wait()
            self.wakeup = Event()

    def drain(self):
        free = self.max_in_flight - len(self.running)
        if free <= 0:
            return
        lease = self.attempt_seconds() + LEASE_MARGIN_SECONDS
        for job_id in self.store.claim_due_jobs(self.queue, lease, min(free, self.claim_at_most)):
            thread = eventlet.spawn(self.run_one, job_id)
            self.running.add(thread)
            thread.link(self.running.discard)

    def run_one(self, job_id):
        try:
            self.run(job_id)
        except Exception as exc:
            # The lease runs out and the job is tried again.
            log.warning("%s job %s not recorded (%s)", self.queue, job_id, type(exc).__name__)
        finally:
            self.wake()
