"""The committed OpenAPI document is the one the code generates (run `make openapi` to refresh)."""

from __future__ import annotations

import json
from pathlib import Path

from infra import definitions as d
from infra.openapi import build_document, render

COMMITTED = Path(__file__).resolve().parents[2] / "docs" / "openapi.json"


def test_committed_document_matches_the_code() -> None:
    assert COMMITTED.read_text() == render(), "docs/openapi.json is stale: run `make openapi`"


def test_every_error_status_uses_the_one_error_shape() -> None:
    document = build_document()
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            for status, response in operation["responses"].items():
                if int(status) >= 400:
                    schema = response["content"]["application/json"]["schema"]
                    assert schema == {"$ref": "#/components/schemas/Error"}, (method, path, status)
    assert set(document["components"]["schemas"]["Error"]["properties"]) == {"error"}


def test_security_follows_the_route_definitions() -> None:
    document = build_document()
    for route in d.ROUTES:
        operation = document["paths"][route.path][route.method.lower()]
        assert operation["security"] == ([] if route.public else [{"bearer": []}]), route


def test_document_is_valid_json_with_every_route() -> None:
    document = json.loads(COMMITTED.read_text())
    assert {(m.upper(), p) for p, ops in document["paths"].items() for m in ops} == {
        (r.method, r.path) for r in d.ROUTES
    }
