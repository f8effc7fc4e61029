"""Requests the web server refuses before the gateway's app sees them (services.gateway.edge), over
a raw socket: problem+json with an X-Request-Id like every gateway answer (contract §7), the
connection closed after it, and nothing of the request in the answer or a log line."""
import http.client
import io
import json
import logging
import re
import socket

import pytest

from services.gateway.service import GatewayService
from tests.helpers import wait_until
from tests.service.gateway.support import recording

PROBLEM = "application/problem+json"
MARK = "smuggled-7b1f"  # put into refused requests: never to come back in an answer or a log line


@pytest.fixture(scope="module")
def gateway(containers):
    """The gateway's port; no service behind it: nothing here reaches an RPC."""
    port = containers.start(GatewayService)
    wait_until(lambda: exchange(port, b"GET /health HTTP/1.1\r\nHost: t\r\n\r\n")[0][0] == 200,
               message="the gateway's /health")
    return port


def exchange(port, request):
    """[(status, headers, body)] of every answer to the bytes `request`, read until the gateway
    closes the connection (it does once the request's end is reached, or after a refusal)."""
    received = []
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(request)
        sock.shutdown(socket.SHUT_WR)
        while chunk := sock.recv(65536):
            received.append(chunk)
    stream, answers = Unclosed(b"".join(received)), []
    while stream.tell() < len(stream.getvalue()):
        response = http.client.HTTPResponse(stream, method="HEAD" if request.startswith(b"HEAD") else "GET")
        response.begin()
        answers.append((response.status, response.headers, response.read()))
    return answers


class Unclosed(io.BytesIO):
    """The answers as one stream that each HTTPResponse reads its own part of and cannot close."""

    def makefile(self, _mode):
        return self

    def close(self):
        pass


def refused(port, request, status):
    """The problem body of the one answer to `request`, after checking the answer's shape."""
    answers = exchange(port, request)
    assert len(answers) == 1, answers
    got, headers, body = answers[0]
    assert got == status, body
    assert headers["Content-Type"] == PROBLEM and headers["Connection"] == "close"
    assert headers["X-Request-Id"]
    problem = json.loads(body)
    assert problem["type"] == "about:blank" and problem["status"] == status
    assert problem["title"] and problem["detail"] and MARK not in body.decode()
    return problem


def post(headers, body=b"{}", path="/api/v1/pairing/list_campaigns"):
    lines = "".join(f"{name}: {value}\r\n" for name, value in headers)
    return f"POST {path} HTTP/1.1\r\nHost: t\r\n{lines}\r\n".encode() + body


def test_a_request_line_over_8_kib_is_414(gateway):
    request = f"GET /api/v1/pairing/list_campaigns?cursor={MARK * 1000} HTTP/1.1\r\n\r\n".encode()
    assert refused(gateway, request, 414)["code"] == "URITooLong"


@pytest.mark.parametrize("headers", [
    [("X-Long", MARK * 1000)],
    [(f"X-Many-{n}", "a" * 1000) for n in range(70)],
], ids=["one line over 8 KiB", "over 64 KiB in all"])
def test_headers_over_the_limits_are_431(gateway, headers):
    assert refused(gateway, post(headers), 431)["code"] == "RequestHeaderFieldsTooLarge"


@pytest.mark.parametrize("length", ["abc", "-1", "+2", "2_0", "２", "2, 30"])
def test_a_content_length_that_is_not_plain_digits_is_400(gateway, length):
    problem = refused(gateway, post([("Content-Length", length), ("Content-Type", "application/json")]), 400)
    assert problem["code"] == "BadRequest" and "Content-Length" in problem["detail"]


def test_two_content_lengths_are_400_and_what_follows_is_never_read_as_a_request(gateway):
    smuggled = f"GET /health?{MARK} HTTP/1.1\r\nHost: t\r\n\r\n".encode()
    request = post([("Content-Length", "2"), ("Content-Length", str(2 + len(smuggled))),
                    ("Content-Type", "application/json")], b"{}" + smuggled)
    assert "more than once" in refused(gateway, request, 400)["detail"]


def test_content_length_with_transfer_encoding_is_400(gateway):
    request = post([("Content-Length", "2"), ("Transfer-Encoding", "chunked"),
                    ("Content-Type", "application/json")], b"2\r\n{}\r\n0\r\n\r\n")
    assert "Transfer-Encoding" in refused(gateway, request, 400)["detail"]


