"""What the gateway does for `/api/v1/<service>/<method>` (contract §7), in the contract's order:
404 (no such operation), 405, 401, the body's 411/413/415/400, then the RPC and its own answer."""
import json
import re

from werkzeug.wrappers import Response

from services.common.errors import Unauthenticated
from services.summary.report.workbook import workbook_bytes

from . import catalogue, inputs, problems
from .calls import call
from .openapi import XLSX

IDEMPOTENCY_KEY = "Idempotency-Key"


def json_response(value, status=200):
    return Response(json.dumps(value, ensure_ascii=False), status=status, content_type="application/json")


def allowed_methods(service, method):
    """The HTTP methods of the operation at this path; None when there is none."""
    if (service, method) == catalogue.EXPORT:
        return ("GET",)
    op = catalogue.operation(service, method)
    return None if op is None else op.http_methods


def _authenticate(auth):
    try:
        auth.authenticate()
    except Unauthenticated as exc:
        raise problems.unauthenticated(str(exc)) from None


def _with_request_id(arguments, key):
    """`Idempotency-Key` is the call's `request_id` (contract §3); the body may not say otherwise."""
    if key is None:
        return arguments
    if arguments.get("request_id", key) != key:
        raise problems.invalid({"request_id": ["与 Idempotency-Key 不一致(Differs from Idempotency-Key)."]})
    return {**arguments, "request_id": key}


def arguments_of(request, op):
    if request.method in ("GET", "HEAD"):
        return inputs.query_arguments(request, op.schema)
    arguments = inputs.body_arguments(request)
    if op.read_only:
        return arguments
    return _with_request_id(arguments, request.headers.get(IDEMPOTENCY_KEY))


def export_report(request, proxy, timeout):
    """The campaign report as a workbook (contract §7): summary decides who may read the report."""
    arguments = inputs.query_arguments(request, catalogue.OPERATIONS[("summary", "campaign_report")].schema)
    return workbook_response(call(proxy, "campaign_report", arguments, timeout))


def workbook_response(report):
    """The campaign report's workbook as a download (the API's export and the console's)."""
    name = re.sub(r"[^A-Za-z0-9_-]", "_", str(report.get("campaign_id", "")))[:64]
    return Response(workbook_bytes(report), content_type=XLSX,
                    headers={"Content-Disposition": f'attachment; filename="campaign-report-{name}.xlsx"'})


def answer(request, service, method, auth, proxies, timeout):
    """The response to one API request; every refusal is raised as a `problems.Problem`."""
    methods = allowed_methods(service, method)
    if methods is None:
        raise problems.not_found("没有这个服务或方法(No such service or method).")
    if request.method not in methods and not (request.method == "HEAD" and "GET" in methods):
        raise problems.method_not_allowed(methods)
    _authenticate(auth)
    if (service, method) == catalogue.EXPORT:
        return export_report(request, proxies[service], timeout)
    op = catalogue.operation(service, method)
    return json_response(call(proxies[service], method, arguments_of(request, op), timeout))
