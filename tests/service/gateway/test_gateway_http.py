"""The gateway's HTTP rules (contract §7) over real HTTP: problem+json for every answer that is not a
result, in the contract's order (404, 405, 401, 411, 413, 415, 400, then the RPC's own errors),
X-Request-Id on every response, GET query conversion and Idempotency-Key."""
import json
import re

import pytest
import requests

from tests.helpers import EventListener, wait_until
from tests.service.gateway.support import campaign_input, code, committee_unit_and_campaign, recording, unit_input

PROBLEM = "application/problem+json"
MiB = 1024 * 1024


def problem(response, status):
    """The problem body of `response`, after checking its status, type and RFC 9457 members."""
    assert response.status_code == status, response.text
    assert response.headers["Content-Type"] == PROBLEM
    assert re.fullmatch(r"[A-Za-z0-9._~-]{1,64}", response.headers["X-Request-Id"])
    body = response.json()
    assert body["type"] == "about:blank" and body["status"] == status
    assert isinstance(body["title"], str) and isinstance(body["detail"], str)
    return body


def raw(stack, method, path, data=None, headers=None):
    return stack.http.request(method, stack.url(path), data=data, headers=headers or {}, timeout=30)


@pytest.mark.parametrize("method", ["GET", "POST", "PUT", "DELETE", "PATCH"])
@pytest.mark.parametrize("path", ["/", "/nope", "/api/v1", "/api/v1/pairing", "/api/v1/nope/get_campaign",
                                  "/api/v1/pairing/nope", "/api/v1/pairing/get_campaign/more", "/api/v1//get_campaign",
                                  "/api/v1/docs/nope.js"])
def test_an_unknown_path_is_404_whatever_the_method(stack, path, method):
    assert problem(raw(stack, method, path, headers=stack.headers()), 404)["code"] == "NotFound"


@pytest.mark.parametrize("method, path, allow", [
    ("GET", "/api/v1/pairing/create_campaign", "POST"),
    ("PUT", "/api/v1/pairing/get_campaign", "GET, HEAD, POST"),
    ("DELETE", "/api/v1/summary/export_report", "GET, HEAD"),
    ("POST", "/health", "GET, HEAD"),
    ("POST", "/api/v1/openapi.json", "GET, HEAD"),
])
def test_a_wrong_method_is_405_with_allow_even_without_a_token(stack, method, path, allow):
    response = raw(stack, method, path)
    assert problem(response, 405)["code"] == "MethodNotAllowed"
    assert response.headers["Allow"] == allow


@pytest.mark.parametrize("authorization", [None, "", "Basic Z3Vlc3Q6Z3Vlc3Q=", "Bearer", "Bearer not-a-jwt"])
def test_no_or_a_bad_token_is_401_with_www_authenticate_before_the_body_is_read(stack, authorization):
    headers = {"Content-Type": "text/plain"} | ({} if authorization is None else {"Authorization": authorization})
    response = raw(stack, "POST", "/api/v1/pairing/create_campaign", "not json", headers)
    assert problem(response, 401)["code"] == "Unauthenticated"
    assert response.headers["WWW-Authenticate"] == "Bearer"


def test_an_expired_token_is_401(stack, make_token):
    expired = make_token("committee", ttl=-3600)
    response = raw(stack, "GET", "/api/v1/pairing/list_campaigns", headers={"Authorization": f"Bearer {expired}"})
    assert problem(response, 401)["detail"] == "身份令牌已过期(Token expired)."


def test_a_body_without_content_length_is_411(stack):
    chunks = (part for part in [b'{"campaign_id":', b' "c1"}'])
    response = raw(stack, "POST", "/api/v1/pairing/get_campaign", chunks,
                   stack.headers(**{"Content-Type": "application/json"}))
    assert problem(response, 411)["code"] == "LengthRequired"


def test_a_body_over_4_mib_is_413_before_its_type_is_looked_at(stack):
    response = raw(stack, "POST", "/api/v1/pairing/create_campaign", b"x" * (4 * MiB + 1),
                   stack.headers(**{"Content-Type": "text/plain"}))
    assert problem(response, 413)["code"] == "PayloadTooLarge"


