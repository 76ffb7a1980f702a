"""The OpenAPI document, generated from the handlers' code (`make openapi` writes docs/openapi.json).

Each capability's resolver describes its own routes and models; this module merges them into one
document, adds the bearer security scheme on every non-public route (infra/definitions.py ROUTES),
the X-Assisted-Access header for staff, and the one error shape. tests/unit/test_openapi.py fails
when the committed document and the code differ.
"""

from __future__ import annotations

import json
import os
import re
from typing import Any

from infra import definitions as d
from infra.stacks.names import STAGE_NAME

TITLE = "Selfcare API"
VERSION = "1.0.0"
DESCRIPTION = (
    "The customer space of a telecom operator. Customers authenticate with POST /auth/login (or the digital "
    "identity: POST /auth/digital-identity/authorizations); staff through the operator's identity provider "
    "(POST /staff/auth/directory/authorizations), or POST /staff/auth/login when it is down. Then send "
    "`Authorization: Bearer <access_token>`. Staff act in a "
    "customer's space only under an assisted-access grant, named in the X-Assisted-Access header. "
    "Every error has the shape of the `Error` schema."
)
# Handlers read their settings at import; the document needs none of their values.
_PLACEHOLDER_ENV = {
    **d.COMMON_ENV,
    **{table.env: table.logical_id for table in d.TABLES},
    **{variable: grant for grant, variables in d.GRANT_ENV.items() for variable in variables},
    "PROVISIONING_ENDPOINT": "https://provisioning.invalid",
    "INCIDENT_TRACKER_URL": "https://incidents.invalid",  # issue 8
    "AWS_DEFAULT_REGION": "eu-west-3",
    "POWERTOOLS_TRACE_DISABLED": "true",
    "POWERTOOLS_METRICS_DISABLED": "true",
}


SERVERS = [
    {"url": "http://127.0.0.1:3000", "description": "The local stack (`make run`)"},
    {
        "url": "https://{api_id}.execute-api.{region}.amazonaws.com/" + STAGE_NAME,
        "description": "Deployed: the SelfcareService stack's API (its output ApiUrl)",
        "variables": {"api_id": {"default": "api-id"}, "region": {"default": "eu-west-3"}},
    },
]
_ERROR = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
# What API Gateway, its WAF and the authorizer answer themselves (infra/definitions.py GATEWAY_RESPONSES),
# and what the resolver answers before a route runs: documented on the operations where it can happen.
_ANY_OPERATION = {
    429: "Throttled by API Gateway",
    502: "The function failed (API Gateway's answer)",
    503: "Unavailable, try again later",
    504: "The function did not answer in time (API Gateway's integration timeout)",
}
# A path parameter that is empty or holds a "/" reaches no route: API Gateway's 404.
_OPERATION_WITH_PATH_PARAMETERS = {404: "No such route (a path parameter that is empty or holds a '/')"}
_PUBLIC_OPERATION = {403: "Blocked by the web application firewall (rate limit)"}
_AUTHORIZED_OPERATION = {
    401: "Missing, invalid, expired or revoked access token",
    403: (
        "Refused by the authorizer (an X-Assisted-Access header sent by a customer, a grant that is not live or "
        "not the caller's) or by the web application firewall"
    ),
}
# The API's own 429s (login and proof throttles, code and request quotas) say when to try again; API Gateway's
# throttling sends no Retry-After, so the header is declared but not required.
_RETRY_AFTER = {
    "description": "Seconds to wait before trying again (absent when API Gateway itself throttles)",
    "required": False,
    "schema": {"type": "integer", "minimum": 0},
}
_OPERATION_WITH_BODY = {
    400: "The body is not UTF-8, not JSON, or nested or numbered beyond what is parsed (code bad_request)",
    413: "Request body too large",
    415: "The body is not sent as application/json (code unsupported_media_type)",
}


class ContractError(ValueError):
    """The handlers' code does not make a valid contract: the generation stops."""


def _declare(operation: dict[str, Any], statuses: dict[int, str]) -> None:
    """Add each status to the operation's responses; one already declared keeps its entry, and gets the
    gateway's reason appended to its description when that reason is not already said."""
    responses = operation["responses"]
    for status, description in statuses.items():
        entry = responses.get(str(status))
        if entry is None:
            responses[str(status)] = {"description": description, "content": _ERROR}
        elif description not in entry["description"]:
            entry["description"] = f"{entry['description']}; or: {description}"


def _strip_null(schema: dict[str, Any]) -> dict[str, Any]:
    """An optional header or query parameter is absent or a value: never `null` (HTTP has no null)."""
    variants = schema.get("anyOf")
    if not variants:
        return schema
    kept = [v for v in variants if v != {"type": "null"}]
    if len(kept) == len(variants):
        return schema
    rest = {k: v for k, v in schema.items() if k != "anyOf"}
    return {**rest, **kept[0]} if len(kept) == 1 else {**rest, "anyOf": kept}


