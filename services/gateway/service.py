"""The HTTP gateway (contract §7): every RPC of the four services over HTTP/JSON, its OpenAPI
document and docs page, and the campaign report as a workbook. It holds no state and no rules:
it maps HTTP to RPC and back (api.py), and every answer that is not a result is problem+json."""
import json

from nameko.dependency_providers import Config
from nameko.extensions import DependencyProvider
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from werkzeug.wrappers import Response

from services.common import web
from services.common.auth import Auth
from services.common.rpc_proxy import RpcProxy
from services.common.settings import number, require_setting
from services.common.tracing import CorrelationContext

from . import api, docs, metrics, openapi, problems
from .calls import DEFAULT_TIMEOUT
from .console import pages, static
from .console.views import Api, Console
from .http import ANY_METHOD, route


class Documents(DependencyProvider):
    """The OpenAPI document and the docs page's assets, made once when the gateway starts."""

    def setup(self):
        self.openapi = json.dumps(openapi.document(), ensure_ascii=False)
        self.assets = docs.load_assets()

    def get_dependency(self, worker_ctx):
        return self


class BrokerProbe(DependencyProvider):
    """The gateway keeps nothing in Redis: it is healthy while its broker answers."""

    def setup(self):
        self.probe = web.Probe(None, require_setting(self.container.config, "AMQP_URI"))

    def get_dependency(self, worker_ctx):
        return self.probe


class ConsoleApp(DependencyProvider):
    """The web console (issue 13), made once at start: its templates, pages and static assets."""

    def setup(self):
        self.console = Console(pages.PAGES, pages.NAVIGATION, self.container.config, pages.STANDING)
        self.assets = static.load()

    def get_dependency(self, worker_ctx):
        return self


def answered(handler):
    """Any refusal raised while answering becomes its problem+json response."""
    try:
        return handler()
    except problems.Problem as problem:
        return problem.response()
    except Exception as exc:
        return problems.internal(type(exc).__name__).response()


class GatewayService:
    name = "gateway"

    auth = Auth()
    config = Config()
    # Binds the request's X-Request-Id for the gateway's own log lines (and RPCs carry it on).
    correlation = CorrelationContext()
    documents = Documents()
    broker_probe = BrokerProbe()
    console_app = ConsoleApp()
    pairing = RpcProxy("pairing")
    activity = RpcProxy("activity")
    summary = RpcProxy("summary")
    notification = RpcProxy("notification")

    def proxies(self):
        return {"pairing": self.pairing, "activity": self.activity, "summary": self.summary,
                "notification": self.notification}

    def timeout(self):
        return number(self.config, "GATEWAY_RPC_TIMEOUT", DEFAULT_TIMEOUT)

    @route(ANY_METHOD, "/api/v1/<service>/<method>")
    def call_operation(self, request, service, method):
        response = answered(lambda: api.answer(request, service, method, self.auth, self.proxies(), self.timeout()))
        return metrics.count(service, method, response)

    @route("GET,POST", "/console/")
    def console_home(self, request):
        return self.console_page(request, "")

    @route("GET,POST", "/console/<path:page>")
    def console_page(self, request, page):
        """A console page, calling the API's RPCs with the token of the session cookie (http.py)."""
        api_calls = Api(self.proxies(), self.timeout())
        return answered(lambda: self.console_app.console.handle(request, page, self.auth, api_calls))

    @route("GET", "/console/static/<name>")
    def console_asset(self, request, name):
        return answered(lambda: static.response(self.console_app.assets, name))

    @route("GET", "/api/v1/openapi.json")
    def openapi_document(self, request):
        return Response(self.documents.openapi, content_type="application/json")

    @route("GET", "/api/v1/docs")
    def docs_page(self, request):
        return Response(docs.PAGE, content_type="text/html; charset=utf-8")

    @route("GET", "/api/v1/docs/<name>")
    def docs_asset(self, request, name):
        def asset():
            content_type, content = docs.asset(self.documents.assets, name)
            return Response(content, content_type=content_type)
        return answered(asset)

    @route("GET", "/health")
    def health(self, request):
        checks = self.broker_probe.run()
        if all(value == "ok" for value in checks.values()):
            return api.json_response({"status": "ok", "service": self.name, **checks})
        return problems.unavailable(f"网关暂不可用(Gateway unavailable): {checks}").response()

    @route("GET", "/metrics")
    def prometheus_metrics(self, request):
        return Response(generate_latest(), content_type=CONTENT_TYPE_LATEST)
