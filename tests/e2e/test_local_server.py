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
