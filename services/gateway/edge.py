"""Requests refused before the gateway's app sees them, answered like every other gateway answer:
problem+json with an `X-Request-Id` (contract §7).

eventlet's HTTP server writes bare answers of its own for a request line over 8 KiB (414), a header
line over 8 KiB or headers over 64 KiB (400), and a Content-Length that is not a number or comes
with a Transfer-Encoding (400); the standard library's parsing writes an HTML page for a malformed
request line or HTTP version. `ProblemProtocol` answers each of them itself, and it also refuses
what eventlet lets through: a Content-Length given twice, or not as plain digits (RFC 9112 §6.3: a
proxy in front could frame the body by the other value, and a request could hide inside it). The
access line it writes for every request names the path without the query."""
import json
import logging
from http import HTTPStatus
from urllib.parse import urlsplit

from eventlet.wsgi import HeaderLineTooLong, HeadersTooLarge
from nameko.web.server import HttpOnlyProtocol

from services.common import correlation

from . import problems

log = logging.getLogger(__name__)

# Each refusal's code (RFC 9110's reason phrase, as contract §7 names its own) and detail.
REFUSALS = {
    400: ("BadRequest", "请求格式有误(Malformed request)."),
    414: ("URITooLong", "请求行过长(Request line too long)."),
    431: ("RequestHeaderFieldsTooLarge", "请求头过大(Request headers too large)."),
    505: ("HTTPVersionNotSupported", "不支持此 HTTP 版本(HTTP version not supported)."),
}


def request_id(given):
    """The caller's X-Request-Id when it is well formed (contract §7), else a new one: the request's
    correlation id."""
    return given if correlation.is_valid(given) else correlation.new_correlation_id()


def framing_error(headers):
    """Why a request's body cannot be framed safely, or None (RFC 9112 §6.1, §6.3)."""
    lengths = headers.get_all("Content-Length") or []
    if len(lengths) > 1:
        return "Content-Length 只能有一个(Content-Length given more than once)."
    if lengths and not (lengths[0].isascii() and lengths[0].strip().isdigit()):
        return "Content-Length 须为非负整数(Content-Length must be digits)."
    if lengths and headers.get("Transfer-Encoding") is not None:
        return "Content-Length 与 Transfer-Encoding 不能同时出现(Content-Length with Transfer-Encoding)."
    return None


def origin_form(target):
    """The path and query of a request target; an absolute-form one (`http://host/path?q`), which
    a server must accept (RFC 9112 §3.2.2), comes to the app as its path like any other."""
    parts = urlsplit(target)
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return target
    return (parts.path or "/") + (f"?{parts.query}" if parts.query else "")


def access_line(command, path, version):
    """The request line as eventlet's access log writes it: the path without its query, which can
    carry a token (`?access_token=`, refused, but sent all the same) or a person's data (§6)."""
    route, _, query = path.partition("?")
    return f"{command} {route}{'?…' if query else ''} {version}"


def refusal(status, detail, rid, with_body=True):
    """The bytes of a problem+json answer that closes the connection."""
    code, default_detail = REFUSALS[status]
    detail = detail or default_detail
    body = json.dumps(problems.Problem(status, code, detail).body(), ensure_ascii=False).encode()
    head = (f"HTTP/1.1 {status} {HTTPStatus(status).phrase}\r\n"
            f"Content-Type: {problems.CONTENT_TYPE}\r\nContent-Length: {len(body)}\r\n"
            f"X-Request-Id: {rid}\r\nConnection: close\r\n\r\n")
    return head.encode("latin-1") + (body if with_body else b"")


class ProblemProtocol(HttpOnlyProtocol):
    """nameko's protocol, with the refusals above as problem+json."""

    def refuse(self, status, detail=None, headers=None, head=False):
        """Answer `status` and close; `headers` are the request's once they were read, `head`
        whether it is known to be a HEAD (whose answer has no body)."""
        rid = request_id(headers.get("X-Request-Id") if headers is not None else None)
        correlation.bind(rid)  # else the line would carry the connection's previous request's id
        log.info("http request refused before the app: %d", status)
        self.wfile.write(refusal(status, detail, rid, with_body=not head))
        self.close_connection = True

    def _read_request_line(self):
        line = super()._read_request_line()
        if len(line) >= self.server.url_length_limit:
            self.refuse(414)
            return ""  # eventlet then closes the connection without an answer of its own
        return line

    def parse_request(self):
        try:
            parsed = super().parse_request()
        except (HeaderLineTooLong, HeadersTooLarge):
            # The request line was read and parsed (self.command) before its headers.
            self.refuse(431, head=self.command == "HEAD")
            return False
        if parsed:
            self.path = origin_form(self.path)
            # Rebuilt from its parts: the line as sent may separate them by any whitespace.
            self.requestline = access_line(self.command, self.path, self.request_version)
            error = framing_error(self.headers)
            if error is not None:
                self.refuse(400, error, self.headers, head=self.command == "HEAD")
                return False
        return parsed

    def send_error(self, code, message=None, explain=None):
        """The standard library's refusal of a malformed request line or headers; its `message`
        and `explain` quote the request and go nowhere."""
        self.refuse(int(code) if int(code) in REFUSALS else 400)