@pytest.mark.parametrize("request_line, status", [
    (f"{MARK}\r\n", 400),
    (f"GET /{MARK} HTTP/1.1 extra\r\n", 400),
    (f"GET /{MARK} HTTP/9.9\r\n", 505),
    (f"GET /{MARK} HTTP/x\r\n", 400),
])
def test_a_malformed_request_line_or_version_is_a_problem_not_an_html_page(gateway, request_line, status, caplog):
    with caplog.at_level(logging.DEBUG):
        refused(gateway, f"{request_line}Host: t\r\n\r\n".encode(), status)
    assert MARK not in caplog.text


def test_a_refusal_keeps_a_well_formed_request_id_and_a_head_gets_no_body(gateway):
    answers = exchange(gateway, b"HEAD /health HTTP/1.1\r\nX-Request-Id: edge-1\r\nContent-Length: x\r\n\r\n")
    assert [(status, headers["X-Request-Id"], body) for status, headers, body in answers] == [(400, "edge-1", b"")]


def test_a_head_refused_for_its_headers_gets_no_body(gateway):
    # Its headers were never read (so its X-Request-Id is a new one), but its request line was.
    answers = exchange(gateway, f"HEAD /health HTTP/1.1\r\nX-Long: {MARK * 1000}\r\n\r\n".encode())
    assert [(status, body) for status, _, body in answers] == [(431, b"")]
    assert answers[0][1]["Content-Type"] == PROBLEM and answers[0][1]["X-Request-Id"]


def test_well_formed_requests_on_one_connection_are_all_answered(gateway):
    # The refusals above closed their connections; a sound keep-alive connection goes on.
    request = b"GET /health HTTP/1.1\r\nHost: t\r\n\r\n" * 2 + b"GET /nope HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n"
    assert [status for status, _, _ in exchange(gateway, request)] == [200, 200, 404]


def test_a_body_with_a_content_encoding_is_415(gateway, make_token):
    request = post([("Authorization", f"Bearer {make_token()}"), ("Content-Type", "application/json"),
                    ("Content-Encoding", "gzip"), ("Content-Length", "2"), ("Connection", "close")])
    answers = exchange(gateway, request)
    assert [(status, json.loads(body)["code"]) for status, _, body in answers] == [(415, "UnsupportedMediaType")]


def test_a_refusals_log_line_carries_its_own_request_id_not_the_previous_requests(gateway):
    # One keep-alive connection: an accepted request binds its id to the connection's green thread.
    with recording("services.gateway.edge") as recorded:
        answers = exchange(gateway, b"GET /health HTTP/1.1\r\nX-Request-Id: before-1\r\n\r\n"
                           b"POST /health HTTP/1.1\r\nX-Request-Id: refused-2\r\nContent-Length: x\r\n\r\n")
    assert [(status, headers["X-Request-Id"]) for status, headers, _ in answers] == [(200, "before-1"),
                                                                                  (400, "refused-2")]
    assert [record.correlation_id for record in recorded.records] == ["refused-2"]


def test_the_access_line_names_the_path_never_the_query(gateway):
    # A token in the query is refused (only `Authorization` carries one) but was sent all the same.
    with recording("nameko.web.server") as recorded:
        answers = exchange(gateway, f"GET /api/v1/pairing/list_units?access_token={MARK} HTTP/1.1\r\n"
                                    "Host: t\r\nConnection: close\r\n\r\n".encode())
    assert [status for status, _, _ in answers] == [401]
    lines = [record.getMessage() for record in recorded.records]
    assert any('"GET /api/v1/pairing/list_units?… HTTP/1.1" 401' in line for line in lines), lines
    assert not [line for line in lines if MARK in line]


def test_an_encoded_slash_is_not_a_path_separator(gateway):
    # A proxy in front that refuses a method's path must not be passed by `%2F` (RFC 3986 §2.2).
    for path in ("/api/v1/pairing%2Flist_units", "/api/v1/pairing%2flist_units", "/health%2F"):
        answers = exchange(gateway, f"GET {path} HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n".encode())
        assert [(status, json.loads(body)["code"]) for status, _, body in answers] == [(404, "NotFound")], path


def test_an_absolute_form_target_is_its_path_and_reasons_are_worded_as_rfc_9110_does(gateway):
    request = (b"GET http://t/health HTTP/1.1\r\nHost: t\r\n\r\n"
               b"GET HTTPS://t/nope?x=1 HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
    with socket.create_connection(("127.0.0.1", gateway), timeout=10) as sock:
        sock.sendall(request)
        received = b""
        while chunk := sock.recv(65536):
            received += chunk
    assert re.findall(rb"HTTP/1\.1 \d{3} [^\r]*", received) == [b"HTTP/1.1 200 OK", b"HTTP/1.1 404 Not Found"]
