"""The committed OpenAPI document (docs/openapi.json) as a checker of real responses.

`problems(method, path, status, headers, body)` says how a response departs from what the document
declares for its operation: a status it does not declare, a content type it does not list (a 204 must
have none, and no body), a JSON body that its schema refuses, a declared header (Retry-After) that is
required and missing or does not match its schema. A path that is no route of the API (the
gateway's own 404) is not checked. The integration suite runs it on every response (tests/integration/
conftest.py, `Api.call`).
"""

from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator

from infra import definitions as d

DOCUMENT = Path(__file__).resolve().parents[1] / "docs" / "openapi.json"


@cache
def document() -> dict[str, Any]:
    return dict(json.loads(DOCUMENT.read_text()))


@cache
def _routes() -> list[tuple[re.Pattern[str], str, str]]:
    found = []
    for route in d.ROUTES:
        pattern = re.compile("^" + re.sub(r"\\\{(\w+)\\\}", r"[^/]+", re.escape(route.path)) + "$")
        found.append((pattern, route.method, route.path))
    return found


def operation_of(method: str, path: str) -> tuple[str, str] | None:
    """The (METHOD, templated path) of the document's operation a request reaches, if any."""
    path = path.split("?", 1)[0]
    candidates = [(m, template) for pattern, m, template in _routes() if pattern.match(path)]
    if not candidates:
        return None
    # A literal segment wins over a parameter, as API Gateway routes it (e.g. /payments/webhook).
    candidates.sort(key=lambda c: c[1].count("{"))
    return next(((m, t) for m, t in candidates if m == method.upper()), None)


@cache
def _validator(method: str, template: str, status: str, media_type: str) -> Draft202012Validator | None:
    schema = document()["paths"][template][method.lower()]["responses"][status]["content"][media_type].get("schema")
    if not schema:
        return None
    return Draft202012Validator({**schema, "components": document()["components"]})


def _header(headers: dict[str, str], name: str) -> str | None:
    return next((v for k, v in headers.items() if k.lower() == name), None)


def _header_problems(where: str, declared: dict[str, Any], headers: dict[str, str]) -> list[str]:
    """A declared response header: present when required, and valid against its schema when present
    (an integer header is read as a number first, as a client reads it)."""
    found = []
    for name, header in declared.items():
        value = _header(headers, name.lower())
        if value is None:
            if header.get("required"):
                found.append(f"{where}: required header {name} is missing")
            continue
        schema = header.get("schema") or {}
        instance: Any = value
        if schema.get("type") == "integer":
            try:
                instance = int(value)
            except ValueError:
                found.append(f"{where}: header {name} is {value!r}, not an integer")
                continue
        found += [f"{where}: header {name}: {e.message}" for e in Draft202012Validator(schema).iter_errors(instance)]
    return found


def problems(method: str, path: str, status: int, headers: dict[str, str], body: str | bytes) -> list[str]:
    operation = operation_of(method, path)
    if operation is None:
        return []
    method, template = operation
    where = f"{method} {template} -> {status}"
    declared = document()["paths"][template][method.lower()]["responses"]
    if str(status) not in declared:
        return [f"{where}: status not declared (declared: {sorted(declared)})"]
    found = _header_problems(where, declared[str(status)].get("headers") or {}, headers)
    return found + _content_problems(where, method, template, declared[str(status)], status, headers, body)


def _content_problems(
    where: str,
    method: str,
    template: str,
    response: dict[str, Any],
    status: int,
    headers: dict[str, str],
    body: str | bytes,
) -> list[str]:
    content = response.get("content") or {}
    content_type = _header(headers, "content-type")
    if not content:
        found = []
        if body:
            found.append(f"{where}: a body where the document declares none")
        if content_type:
            found.append(f"{where}: Content-Type {content_type!r} where the document declares no content")
        return found
    media_type = (content_type or "").split(";", 1)[0].strip()
    if media_type not in content:
        return [f"{where}: Content-Type {content_type!r} not declared (declared: {sorted(content)})"]
    if media_type != "application/json":
        return []
    validator = _validator(method, template, str(status), media_type)
    if validator is None:
        return []
    try:
        instance = json.loads(body)
    except ValueError:
        return [f"{where}: the body is not JSON"]
    return [
        f"{where}: {'/'.join(str(p) for p in error.absolute_path) or '(body)'}: {error.message[:300]}"
        for error in validator.iter_errors(instance)
    ]