def merge_components(
    into: dict[str, Any], defined_by: dict[str, str], owner: str, components: dict[str, Any]
) -> list[str]:
    """Add one function's component schemas; a name that another function defines differently is a
    problem (it would overwrite the other's schema, and a response would be checked against the wrong one)."""
    problems = []
    for name, component in components.items():
        if name in into and into[name] != component:
            problems.append(
                f"component {name!r} is defined differently by {defined_by[name]!r} and {owner!r}: "
                "give one of the schema classes another name (prefix it with its capability)"
            )
            continue
        into[name] = component
        defined_by.setdefault(name, owner)
    return problems


def success_problems(where: str, operation: dict[str, Any]) -> list[str]:
    """An operation must declare a 2xx response, each with its schema; a 204 has no content (dropped here)."""
    successes = [status for status in operation["responses"] if status.startswith("2")]
    if not successes:
        return [f"{where} declares no success (2xx) response"]
    problems = []
    for status in successes:
        if status == "204":
            operation["responses"][status].pop("content", None)
            continue
        content = operation["responses"][status].get("content")
        # {"title": "Return"}: Powertools' schema of a return annotation that names no model.
        if not content or any(media.get("schema") in (None, {}, {"title": "Return"}) for media in content.values()):
            problems.append(f"{where} declares its {status} response without a schema")
    return problems


def build_document() -> dict[str, Any]:
    from infra.local.gateway import load_handler

    for name, value in _PLACEHOLDER_ENV.items():
        os.environ.setdefault(name, value)
    document: dict[str, Any] = {
        "openapi": "3.1.0",
        "info": {"title": TITLE, "version": VERSION, "description": DESCRIPTION},
        "servers": SERVERS,
        "paths": {},
        "components": {
            "schemas": {},
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}},
        },
    }
    problems: list[str] = []
    defined_by: dict[str, str] = {}
    for function in d.FUNCTIONS:
        if function is d.AUTHORIZER or not d.has_routes(function):
            continue
        schema = json.loads(load_handler(function).app.get_openapi_json_schema(title=TITLE, version=VERSION))
        for path, operations in schema.get("paths", {}).items():
            document["paths"].setdefault(path, {}).update(operations)
        components = schema.get("components", {}).get("schemas", {})
        problems += merge_components(document["components"]["schemas"], defined_by, function.name, components)
    declared = {(method.lower(), path) for path, ops in document["paths"].items() for method in ops}
    defined = {(route.method.lower(), route.path) for route in d.ROUTES}
    if declared != defined:
        raise ContractError(f"handlers and definitions.ROUTES differ: {sorted(declared ^ defined)}")
    for route in d.ROUTES:
        operation = document["paths"][route.path][route.method.lower()]
        where = f"{route.method} {route.path}"
        problems += success_problems(where, operation)
        for parameter in operation.get("parameters", []):
            parameter["schema"] = _strip_null(parameter["schema"])
        # Powertools declares its response-validation failure as 500: ours is the one error shape.
        operation["responses"]["500"] = {"description": "Internal error", "content": _ERROR}
        _declare(operation, _ANY_OPERATION)
        operation["responses"]["429"]["headers"] = {"Retry-After": _RETRY_AFTER}
        if "requestBody" in operation:
            _declare(operation, _OPERATION_WITH_BODY)
        if "{" in route.path:
            _declare(operation, _OPERATION_WITH_PATH_PARAMETERS)
        if route.public:
            operation["security"] = []
            _declare(operation, _PUBLIC_OPERATION)
            continue
        operation["security"] = [{"bearer": []}]
        operation.setdefault("parameters", []).append(
            {
                "name": d.ASSISTED_ACCESS_HEADER,
                "in": "header",
                "required": False,
                "description": "Staff only: the assisted-access grant to act under (a customer sending it gets 403)",
                "schema": {"type": "string", "pattern": "^[A-Za-z0-9_-]{8,64}$"},
            }
        )
        _declare(operation, _AUTHORIZED_OPERATION)
    if problems:
        raise ContractError("the OpenAPI document cannot be generated:\n- " + "\n- ".join(problems))
    # Powertools' default 422 body is replaced by ours everywhere.
    schemas = document["components"]["schemas"]
    for name in ("HTTPValidationError", "ValidationError", "ResponseValidationError"):
        schemas.pop(name, None)
    text = json.dumps(document)
    text = re.sub(r'"#/components/schemas/HTTPValidationError"', '"#/components/schemas/Error"', text)
    return dict(json.loads(text))


def render() -> str:
    return json.dumps(build_document(), indent=2, sort_keys=True, ensure_ascii=False) + "\n"


if __name__ == "__main__":
    print(render(), end="")
