"""The local stack's own routes (infra/local/server.py), in-process: no subprocess, no AWS."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from openapi_spec_validator import OpenAPIV31SpecValidator

from infra import definitions as d
from infra.local import server
from infra.local.gateway import HttpResponse
from infra.local.server import LocalApp


class RecordingGateway:
    def __init__(self) -> None:
        self.calls: list[tuple[str, str, dict[str, str]]] = []

    def handle(self, method: str, path: str, headers: Any, body: Any, query: Any, source_ip: str) -> HttpResponse:
        self.calls.append((method, path, query))
        return HttpResponse(200, {}, "from the gateway")


def app(openapi: Any = server.load_openapi_document, outbox: Any = None) -> tuple[LocalApp, RecordingGateway]:
    gateway = RecordingGateway()
    return LocalApp(gateway, outbox or (lambda to: []), openapi), gateway  # type: ignore[arg-type]


def error_code(response: Any) -> str:
    return str(json.loads(response.body)["error"]["code"])


def test_without_any_openapi_document_the_answer_is_503_in_the_error_shape() -> None:
    local, _ = app(openapi=lambda: None)
    response = local.handle("GET", "/openapi.json", {}, None, {}, "127.0.0.1")
    assert response.status == 503
    assert error_code(response) == "service_unavailable"


def test_a_failing_document_generator_is_a_503_too(capsys: pytest.CaptureFixture[str]) -> None:
    def broken() -> dict[str, Any]:
        raise ValueError("handlers and definitions.ROUTES differ")

    local, _ = app(openapi=broken)  # infra.openapi.build_document raises when handlers and ROUTES differ
    response = local.handle("GET", "/openapi.json", {}, None, {}, "127.0.0.1")
    assert response.status == 503 and error_code(response) == "service_unavailable"
    assert "ValueError" in capsys.readouterr().err

    def failing() -> dict[str, Any]:
        raise RuntimeError("boom")

    local, _ = app(openapi=failing)
    assert local.handle("GET", "/openapi.json", {}, None, {}, "127.0.0.1").status == 503


def test_without_the_committed_file_the_document_is_built(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(server, "OPENAPI_FILE", tmp_path / "missing.json")
    document = server.load_openapi_document()
    assert document is not None
    assert {route.path for route in d.ROUTES} <= set(document["paths"])


def test_the_served_document_is_valid_openapi_3_1() -> None:
    document = server.load_openapi_document()
    assert document is not None
    assert document["openapi"] == "3.1.0"
    assert list(OpenAPIV31SpecValidator(document).iter_errors()) == []


def test_swagger_files_are_served_and_nothing_else() -> None:
    local, gateway = app()
    css = local.handle("GET", "/docs/swagger-ui.css", {}, None, {}, "127.0.0.1")
    assert css.status == 200 and css.headers["Content-Type"].startswith("text/css")
    icon = local.handle("GET", "/docs/favicon-32x32.png", {}, None, {}, "127.0.0.1")
    assert icon.status == 200 and isinstance(icon.body, bytes)
    for name in ("../server.py", ".hidden", "nothing.js", "", "a/b.js"):
        response = local.handle("GET", f"/docs/{name}", {}, None, {}, "127.0.0.1")
        assert response.status in (200, 404), name
        if name != "":
            assert response.status == 404 and error_code(response) == "not_found", name
    assert gateway.calls == []


def test_outbox_filter_and_the_gateway_for_everything_else() -> None:
    seen: list[str | None] = []

    def outbox(to: str | None) -> list[dict[str, Any]]:
        seen.append(to)
        return [{"to": [to], "subject": "s", "body": "b", "sent_at": "now"}]

    local, gateway = app(outbox=outbox)
    response = local.handle("GET", "/_local/outbox", {}, None, {"to": "a@example.mc"}, "127.0.0.1")
    assert response.status == 200 and json.loads(response.body)["messages"][0]["to"] == ["a@example.mc"]
    assert seen == ["a@example.mc"]

    assert local.handle("POST", "/_local/outbox", {}, None, {}, "127.0.0.1").body == "from the gateway"
    assert local.handle("GET", "/account", {}, None, {"a": "1"}, "127.0.0.1").body == "from the gateway"
    assert gateway.calls == [("POST", "/_local/outbox", {}), ("GET", "/account", {"a": "1"})]


# --- Protocol errors over real HTTP: the error shape, never Python's HTML page ----------------------------
@pytest.fixture
def served() -> Any:
    """A LocalHttpServer on a free loopback port in this process, in front of a recording gateway."""
    import threading

    local, gateway = app()
    httpd = server.LocalHttpServer(("127.0.0.1", 0), local, quiet=True)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield httpd, gateway
    finally:
        httpd.shutdown()
        httpd.server_close()


def raw_exchange(port: int, request: bytes) -> tuple[int, dict[str, str], bytes]:
    """Send bytes as they are (http.client would refuse to send most of these) and read the whole answer."""
    import socket

    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(request)
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    head, _, payload = b"".join(chunks).partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers = {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:])}
    return status, headers, payload


@pytest.mark.parametrize(
    ("name", "request_bytes", "status", "code"),
    [
        ("TRACE", b"TRACE /account HTTP/1.1\r\nHost: x\r\n\r\n", 404, "not_found"),
        ("CONNECT", b"CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n", 404, "not_found"),
        ("unknown method", b"BREW /pot HTTP/1.1\r\nHost: x\r\n\r\n", 404, "not_found"),
        (
            "header line over 64 KiB",
            b"GET /account HTTP/1.1\r\nX-Big: " + b"a" * 70_000 + b"\r\n\r\n",
            413,
            "payload_too_large",
        ),
        (
            "over 100 headers",
            b"GET /account HTTP/1.1\r\n" + b"".join(b"X-H%d: v\r\n" % i for i in range(120)) + b"\r\n",
            413,
            "payload_too_large",
        ),
        ("request line over 64 KiB", b"GET /" + b"a" * 70_000 + b" HTTP/1.1\r\n\r\n", 413, "payload_too_large"),
        ("malformed request line", b"GET\r\n\r\n", 400, "request_refused"),
        ("HTTP/0.9 with another method", b"POST /account\r\n\r\n", 400, "request_refused"),
        ("bad version", b"GET /account HTTP/x.y\r\n\r\n", 400, "request_refused"),
        ("HTTP/2 request line", b"GET /account HTTP/2.0\r\n\r\n", 400, "request_refused"),
    ],
)
def test_protocol_errors_answer_in_the_error_shape(
    served: Any, name: str, request_bytes: bytes, status: int, code: str
) -> None:
    # Given the local server, When a request it cannot route arrives over real HTTP
    httpd, gateway = served
    got, headers, payload = raw_exchange(httpd.port, request_bytes)

    # Then the answer is the gateway's status, in JSON, in the one error shape, and the gateway was not called
    assert got == status, (name, payload[:200])
    assert headers["content-type"] == "application/json", name
    assert int(headers["content-length"]) == len(payload)
    document = json.loads(payload)
    assert set(document) == {"error"} and document["error"]["code"] == code, name
    assert document["error"]["request_id"] and headers["x-amzn-requestid"] == document["error"]["request_id"]
    assert b"<html" not in payload.lower() and b"<!doctype" not in payload.lower()
    assert gateway.calls == []


def test_a_supported_method_still_reaches_the_gateway_after_a_protocol_error(served: Any) -> None:
    httpd, gateway = served
    raw_exchange(httpd.port, b"TRACE / HTTP/1.1\r\nHost: x\r\n\r\n")
    got, _, payload = raw_exchange(httpd.port, b"GET /account HTTP/1.1\r\nHost: x\r\n\r\n")
    assert (got, payload) == (200, b"from the gateway")
    assert gateway.calls == [("GET", "/account", {})]
