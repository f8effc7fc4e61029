"""The gateway's pure helpers: the X-Request-Id rule, reading a bearer token, naming the arguments
of nameko's signature errors, and the problem+json body (RFC 9457)."""
import pytest

from services.gateway import edge, problems
from services.gateway.http import bearer_token, request_id


@pytest.mark.parametrize("given", ["a", "A-z_0.9~", "x" * 64])
def test_a_well_formed_request_id_is_kept(given):
    assert request_id(given) == given


@pytest.mark.parametrize("given", [None, "", "x" * 65, "a b", "a\n", "ä", "a/b"])
def test_any_other_request_id_is_replaced_by_a_new_one(given):
    made = request_id(given)
    assert made != given and request_id(made) == made


@pytest.mark.parametrize("header, token", [
    ("Bearer abc.def", "abc.def"), ("bearer  abc ", "abc"), ("Bearer", None), ("Basic abc", None), (None, None),
    ("", None),
])
def test_the_bearer_token_of_an_authorization_header(header, token):
    assert bearer_token(header) == token


@pytest.mark.parametrize("text, errors", [
    ("get_campaign() got an unexpected keyword argument 'campaing'", {"campaing": ["未知参数(Unknown argument)."]}),
    ("get_campaign() missing 1 required positional argument: 'campaign_id'",
     {"campaign_id": ["缺少必填参数(Missing data for required field)."]}),
    ("f() missing 2 required positional arguments: 'a' and 'b'",
     {"a": ["缺少必填参数(Missing data for required field)."], "b": ["缺少必填参数(Missing data for required field)."]}),
    ("list_units() got an unexpected keyword argument 'limit[]'", {"limit[]": ["未知参数(Unknown argument)."]}),
    ("list_units() got an unexpected keyword argument 'a-b'", {"a-b": ["未知参数(Unknown argument)."]}),
    (f"f() got an unexpected keyword argument '{'x' * 101}'", {"_schema": ["参数名称或个数不正确(Incorrect arguments)."]}),
    ("something else", {"_schema": ["参数名称或个数不正确(Incorrect arguments)."]}),
])
def test_signature_errors_name_the_arguments(text, errors):
    assert problems.signature_errors(text) == errors


def test_a_problem_body_has_the_rfc_9457_members_and_its_extensions():
    problem = problems.invalid({"limit": ["bad"]})
    assert problem.body() == {"type": "about:blank", "title": "Unprocessable Entity", "status": 422,
                              "detail": "输入有误(Invalid input).", "code": "ValidationError",
                              "errors": {"limit": ["bad"]}}
    response = problems.unavailable("down").response()
    assert (response.status_code, response.headers["Retry-After"]) == (503, "5")
    assert response.headers["Content-Type"] == "application/problem+json"


@pytest.mark.parametrize("exc_type, status", [
    ("Forbidden", 403), ("NotFound", 404), ("Conflict", 409), ("ValidationError", 422), ("Unauthenticated", 401),
    ("InternalError", 500), ("Unavailable", 503), ("SomethingElse", 500),
])
def test_each_remote_error_type_has_its_status(exc_type, status):
    class Remote:
        pass

    err = Remote()
    err.exc_type, err.value = exc_type, '{"x": ["y"]}'
    assert problems.from_remote(err).status == status


def test_a_validation_error_value_that_is_not_a_field_map_still_answers_a_map():
    assert problems.validation_errors("not json") == {"_schema": ["输入有误(Invalid input)."]}


@pytest.mark.parametrize("target, path", [
    ("/api/v1/pairing/list_units?limit=1", "/api/v1/pairing/list_units?limit=1"),
    ("http://gateway:8080/api/v1/x?limit=1", "/api/v1/x?limit=1"), ("HTTPS://h/health", "/health"),
    ("http://h", "/"), ("http://h?q=1", "/?q=1"), ("http://h?q/x", "/?q/x"),
    ("//x", "//x"), ("http:/x", "http:/x"), ("http://", "http://"), ("ftp://h/x", "ftp://h/x"), ("*", "*"),
])
def test_an_absolute_form_target_is_read_as_its_path_and_query(target, path):
    assert edge.origin_form(target) == path


@pytest.mark.parametrize("path, line", [
    ("/api/v1/pairing/list_units?access_token=secret", "GET /api/v1/pairing/list_units?… HTTP/1.1"),
    ("/health", "GET /health HTTP/1.1"), ("/a?", "GET /a HTTP/1.1"),
])
def test_the_access_line_keeps_no_query(path, line):
    assert edge.access_line("GET", path, "HTTP/1.1") == line
