"""Every answer that is not a result: RFC 9457 problem details (contract §7).

`Problem` is raised anywhere in the gateway and becomes one `application/problem+json` response;
`from_remote` maps a service's `RemoteError` (contract §3's `exc_type`) to its problem."""
import json
import logging
import re
import uuid
from http import HTTPStatus

from werkzeug.wrappers import Response

log = logging.getLogger(__name__)

CONTENT_TYPE = "application/problem+json"
RETRY_AFTER_SECONDS = 5


class Problem(Exception):
    """An answer with `status`; `code` is the contract's name for it (`NotFound`, `Conflict` ...)."""

    def __init__(self, status, code, detail, headers=None, **members):
        super().__init__(code)
        self.status = status
        self.code = code
        self.detail = detail
        self.headers = dict(headers or {})
        self.members = members  # RFC 9457 extension members, e.g. `errors` of a ValidationError

    def body(self):
        return {"type": "about:blank", "title": HTTPStatus(self.status).phrase, "status": self.status,
                "detail": self.detail, "code": self.code, **self.members}

    def response(self):
        # The status line's reason is the body's `title` (werkzeug's own would be upper case).
        return Response(json.dumps(self.body(), ensure_ascii=False),
                        status=f"{self.status} {HTTPStatus(self.status).phrase}",
                        headers=self.headers, content_type=CONTENT_TYPE)


def not_found(detail="没有这个地址(No such path)."):
    return Problem(404, "NotFound", detail)


def method_not_allowed(allowed):
    allow = ", ".join(sorted(set(allowed) | ({"HEAD"} if "GET" in allowed else set())))
    return Problem(405, "MethodNotAllowed", f"此地址只接受 {allow}(Method not allowed).", headers={"Allow": allow})


def unauthenticated(detail):
    return Problem(401, "Unauthenticated", detail, headers={"WWW-Authenticate": "Bearer"})


def invalid(errors, detail="输入有误(Invalid input)."):
    return Problem(422, "ValidationError", detail, errors=errors)


def unavailable(detail):
    return Problem(503, "Unavailable", detail, headers={"Retry-After": str(RETRY_AFTER_SECONDS)})


def internal(kind):
    """Something the gateway did not expect, named by `kind` (an exception's type name, never its
    text, which may quote a request): logged under a reference, and the caller gets only that."""
    ref = uuid.uuid4().hex[:12]
    log.error("internal error ref=%s: %s", ref, kind)
    return Problem(500, "InternalError", ref)


def from_http_exception(exc):
    """werkzeug's routing answers (unknown path, wrong method) as problems instead of HTML."""
    if exc.code == 405:
        return method_not_allowed(exc.valid_methods or ())
    if exc.code == 404:
        return not_found()
    return Problem(exc.code, type(exc).__name__, HTTPStatus(exc.code).phrase)


# nameko's signature check names no field; its TypeError text does, and only argument names.
# Any name a client sent (`limit[]`, `a-b` ...), up to 100 characters; a longer one is `_schema`.
UNEXPECTED = re.compile(r"unexpected keyword argument '(.{1,100})'$")
MISSING = re.compile(r"missing \d+ required (?:positional|keyword-only) arguments?: (.+)$")
UNKNOWN_ARGUMENT = "未知参数(Unknown argument)."


def signature_errors(text):
    """{argument: [message]} from nameko's IncorrectSignature text; `_schema` when it names none."""
    errors = {name: [UNKNOWN_ARGUMENT] for name in UNEXPECTED.findall(text)}
    missing = MISSING.search(text)
    if missing:
        errors.update({name: ["缺少必填参数(Missing data for required field)."]
                       for name in re.findall(r"'(\w+)'", missing.group(1))})
    return errors or {"_schema": ["参数名称或个数不正确(Incorrect arguments)."]}


def validation_errors(value):
    try:
        errors = json.loads(value)
    except ValueError:
        errors = None
    return errors if isinstance(errors, dict) else {"_schema": ["输入有误(Invalid input)."]}


SIMPLE = {"Forbidden": 403, "NotFound": 404, "Conflict": 409}


def from_remote(err):
    """A service's answer (RemoteError) as the contract's problem; anything unknown is our 500."""
    kind, value = err.exc_type, err.value
    if kind in SIMPLE:
        return Problem(SIMPLE[kind], kind, value)
    if kind == "ValidationError":
        return invalid(validation_errors(value))
    if kind == "Unauthenticated":
        return unauthenticated(value)
    if kind == "InternalError":
        return Problem(500, "InternalError", value)
    if kind == "Unavailable":
        return unavailable(value)
    return internal(f"RemoteError {kind}")
