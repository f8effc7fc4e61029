"""E-mail without the machinery: the SMTP settings, the message for a notification, and a failure
described without personal data (an SMTP server's reply text may quote the address)."""
import smtplib
import socket
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import format_datetime

from services.common import clock
from services.common.settings import delays, number

from .domain import committee_emails

DEFAULT_RETRY_DELAYS = [2, 4, 8, 16, 32]


class SendTimeout(Exception):
    """The whole SMTP conversation took longer than SMTP_TIMEOUT."""


@dataclass(frozen=True)
class MailSettings:
    host: str | None
    port: int
    sender: str
    timeout: float
    committee: tuple
    retry_delays: tuple

    @classmethod
    def from_config(cls, config):
        return cls(host=config.get("SMTP_HOST") or None,
                   port=int(number(config, "SMTP_PORT", 25)),
                   sender=config.get("SMTP_FROM") or "leifeng-noreply@localhost",
                   timeout=number(config, "SMTP_TIMEOUT", 10),
                   committee=tuple(committee_emails(config.get("COMMITTEE_EMAILS"))),
                   retry_delays=tuple(delays(config, "EMAIL_RETRY_DELAYS", DEFAULT_RETRY_DELAYS)))

    @property
    def configured(self):
        return self.host is not None


def compose(notification, to, sender):
    """A UTF-8 message; the Message-ID is the notification's, so a resend after a crash can be
    recognised as the same mail."""
    message = EmailMessage()
    message["Subject"] = notification["title"]
    message["From"] = sender
    message["To"] = ", ".join(to)
    message["Date"] = format_datetime(clock.parse(notification["created_at"]))
    message["Message-ID"] = f"<{notification['id']}@{sender.rpartition('@')[2] or 'localhost'}>"
    message.set_content(notification["body"], charset="utf-8", cte="base64")
    return message


def describe(exc):
    """(reason, permanent): a permanent failure (an SMTP 5xx reply) is not worth retrying."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = sorted({code for code, _ in exc.recipients.values()})
        return f"SMTPRecipientsRefused {codes}", all(code >= 500 for code in codes)
    if isinstance(exc, smtplib.SMTPResponseException):
        return f"{type(exc).__name__} {exc.smtp_code}", exc.smtp_code >= 500
    if isinstance(exc, (SendTimeout, socket.timeout)):
        return "SMTP 服务器响应超时(timeout)", False
    return type(exc).__name__, False
