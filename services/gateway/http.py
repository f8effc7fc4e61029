"""The gateway's web server: nameko's, except that no answer is werkzeug's HTML.

nameko's `WsgiApp` returns werkzeug's own HTML page for an unknown path or a wrong HTTP method
(`adapter.match()` raises before any entrypoint runs), so the gateway runs its own `WebServer`
subclass whose app answers those with problem+json too, and puts `X-Request-Id` on every response;
what eventlet's server refuses before the app is answered the same way (`edge`).
Every gateway route uses `route` (not nameko's `http`, which would start a second server)."""
import re

from nameko.web.handlers import HttpRequestHandler
from nameko.web.server import WebServer, WsgiApp
from werkzeug.exceptions import HTTPException, NotFound
from werkzeug.routing import Map, Rule
from werkzeug.wrappers import Request

from services.common import correlation

from . import problems
from .console import session
from .edge import ProblemProtocol, request_id

REQUEST_ID_HEADER = "X-Request-Id"
ENCODED_SLASH = re.compile("%2f", re.IGNORECASE)
ENVIRON_KEY = "leifeng.request_id"


def bearer_token(header):
    """The token of `Authorization: Bearer <token>`, or None."""
    scheme, _, token = (header or "").strip().partition(" ")
    return token.strip() or None if scheme.lower() == "bearer" else None


class ProblemWsgiApp(WsgiApp):
    def __call__(self, environ, start_response):
        rid = environ[ENVIRON_KEY] = request_id(environ.get("HTTP_X_REQUEST_ID"))
        # Left bound in this connection's green thread: eventlet writes the request's access line
        # there after the answer (contract §7: every log line the request caused carries its id);
        # the connection's next request binds its own.
        correlation.bind(rid)

        def start_with_request_id(status, headers, exc_info=None):
            headers = [(name, value) for name, value in headers if name.lower() != "x-request-id"]
            return start_response(status, [*headers, (REQUEST_ID_HEADER, rid)], exc_info)

        request = Request(environ, shallow=True)
        try:
            if ENCODED_SLASH.search(environ.get("RAW_PATH_INFO", "")):
                # `%2F` is not `/` (RFC 3986 §2.2), yet eventlet decodes it before routing: a proxy in
                # front that refuses `/api/v1/pairing/check_deadlines` would let `pairing%2F...` by.
                raise NotFound()
            provider, values = self.url_map.bind_to_environ(environ).match()
            request.path_values = values
            response = provider.handle_request(request)
        except HTTPException as exc:
            response = problems.from_http_exception(exc).response()
        return response(environ, start_with_request_id)


class ProblemWebServer(WebServer):
    def get_wsgi_app(self):
        return ProblemWsgiApp(self)

    def get_wsgi_server(self, sock, wsgi_app, protocol=ProblemProtocol, debug=False):
        return super().get_wsgi_server(sock, wsgi_app, protocol, debug)

    @property
    def bind_addr(self):
        """WEB_SERVER_ADDRESS's, but on 127.0.0.1 while the console's development sign-in is on: a
        picker that signs anyone in as anyone must not be reachable from another machine."""
        host, port = super().bind_addr
        return (session.LOOPBACK if session.enabled(self.container.config) else host), port

    def make_url_map(self):
        # No redirects (`/a//b` -> `/a/b`): a redirect would be one more non-problem answer.
        url_map = Map(merge_slashes=False, strict_slashes=False)
        for provider in self._providers:
            rule = provider.get_url_rule()
            rule.endpoint = provider
            url_map.add(rule)
        return url_map

    def context_data_from_headers(self, request):
        """The RPC context of contract §7: the bearer token and the correlation id."""
        context = {correlation.KEY: request.environ[ENVIRON_KEY]}
        token = bearer_token(request.headers.get("Authorization"))
        if token is None and request.path.startswith(session.PATH):
            # The console's session cookie counts under /console/ only: the API wants a bearer token.
            token = request.cookies.get(session.TOKEN_COOKIE)
        if token is not None:
            context["auth_token"] = token
        return context


ANY_METHOD = "*"


class Route(HttpRequestHandler):
    """`@route("GET", "/path")`; `route(ANY_METHOD, ...)` takes every method, so that its entrypoint
    can answer an unknown path with 404 before it considers the method (contract §7's order)."""

    server = ProblemWebServer()

    def get_url_rule(self):
        return Rule(self.url, methods=None if self.method == ANY_METHOD else self.method.split(","))

    def response_from_exception(self, exc):
        return problems.internal(type(exc).__name__).response()


route = Route.decorator
