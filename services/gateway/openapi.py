"""GET /api/v1/openapi.json: the OpenAPI 3.1 document of every operation (contract §7), generated
at start with apispec from the marshmallow schemas the services validate with (catalogue.py)."""
from http import HTTPStatus

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin

from . import catalogue

API_PREFIX = "/api/v1"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PROBLEM = {
    "type": "object",
    "required": ["type", "title", "status", "detail"],
    "properties": {
        "type": {"type": "string", "const": "about:blank"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string", "description": "可以展示给用户的说明; 500 时只是日志中的参考编号"},
        "code": {"type": "string", "description": "错误类型(contract §3/§7), e.g. NotFound, Conflict"},
        "errors": {"type": "object", "additionalProperties": {"type": "array", "items": {"type": "string"}},
                   "description": "ValidationError: 以参数名为根的字段路径 -> 错误信息"},
    },
}
HEADER = {"schema": {"type": "string"}}
# (status, code, extra response headers) of every answer that is not a result. Every path answers
# 405 to the HTTP methods it does not take: documented on each operation, as OpenAPI has no other place.
ERRORS = (
    (400, "BadRequest", ()), (401, "Unauthenticated", ("WWW-Authenticate",)), (403, "Forbidden", ()),
    (404, "NotFound", ()), (405, "MethodNotAllowed", ("Allow",)), (409, "Conflict", ()),
    (411, "LengthRequired", ()), (413, "PayloadTooLarge", ()), (415, "UnsupportedMediaType", ()),
    (422, "ValidationError", ()), (500, "InternalError", ()), (503, "Unavailable", ("Retry-After",)),
    (504, "Timeout", ()),
)
PAGE = {"type": "object", "required": ["items", "next_cursor"],
        "properties": {"items": {"type": "array", "items": {"type": "object"}},
                       "next_cursor": {"type": ["string", "null"]}}}
REQUEST_ID_PARAMETER = {"in": "header", "name": "X-Request-Id", "required": False, "schema": {"type": "string"},
                        "description": "关联编号 ^[A-Za-z0-9._~-]{1,64}$; 不合格或未给时由网关生成, 在响应头中返回"}
IDEMPOTENCY_PARAMETER = {"in": "header", "name": "Idempotency-Key", "required": False,
                         "schema": {"type": "string", "minLength": 1, "maxLength": 100},
                         "description": "即 request_id(contract §3): 以同一键重试时返回第一次调用的结果"}


def component_name(schema):
    """`pairing.Campaign`, `activity.Problem`: the services reuse class names, their areas do not."""
    cls = schema if isinstance(schema, type) else type(schema)
    return f"{cls.__module__.split('.')[1]}.{cls.__name__}"


def _responses(ok):
    responses = {"200": ok}
    responses.update({str(status): {"$ref": f"#/components/responses/{code}"} for status, code, _ in ERRORS})
    return responses


def _result(op):
    schema = PAGE if op.method.startswith("list_") else {"type": "object"}
    return {"description": "结果(RPC 的返回值)", "headers": {"X-Request-Id": HEADER},
            "content": {"application/json": {"schema": schema}}}


def _operation(op, http_method):
    operation = {"operationId": f"{op.service}.{op.method}{'.get' if http_method == 'get' else ''}",
                 "tags": [op.service], "summary": f"{op.service}.{op.method}",
                 "parameters": [REQUEST_ID_PARAMETER], "responses": _responses(_result(op))}
    if http_method == "get":
        operation["parameters"] = [REQUEST_ID_PARAMETER, {"in": "query", "schema": op.schema}]
        return operation
    if op.takes_request_id:
        operation["parameters"] = [REQUEST_ID_PARAMETER, IDEMPOTENCY_PARAMETER]
    operation["requestBody"] = {"required": False, "content": {"application/json": {"schema": op.schema}}}
    return operation


def _export():
    workbook = {"description": "活动统计报表(Excel)", "headers": {"X-Request-Id": HEADER, "Content-Disposition": HEADER},
                "content": {XLSX: {"schema": {"type": "string", "contentMediaType": XLSX}}}}
    return {"get": {"operationId": "summary.export_report", "tags": ["summary"],
                    "summary": "活动统计报表工作簿(委员会、运维)",
                    "parameters": [REQUEST_ID_PARAMETER, {"in": "query", "name": "campaign_id", "required": True,
                                                          "schema": {"type": "string", "minLength": 1}}],
                    "responses": _responses(workbook)}}


def _error_responses():
    responses = {}
    for status, code, headers in ERRORS:
        responses[code] = {
            "description": f"{status} {HTTPStatus(status).phrase} ({code})",
            "headers": {"X-Request-Id": HEADER, **{name: HEADER for name in headers}},
            "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}}
    return responses


def _without_null(schema):
    """A query parameter is text or absent, never JSON null: `allow_none` means "may be left out"."""
    kinds = schema.get("type")
    if isinstance(kinds, list) and "null" in kinds:
        kept = [kind for kind in kinds if kind != "null"]
        schema["type"] = kept[0] if len(kept) == 1 else kept
    if "enum" in schema:
        schema["enum"] = [value for value in schema["enum"] if value is not None]
    if schema.get("default", "") is None:
        del schema["default"]


def _query_without_null(paths):
    for operations in paths.values():
        for parameter in operations.get("get", {}).get("parameters", ()):
            if parameter["in"] == "query":
                _without_null(parameter["schema"])


def document():
    """The whole document as a dict."""
    spec = APISpec(title="学雷锋结对帮扶志愿服务 HTTP API", version="1", openapi_version="3.1.0",
                   plugins=[MarshmallowPlugin(schema_name_resolver=component_name)],
                   info={"description": "contract §7: 每个 RPC 一个 POST, 只读方法另有 GET; 见 docs/integration.md"},
                   security=[{"bearer": []}])
    spec.components.security_scheme("bearer", {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"})
    spec.components.schema("Problem", PROBLEM)
    for code, response in _error_responses().items():
        spec.components.response(code, response)
    for op in catalogue.OPERATIONS.values():
        methods = {method.lower(): _operation(op, method.lower()) for method in op.http_methods}
        spec.path(path=f"{API_PREFIX}/{op.service}/{op.method}", operations=methods)
    spec.path(path=f"{API_PREFIX}/{'/'.join(catalogue.EXPORT)}", operations=_export())
    generated = spec.to_dict()
    _query_without_null(generated["paths"])
    return generated