@pytest.mark.parametrize("content_type", [None, "text/plain", "application/x-www-form-urlencoded",
                                          "application/jsonp"])
def test_a_body_that_is_not_declared_json_is_415_before_it_is_parsed(stack, content_type):
    headers = stack.headers() | ({} if content_type is None else {"Content-Type": content_type})
    response = raw(stack, "POST", "/api/v1/pairing/list_campaigns", "not json", headers)
    assert problem(response, 415)["code"] == "UnsupportedMediaType"


@pytest.mark.parametrize("body", [
    b"not json", b"[1, 2]", b'"text"', b"null", b"\xff\xfe{}", b'{"limit": 1', b'{"limit": NaN}',
    b'{"limit": -Infinity}', '{"limit": 1}'.encode("utf-16"), '{"limit": 1}'.encode("utf-32-le"),
    b'{"cursor": "\xed\xa0\x80"}',  # a surrogate encoded in UTF-8: not UTF-8
    b'{"limit": 1, "limit": 3}', b'{"campaign": {"name": "a", "name": "b"}}',  # a name twice
    pytest.param(b'{"a": ' + b"[" * 100_000 + b"]" * 100_000 + b"}", id="nested 100000 deep"),
])
def test_a_body_that_is_not_a_json_object_is_400(stack, body):
    response = raw(stack, "POST", "/api/v1/pairing/list_campaigns", body,
                   stack.headers(**{"Content-Type": "application/json; charset=utf-8"}))
    assert problem(response, 400)["code"] == "BadRequest"


@pytest.mark.parametrize("depth", [40, 600])  # 600: read by the parser (with room for the
# stack the test harness leaves under the server), too deep for any call
def test_a_json_object_nested_deeper_than_any_call_is_422(stack, depth):
    body = b'{"limit": ' + b"[" * depth + b"]" * depth + b"}"
    response = raw(stack, "POST", "/api/v1/pairing/list_campaigns", body,
                   stack.headers(**{"Content-Type": "application/json"}))
    assert list(problem(response, 422)["errors"]) == ["_schema"]


@pytest.mark.parametrize("number", [b"9" * 5000, b"-" + b"9" * 5000, b"1e999"])
def test_a_number_too_large_for_any_field_is_422_naming_it(stack, number):
    # RFC 8259 lets a parser bound numbers; every number of the contract is bounded (§1).
    response = raw(stack, "POST", "/api/v1/pairing/list_campaigns", b'{"limit": ' + number + b"}",
                   stack.headers(**{"Content-Type": "application/json"}))
    assert list(problem(response, 422)["errors"]) == ["limit"]


def test_a_utf_8_body_may_start_with_a_byte_order_mark_and_a_duplicate_is_named(stack):
    headers = stack.headers(**{"Content-Type": "application/json"})
    marked = raw(stack, "POST", "/api/v1/pairing/list_campaigns", b"\xef\xbb\xbf" + b'{"limit": 1}', headers)
    assert marked.status_code == 200, marked.text
    twice = raw(stack, "POST", "/api/v1/pairing/list_campaigns", b'{"a": {"b": 1, "b": 2}}', headers)
    assert "重复" in problem(twice, 400)["detail"]


def test_an_empty_body_is_no_arguments_and_a_charset_parameter_is_ignored(stack):
    empty = raw(stack, "POST", "/api/v1/pairing/list_campaigns", b"", stack.headers())
    assert empty.status_code == 200 and set(empty.json()) == {"items", "next_cursor"}
    typed = raw(stack, "POST", "/api/v1/pairing/list_campaigns", json.dumps({"limit": 1}),
                stack.headers(**{"Content-Type": "Application/JSON; charset=UTF-8"}))
    assert typed.status_code == 200, typed.text


def test_the_callers_role_is_checked_by_the_service_403(stack):
    response = stack.post("pairing/create_campaign", {"campaign": campaign_input(None)}, role="unit", unit="U1")
    assert problem(response, 403)["code"] == "Forbidden"


