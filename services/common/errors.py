"""The errors of contract §3. nameko sends `type(exc).__name__` as `exc_type`, so names matter."""
import json


class ServiceError(Exception):
    """An error the caller is meant to see; its text is safe to send."""


class ValidationError(ServiceError):
    """Bad input. The text is a JSON object mapping dotted field paths to lists of messages."""

    def __init__(self, messages):
        self.messages = messages
        super().__init__(json.dumps(messages, ensure_ascii=False, sort_keys=True))

    @classmethod
    def field(cls, path, message):
        return cls({path: [message]})


class NotFound(ServiceError):
    pass


class Conflict(ServiceError):
    pass


class Unauthenticated(ServiceError):
    pass


class Forbidden(ServiceError):
    pass


class Unavailable(ServiceError):
    """Redis or the broker could not be reached (contract §3 v2): a transient outage, so the caller
    retries with the same `request_id`. The text names no host and quotes nothing."""


class InternalError(ServiceError):
    """Anything unexpected. The text is only the reference id under which the service logged it."""


EXPECTED = (ValidationError, NotFound, Conflict, Unauthenticated, Forbidden, Unavailable, InternalError)


def require_found(record, what):
    """`record`, or `NotFound` naming what is missing (a Chinese noun such as "活动" and its code)."""
    if record is None:
        raise NotFound(f"{what}不存在(Not found).")
    return record
