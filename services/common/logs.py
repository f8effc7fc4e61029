"""Logging rules every process applies in code, whatever logging config it was started with."""
import logging

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


def quiet_expected_errors():
    """The logging rules every service process applies: expected errors once, no message bodies."""
    for name, rule in (("nameko.containers", DropExpectedErrors), ("kombu.mixins", HideMessageBodies)):
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