@pytest.mark.parametrize("body", [{"bogus": 1}, {}, {"campaign": campaign_input(None), "bogus": 1}])
def test_a_role_without_the_right_is_403_whatever_the_argument_names(stack, body):
    assert problem(stack.post("pairing/create_campaign", body, role="unit", unit="U1"), 403)["code"] == "Forbidden"
    assert problem(stack.post("pairing/create_campaign", body), 422)["code"] == "ValidationError"


def test_bad_input_is_422_with_the_services_dotted_field_map(stack):
    response = stack.post("pairing/create_campaign", {"campaign": {**campaign_input(None), "remind_days": "3"}})
    body = problem(response, 422)
    assert body["code"] == "ValidationError" and set(body["errors"]) == {"campaign.remind_days"}


def test_an_unknown_or_missing_argument_name_is_422_naming_it(stack):
    unknown = problem(stack.post("pairing/get_campaign", {"campaign_id": "c1", "campaing": 1}), 422)
    assert set(unknown["errors"]) == {"campaing"}
    missing = problem(stack.post("pairing/get_campaign", {}), 422)
    assert set(missing["errors"]) == {"campaign_id"}
    # Names no Python argument could have are named all the same (a PHP-style client sends `x[]`).
    odd = problem(stack.get("pairing/list_units", {"limit[]": "1", "a-b": "2"}), 422)
    assert set(odd["errors"]) & {"limit[]", "a-b"}


def test_an_argument_named_self_is_422_naming_it_like_any_unknown_one(stack):
    posted = problem(stack.post("pairing/get_campaign", {"campaign_id": "c1", "self": 1}), 422)
    queried = problem(stack.get("pairing/get_campaign", {"campaign_id": "c1", "self": "1"}), 422)
    assert posted["errors"] == queried["errors"] == {"self": ["未知参数(Unknown argument)."]}


def test_an_unknown_record_is_404_and_a_duplicate_409(stack):
    assert problem(stack.get("pairing/get_campaign", {"campaign_id": "c0000000000000000"}), 404)["code"] == "NotFound"
    unit = unit_input(code())
    assert stack.post("pairing/register_unit", {"unit": unit}).status_code == 200
    assert problem(stack.post("pairing/register_unit", {"unit": unit}), 409)["code"] == "Conflict"


@pytest.mark.parametrize("given", ["abc-123_~.XYZ", "a" * 64])
def test_a_well_formed_x_request_id_comes_back(stack, given):
    assert stack.get("pairing/list_campaigns", headers={"X-Request-Id": given}).headers["X-Request-Id"] == given
    assert raw(stack, "GET", "/nope", headers={"X-Request-Id": given}).headers["X-Request-Id"] == given


@pytest.mark.parametrize("given", ["", "has space", "a" * 65, "semi;colon", "中文"])
def test_any_other_x_request_id_is_replaced_by_a_new_one(stack, given):
    answered = stack.get("pairing/list_campaigns", headers={"X-Request-Id": given.encode()})
    assert answered.headers["X-Request-Id"] != given
    assert re.fullmatch(r"[A-Za-z0-9._~-]{1,64}", answered.headers["X-Request-Id"])


def test_every_response_has_its_own_request_id(stack):
    ids = {stack.http.get(stack.url(path), timeout=10).headers["X-Request-Id"]
           for path in ("/health", "/metrics", "/api/v1/openapi.json", "/api/v1/docs", "/nope", "/nope")}
    assert len(ids) == 6


def test_get_converts_query_parameters_by_the_methods_schema(stack):
    committee_unit_and_campaign(stack)
    committee_unit_and_campaign(stack)
    page = stack.read("pairing/list_campaigns", {"limit": "1"})
    assert len(page["items"]) == 1 and page["next_cursor"]
    assert stack.read("pairing/list_units", {"active": "true", "limit": "200"})["items"]
    assert stack.read("pairing/list_units", {"active": "false"})["items"] == []


