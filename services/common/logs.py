"""Logging rules every process applies in code, whatever logging config it was started with."""
import logging

EXPECTED_PREFIX = "(expected) error handling worker"


class DropExpectedErrors(logging.Filter):
    """nameko logs each expected error with its traceback; ours are answers, logged once by us."""

    def filter(self, record):
        return not str(record.msg).startswith(EXPECTED_PREFIX)


def quiet_expected_errors():
    logger = logging.getLogger("nameko.containers")
    if not any(isinstance(f, DropExpectedErrors) for f in logger.filters):
        logger.addFilter(DropExpectedErrors())


def error_summary(exc):
    """What may be logged or sent about a failure: its type, and our own (data-free) messages."""
    from .errors import ServiceError
    from .events import InvalidEvent

    if isinstance(exc, (ServiceError, InvalidEvent)):
        return f"{type(exc).__name__}: {str(exc)[:300]}"
    return type(exc).__name__
