"""E-mail delivery apart from the event handlers (a `JobLoop`, queue `email`): the handler commits
the notification and an e-mail job, and this loop sends each due one, one attempt at most
SMTP_TIMEOUT long, retried after each of EMAIL_RETRY_DELAYS, then marked failed."""
import contextlib
import logging
import smtplib

import eventlet

from . import domain, metrics
from .jobs import JobLoop
from .mail import MailSettings, SendTimeout, compose, describe

log = logging.getLogger(__name__)


class Mailer(JobLoop):
    queue = "email"
    pending_gauge = metrics.EMAILS_PENDING

    def setup(self):
        super().setup()
        self.settings = MailSettings.from_config(self.container.config)

    def enabled(self):
        return self.settings.configured

    def attempt_seconds(self):
        return self.settings.timeout

    def run(self, notification_id):
        job = self.store.email_job(notification_id)
        if job is not None:
            self.attempt(notification_id, *job)

    def attempt(self, notification_id, notification, to):
        try:
            self.send(compose(notification, to, self.settings.sender))
        except Exception as exc:
            self.attempt_failed(notification_id, *describe(exc))
            return
        self.store.record_email_attempt(notification_id, self.sent)
        metrics.EMAILS_SENT.inc()

    def sent(self, record):
        return domain.email_sent(record, self.store.now()), None

    def attempt_failed(self, notification_id, reason, permanent):
        def outcome(record):
            return domain.email_failed_attempt(record, reason, permanent, self.settings.retry_delays, self.store.now())

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
