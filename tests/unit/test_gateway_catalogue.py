"""The gateway's catalogue (services/gateway/catalogue.py) names every RPC of every service, each with
the schema of exactly that method's arguments, and its OpenAPI document is valid OpenAPI 3.1."""
import inspect
import re

import pytest
from nameko.rpc import Rpc
from openapi_spec_validator import validate

from services.common import topology
from services.gateway import catalogue, openapi


def rpc_methods(service_cls):
    """{method name: function} of the @rpc entrypoints of a service class, as nameko sees them."""
    return {name: method for name, method in inspect.getmembers(service_cls, callable)
            if any(isinstance(entrypoint, Rpc) for entrypoint in getattr(method, "nameko_entrypoints", ()))}


SERVICES = {name: topology.service_class(name) for name in topology.SERVICES}


def test_every_rpc_of_every_service_has_an_entry_and_nothing_else_does():
    served = {(service, method) for service, cls in SERVICES.items() for method in rpc_methods(cls)}
    assert served and set(catalogue.OPERATIONS) == served


@pytest.mark.parametrize("service, method", sorted(catalogue.OPERATIONS))
def test_each_schema_declares_exactly_the_methods_arguments(service, method):
    function = rpc_methods(SERVICES[service])[method]
    parameters = set(inspect.signature(function).parameters) - {"self"}
    assert set(catalogue.OPERATIONS[(service, method)].schema._declared_fields) == parameters


@pytest.mark.parametrize("method, read_only", [
    ("get_campaign", True), ("list_inbox", True), ("reporting_progress", True), ("campaign_report", True),
    ("create_campaign", False), ("check_deadlines", False), ("mark_read", False), ("register_unit", False),
])
def test_get_is_for_the_contracts_read_only_methods(method, read_only):
    assert catalogue.is_read_only(method) is read_only


@pytest.fixture(scope="module")
def document():
    return openapi.document()


def test_the_openapi_document_is_valid_openapi_3_1(document):
    assert document["openapi"] == "3.1.0"
    validate(document)


def test_the_document_names_every_operation_with_its_http_methods(document):
    for op in catalogue.OPERATIONS.values():
        assert set(document["paths"][f"/api/v1/{op.service}/{op.method}"]) == {m.lower() for m in op.http_methods}
    assert set(document["paths"]["/api/v1/summary/export_report"]) == {"get"}


def test_every_operation_is_behind_the_bearer_scheme_and_documents_its_errors(document):
    assert document["components"]["securitySchemes"]["bearer"] == {
        "type": "http", "scheme": "bearer", "bearerFormat": "JWT"}
    assert document["security"] == [{"bearer": []}]
    for path in document["paths"].values():
        for operation in path.values():
            assert {"200", "401", "403", "404", "405", "409", "422", "500", "503", "504"} <= set(operation["responses"])
    assert set(document["components"]["responses"]["MethodNotAllowed"]["headers"]) == {"X-Request-Id", "Allow"}


def test_query_parameters_come_from_the_methods_schema(document):
    parameters = {p["name"]: p for p in document["paths"]["/api/v1/pairing/list_pairings"]["get"]["parameters"]}
    assert parameters["limit"]["schema"]["type"] == "integer"
    assert parameters["campaign_id"]["required"] is True
    assert parameters["status"]["schema"] == {"type": "string", "enum": ["reported", "approved", "rejected",
                                                                        "withdrawn"]}


def test_request_bodies_refer_to_the_services_schemas(document):
    body = document["paths"]["/api/v1/pairing/report_pairing"]["post"]["requestBody"]
    assert body["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/pairing.ReportPairingArgs"}
    target = document["components"]["schemas"]["pairing.Target"]
    assert "district" in target["required"] and target["additionalProperties"] is False


def patterns(node):
    """Every `pattern` keyword anywhere in the document."""
    if isinstance(node, list):
        return [found for value in node for found in patterns(value)]
    if not isinstance(node, dict):
        return []
    own = [node["pattern"]] if isinstance(node.get("pattern"), str) else []
    return own + [found for value in node.values() for found in patterns(value)]


# Python-only syntax (\A, \Z, named groups, comments, atomic groups, inline flags), and `$`, which in
# Python also matches before a final newline but in ECMA-262 only at the end.
NOT_ECMA = re.compile(r"\\[AZ]|\(\?(?:P|#|>|[aiLmsux-]+[:)])|(?<!\\)\$")


def test_every_pattern_in_the_document_is_anchored_ecma_262_as_json_schema_reads_it(document):
    """JSON Schema's `pattern` is an ECMA-262 regex searched for anywhere in the value."""
    found = patterns(document)
    assert found
    for pattern in found:
        re.compile(pattern)
        assert pattern.startswith("^") and not NOT_ECMA.search(pattern), pattern


@pytest.mark.parametrize("value", ["k", "key-1Z", "x" * 100, "中文 键-1", "\U0001f600", "x" * 101, "", "a\n", "\nabc",
                                   "\x00abc", "abc\x7f", "a\x85", "a\ud800"])
def test_the_documented_request_id_pattern_refuses_exactly_what_the_service_refuses(document, value):
    schema = catalogue.operation("pairing", "create_campaign").schema
    pattern = document["components"]["schemas"]["pairing.CreateCampaignArgs"]["properties"]["request_id"]["pattern"]
    refused = "request_id" in schema().validate({"request_id": value}, partial=True)
    assert refused is (re.search(pattern, value) is None)


@pytest.mark.parametrize("operation, argument, good, bad", [
    (("pairing", "get_unit"), "code", "U-1_a", ["U 1", "U1\n", "", "x" * 33]),
    (("pairing", "get_campaign"), "campaign_id", "c0123456789abcdef", ["c0123456789abcdef\n", "C0123456789ABCDEF", "c1"]),
    (("summary", "get_issue"), "issue_id", "I0000001", ["I000001", "i123"]),
    (("notification", "list_inbox"), "recipient", "department:elderly-care", ["unit:", "dept:x", "committee\n"]),
])
def test_codes_and_ids_are_documented_with_the_pattern_the_service_checks(document, operation, argument, good, bad):
    # Schemathesis and other clients generate values from the document: they learn the shapes here.
    schema = catalogue.operation(*operation).schema
    parameters = document["paths"][f"/api/v1/{operation[0]}/{operation[1]}"]["get"]["parameters"]
    pattern = next(p for p in parameters if p["name"] == argument)["schema"]["pattern"]
    for value in [good, *bad]:
        refused = argument in schema().validate({argument: value}, partial=True)
        assert refused is (re.search(pattern, value) is None) is (value != good), value


def test_an_argument_the_service_fills_in_is_not_required_in_the_document(document):
    parameters = document["paths"]["/api/v1/notification/list_inbox"]["get"]["parameters"]
    assert next(p for p in parameters if p["name"] == "recipient")["required"] is False