@pytest.mark.parametrize("path, params, named", [
    ("pairing/list_campaigns", {"limit": "ten"}, "limit"),
    ("pairing/list_campaigns", {"limit": "1.5"}, "limit"),
    ("pairing/list_campaigns", {"limit": "１０"}, "limit"),
    ("pairing/list_units", {"active": "yes"}, "active"),
    ("pairing/list_campaigns", {"limit": ["1", "2"]}, "limit"),
    ("pairing/list_campaigns", {"limti": "1"}, "limti"),
    ("pairing/list_campaigns", {"limit": "0"}, "limit"),
])
def test_a_query_parameter_that_cannot_be_converted_or_is_refused_is_422_naming_it(stack, path, params, named):
    assert set(problem(stack.get(path, params), 422)["errors"]) == {named}


DEPARTMENT = {"role": "department", "department": "elderly-care"}


@pytest.mark.parametrize("path, params, caller", [
    ("pairing/list_units", {"limit": "ten"}, DEPARTMENT),
    ("pairing/list_units", {"active": "yes"}, DEPARTMENT),
    ("activity/list_activities", {"limit": "1.5"}, DEPARTMENT),
    ("pairing/reporting_progress", {"campaign_id": ["c1", "c2"]}, {"role": "unit", "unit": "U1"}),
])
def test_a_query_value_that_cannot_be_converted_is_403_first_for_a_role_without_the_right(stack, path, params,
                                                                                          caller):
    """Contract §7: the RPC's 403 comes before its 422, for a GET as for the same call's POST."""
    assert problem(stack.get(path, params, **caller), 403)["code"] == "Forbidden"
    assert problem(stack.post(path, params, **caller), 403)["code"] == "Forbidden"


def test_the_same_idempotency_key_returns_the_first_result(stack):
    body = {"campaign": campaign_input(None)}
    key = {"Idempotency-Key": code("key-")}
    first = stack.ok("pairing/create_campaign", body, headers=key)
    again = stack.ok("pairing/create_campaign", body, headers=key)
    assert again["id"] == first["id"]
    assert stack.ok("pairing/create_campaign", body)["id"] != first["id"]
    other = {"campaign": {**body["campaign"], "name": "另一个活动"}}
    assert problem(stack.post("pairing/create_campaign", other, headers=key), 409)["code"] == "Conflict"


def test_an_idempotency_key_that_contradicts_the_bodys_request_id_is_422(stack):
    response = stack.post("pairing/create_campaign", {"campaign": campaign_input(None), "request_id": "one"},
                          headers={"Idempotency-Key": "two"})
    assert set(problem(response, 422)["errors"]) == {"request_id"}


def test_health_and_metrics_are_on_the_gateways_port(stack):
    health = stack.http.get(stack.url("/health"), timeout=10)
    assert health.json() == {"status": "ok", "service": "gateway", "amqp": "ok"}
    stack.get("pairing/get_campaign", {"campaign_id": "c0000000000000000"})
    stack.get("nope/nope")
    metrics = stack.http.get(stack.url("/metrics"), timeout=10).text
    assert 'leifeng_gateway_requests_total{operation="pairing.get_campaign",status="404"}' in metrics
    assert 'leifeng_gateway_requests_total{operation="unknown",status="404"}' in metrics
    assert "nope" not in metrics


def test_head_answers_like_get_without_a_body(stack):
    response = requests.head(stack.url("/api/v1/pairing/list_campaigns"), headers=stack.headers(), timeout=10)
    assert response.status_code == 200 and response.content == b""




def test_the_access_log_line_of_a_request_carries_its_request_id(stack):
    with recording("nameko.web.server") as recorded:
        for rid in ("trace-access-1", "trace-access-2"):
            stack.ok("pairing/list_campaigns", {}, headers={"X-Request-Id": rid})
            wait_until(lambda: any(record.correlation_id == rid and "list_campaigns" in record.getMessage()
                                   for record in recorded.records), message=f"the access line of {rid}")


def test_the_request_id_is_the_correlation_id_of_the_events_the_request_caused(stack, vhost_uri):
    listener = EventListener(vhost_uri, "pairing")
    try:
        created = stack.ok("pairing/create_campaign", {"campaign": campaign_input(None)},
                           headers={"X-Request-Id": "trace-campaign-1"})
        heard = listener.wait_for("campaign_created", where=lambda event: event["subject"] == created["id"])
        assert {event["correlation_id"] for event in heard} == {"trace-campaign-1"}
    finally:
        listener.close()
