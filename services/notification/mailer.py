"""E-mail delivery apart from the event handlers, so that a failing or slow SMTP server never holds
up an inbox: the handler commits the notification and an e-mail job (`email:due`), and this
loop takes due jobs and sends each in its own green thread, one attempt at most SMTP_TIMEOUT long,
retried after each of EMAIL_RETRY_DELAYS, then marked failed."""
import contextlib
import logging
import smtplib

import eventlet
from eventlet.event import Event
from nameko.extensions import DependencyProvider

from services.common import clock
from services.common.storage import Storage

from . import domain, metrics
from .mail import MailSettings, SendTimeout, compose, describe

log = logging.getLogger(__name__)

MAX_IN_FLIGHT = 20
# The loop looks again at least this often, for jobs another process queued.
IDLE_SECONDS = 1.0
# A claimed job is left alone this much longer than an attempt may take.
LEASE_MARGIN_SECONDS = 60


class Mailer(DependencyProvider):
    def setup(self):
        self.settings = MailSettings.from_config(self.container.config)
        self.store = None
        self.loop = None
        self.sending = set()
        self.wakeup = Event()

    def start(self):
        storage = next(dep for dep in self.container.dependencies if isinstance(dep, Storage))
        self.store = storage.make_store()
        if self.settings.configured:
            self.loop = self.container.spawn_managed_thread(self.drain_forever)

    def stop(self):
        if self.loop is not None:
            self.loop.kill()
        for thread in list(self.sending):
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
                metrics.EMAILS_PENDING.set(self.store.pending_emails())
                pause = min(pause, max(0.005, self.store.seconds_to_next_email(default=pause)))
            except Exception as exc:
                log.warning("e-mail loop: %s", type(exc).__name__)
            with eventlet.Timeout(pause, False):
                self.wakeup.wait()
            self.wakeup = Event()

    def drain(self):
        free = MAX_IN_FLIGHT - len(self.sending)
        if free <= 0:
            return
        lease = self.settings.timeout + LEASE_MARGIN_SECONDS
        for notification_id in self.store.claim_due_emails(lease, free):
            thread = eventlet.spawn(self.deliver, notification_id)
            self.sending.add(thread)
            thread.link(self.sending.discard)

    def deliver(self, notification_id):
        try:
            job = self.store.email_job(notification_id)
            if job is not None:
                self.attempt(notification_id, *job)
        except Exception as exc:
            # The lease runs out and the job is tried again.
            log.warning("e-mail for notification %s not recorded (%s)", notification_id, type(exc).__name__)
        finally:
            self.wake()

    def attempt(self, notification_id, notification, to):
        try:
            self.send(compose(notification, to, self.settings.sender))
        except Exception as exc:
            self.attempt_failed(notification_id, *describe(exc))
            return
        self.store.record_email_attempt(notification_id, self.sent)
        metrics.EMAILS_SENT.inc()

    @staticmethod
    def sent(record):
        return domain.email_sent(record, clock.now()), None

    def attempt_failed(self, notification_id, reason, permanent):
        def outcome(record):
            return domain.email_failed_attempt(record, reason, permanent, self.settings.retry_delays, clock.now())

        updated = self.store.record_email_attempt(notification_id, outcome)
        if updated is None:
            return
        given_up = updated["email"] == domain.FAILED
        (metrics.EMAILS_FAILED if given_up else metrics.EMAIL_RETRIES).inc()
        log.warning("e-mail for notification %s: attempt %d failed (%s)%s", notification_id,
                    updated["email_attempts"], reason, "; given up" if given_up else "")

    def send(self, message):
        settings = self.settings
        with eventlet.Timeout(settings.timeout, SendTimeout()):
            smtp = smtplib.SMTP(settings.host, settings.port, timeout=settings.timeout)
            try:
                smtp.send_message(message)
            except BaseException:
                # No QUIT: a late reply to the failed command would be read as its answer.
                smtp.close()
                raise
        # The mail is accepted; a failing goodbye does not make it unsent.
        with contextlib.suppress(smtplib.SMTPException, OSError):
            smtp.quit()
