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

TITLE = "Selfcare API"
VERSION = "1.0.0"
DESCRIPTION = (
    "The customer space of a telecom operator. Authenticate with POST /auth/login (customers) or "
    "POST /staff/auth/login (staff), then send `Authorization: Bearer <access_token>`. Staff act in a "
    "customer's space only under an assisted-access grant, named in the X-Assisted-Access header. "
    "Every error has the shape of the `Error` schema."
)
# Handlers read their settings at import; the document needs none of their values.
_PLACEHOLDER_ENV = {
    **d.COMMON_ENV,
    **{table.env: table.logical_id for table in d.TABLES},
    **{variable: grant for grant, variables in d.GRANT_ENV.items() for variable in variables},
    "PROVISIONING_ENDPOINT": "https://provisioning.invalid",
    "AWS_DEFAULT_REGION": "eu-west-3",
    "POWERTOOLS_TRACE_DISABLED": "true",
    "POWERTOOLS_METRICS_DISABLED": "true",
}


def build_document() -> dict[str, Any]:
    from infra.local.gateway import load_handler

    for name, value in _PLACEHOLDER_ENV.items():
        os.environ.setdefault(name, value)
    document: dict[str, Any] = {
        "openapi": "3.1.0",
        "info": {"title": TITLE, "version": VERSION, "description": DESCRIPTION},
        "paths": {},
        "components": {
            "schemas": {},
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}},
        },
    }
    for function in d.FUNCTIONS:
        if function is d.AUTHORIZER or not d.has_routes(function):
            continue
        schema = json.loads(load_handler(function).app.get_openapi_json_schema(title=TITLE, version=VERSION))
        for path, operations in schema.get("paths", {}).items():
            document["paths"].setdefault(path, {}).update(operations)
        document["components"]["schemas"].update(schema.get("components", {}).get("schemas", {}))
    declared = {(method.lower(), path) for path, ops in document["paths"].items() for method in ops}
    defined = {(route.method.lower(), route.path) for route in d.ROUTES}
    if declared != defined:
        raise ValueError(f"handlers and definitions.ROUTES differ: {sorted(declared ^ defined)}")
    error = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
    for route in d.ROUTES:
        operation = document["paths"][route.path][route.method.lower()]
        # Powertools declares its response-validation failure as 500: ours is the one error shape.
        operation["responses"]["500"] = {"description": "Internal error", "content": error}
        if route.public:
            operation["security"] = []
            continue
        operation["security"] = [{"bearer": []}]
        operation.setdefault("parameters", []).append(
            {
                "name": d.ASSISTED_ACCESS_HEADER,
                "in": "header",
                "required": False,
                "description": "Staff only: the assisted-access grant to act under",
                "schema": {"type": "string", "pattern": "^[A-Za-z0-9_-]{8,64}$"},
            }
        )
        operation.setdefault("responses", {}).setdefault(
            "401",
            {
                "description": "Not authenticated, or credentials refused",
                "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
            },
        )
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
