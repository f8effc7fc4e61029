"""Logging rules every process applies in code, whatever logging config it was started with."""
import logging
import re

EXPECTED_PREFIX = "(expected) error handling worker"
UNDECODABLE_PREFIX = "Can't decode message body"


class DropExpectedErrors(logging.Filter):
    """nameko logs each expected error with its traceback; ours are answers, logged once by us."""

    def filter(self, record):
        return not str(record.msg).startswith(EXPECTED_PREFIX)


class HideMessageBodies(logging.Filter):
    """kombu logs a body it cannot decode in full (a forged or hostile message may be megabytes
    of anything); the line keeps only that it happened and the content type."""

    def filter(self, record):
        if str(record.msg).startswith(UNDECODABLE_PREFIX):
            content_type = record.args[1] if isinstance(record.args, tuple) and len(record.args) > 1 else None
            record.msg = "a message body could not be decoded (type %s; body not logged)"
            record.args = (str(content_type)[:100],)
        return True


class OneLineOutages(logging.Filter):
    """kombu logs a lost or refused broker connection with its traceback, nameko over two lines:
    an outage the consumer recovers from by itself is one warning line naming the error type."""

    def filter(self, record):
        if record.exc_info and record.exc_info[1] is not None:
            record.msg = f"{record.getMessage()} ({type(record.exc_info[1]).__name__})"
            record.args, record.exc_info, record.exc_text = (), None, None
        if "\n" in str(record.msg):
            record.msg = " ".join(str(record.msg).split())
        return True


class HideBrokerPasswords(logging.Filter):
    """nameko masks the password of a broker URI's first node only: with several nodes
    (`uri;uri;uri`) it logs the others' in clear when a connection fails."""

    PASSWORD = re.compile(r"(://[^:/@;\s]+:)[^@;\s]+@")

    def filter(self, record):
        message = record.getMessage()
        hidden = self.PASSWORD.sub(r"\1********@", message)
        if hidden != message:
            record.msg, record.args = hidden, ()
        return True


RULES = (("nameko.containers", DropExpectedErrors), ("kombu.mixins", HideMessageBodies),
         ("kombu.mixins", OneLineOutages), ("nameko.messaging", OneLineOutages),
         ("nameko.messaging", HideBrokerPasswords), ("kombu.mixins", HideBrokerPasswords),
         ("kombu.connection", HideBrokerPasswords))


def quiet_expected_errors():
    """The logging rules every service process applies: expected errors once, no message bodies,
    broker outages in one line, no broker password."""
    for name, rule in RULES:
        logger = logging.getLogger(name)
        if not any(isinstance(f, rule) for f in logger.filters):
            logger.addFilter(rule())


def error_summary(exc):
    """What may be logged or sent about a failure: its type, and our own (data-free) messages."""
    from .errors import ServiceError
    from .events import InvalidEvent

    if isinstance(exc, (ServiceError, InvalidEvent)):
        return f"{type(exc).__name__}: {str(exc)[:300]}"
    return type(exc).__name__
