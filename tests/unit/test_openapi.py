"""The committed OpenAPI document is the one the code generates (run `make openapi` to refresh)."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from selfcare.api.errors import responses
from selfcare.api.resolver import create_resolver, no_content, with_success
from selfcare.api.schema import Schema

from infra import definitions as d
from infra.openapi import merge_components, render, success_problems

COMMITTED = Path(__file__).resolve().parents[2] / "docs" / "openapi.json"


@cache
def committed() -> dict[str, Any]:
    return dict(json.loads(COMMITTED.read_text()))


def operations() -> list[tuple[str, str, dict[str, Any]]]:
    return [(m.upper(), p, op) for p, ops in committed()["paths"].items() for m, op in ops.items()]


def test_committed_document_matches_the_code() -> None:
    assert COMMITTED.read_text() == render(), "docs/openapi.json is stale: run `make openapi`"


def test_every_error_status_uses_the_one_error_shape() -> None:
    document = committed()
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            for status, response in operation["responses"].items():
                if int(status) >= 400:
                    schema = response["content"]["application/json"]["schema"]
                    assert schema == {"$ref": "#/components/schemas/Error"}, (method, path, status)
    assert set(document["components"]["schemas"]["Error"]["properties"]) == {"error"}


def test_security_follows_the_route_definitions() -> None:
    document = committed()
    for route in d.ROUTES:
        operation = document["paths"][route.path][route.method.lower()]
        assert operation["security"] == ([] if route.public else [{"bearer": []}]), route


def test_document_is_valid_json_with_every_route() -> None:
    document = json.loads(COMMITTED.read_text())
    assert {(m.upper(), p) for p, ops in document["paths"].items() for m in ops} == {
        (r.method, r.path) for r in d.ROUTES
    }


# The contract (issue 12) ---------------------------------------------------------------------------
def test_every_operation_declares_its_success_with_a_schema_and_204_without_content() -> None:
    for method, path, operation in operations():
        successes = {s: r for s, r in operation["responses"].items() if s.startswith("2")}
        assert successes, (method, path)
        for status, response in successes.items():
            if status == "204":
                assert "content" not in response, (method, path)
            else:
                schemas = [media["schema"] for media in response["content"].values()]
                assert all(schema not in ({}, {"title": "Return"}) for schema in schemas), (method, path, status)


class ContractProbeView(Schema):
    name: str


class ContractProbeRequest(Schema):
    flag: bool


def test_a_route_declaring_only_errors_gets_its_success_from_its_return_annotation() -> None:
    app = create_resolver()

    @app.get("/probe", responses=responses(404))
    def probe() -> ContractProbeView:
        return ContractProbeView(name="x")

    @app.post("/probe", responses=responses(404, success={204: {"description": "Done"}}))
    def probe_done(body: ContractProbeRequest) -> Any:
        return no_content()

    document = json.loads(app.get_openapi_json_schema())
    get = document["paths"]["/probe"]["get"]["responses"]
    assert get["200"]["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/ContractProbeView"}
    assert {"404", "422"} <= set(get)
    assert document["paths"]["/probe"]["post"]["responses"]["204"]["content"] == {}


def test_with_success_keeps_a_declared_success_and_adds_one_otherwise() -> None:
    assert with_success({202: {"description": "Accepted"}, 404: {}}, 200, "ok") == {
        202: {"description": "Accepted"},
        404: {},
    }
    assert with_success({404: {}}, 201, "Created") == {404: {}, 201: {"description": "Created"}}


def test_the_generator_refuses_an_operation_without_success_or_schema() -> None:
    assert success_problems("GET /x", {"responses": {"404": {}}}) == ["GET /x declares no success (2xx) response"]
    empty = {"responses": {"200": {"content": {"application/json": {"schema": {"title": "Return"}}}}}}
    assert success_problems("GET /x", empty) == ["GET /x declares its 200 response without a schema"]
    done = {"responses": {"204": {"description": "Done", "content": {}}}}
    assert success_problems("DELETE /x", done) == [] and done["responses"]["204"] == {"description": "Done"}


def test_the_generator_refuses_two_functions_defining_one_component_name_differently() -> None:
    into: dict[str, Any] = {}
    owners: dict[str, str] = {}
    assert merge_components(into, owners, "billing", {"AddressView": {"properties": {"city": {}}}}) == []
    assert merge_components(into, owners, "account", {"AddressView": {"properties": {"city": {}}}}) == []
    [problem] = merge_components(into, owners, "account", {"AddressView": {"properties": {"line1": {}}}})
    assert "'AddressView'" in problem and "'billing'" in problem and "'account'" in problem
    assert into["AddressView"] == {"properties": {"city": {}}}


def test_servers_and_no_header_or_query_parameter_allows_null() -> None:
    assert committed()["servers"][0]["url"] == "http://127.0.0.1:3000"
    for method, path, operation in operations():
        for parameter in operation.get("parameters", []):
            text = json.dumps(parameter["schema"])
            assert '"null"' not in text, (method, path, parameter["name"])


def test_patterns_and_lengths_the_server_enforces_are_declared() -> None:
    schemas = committed()["components"]["schemas"]
    assert schemas["SimActivationRequest"]["properties"]["iccid"]["pattern"] == "^89[0-9]{17,18}$"
    assert "^89[0-9]{17,18}$" in json.dumps(schemas["ReactivationRequest"]["properties"]["new_iccid"])
    for name, field in (("ResetPasswordRequest", "new_password"), ("ChangePasswordRequest", "new_password")):
        assert schemas[name]["properties"][field]["minLength"] == 12, name
    assert schemas["EmailChangeRequest"]["properties"]["email"]["format"] == "email"
    assert schemas["GrantRequest"]["properties"]["incident_reference"]["pattern"] == "^INC-[0-9]{4,12}$"


def test_gateway_and_authorizer_statuses_are_declared_where_they_can_happen() -> None:
    public = {(r.method, r.path) for r in d.ROUTES if r.public}
    for method, path, operation in operations():
        declared = set(operation["responses"])
        assert {"403", "429", "500", "502", "503", "504"} <= declared, (method, path)
        if (method, path) not in public:
            assert {"401", "403"} <= declared, (method, path)
            assert "X-Assisted-Access" in operation["responses"]["403"]["description"]
        if "requestBody" in operation:
            assert {"400", "413", "415"} <= declared, (method, path)


def test_every_429_declares_its_optional_integer_retry_after() -> None:
    # Given the committed document, When a client reads any operation's 429
    for method, path, operation in operations():
        header = operation["responses"]["429"].get("headers", {}).get("Retry-After")
        # Then it learns the Retry-After header (seconds), absent when API Gateway itself throttles
        assert header is not None, (method, path)
        assert header["schema"] == {"type": "integer", "minimum": 0}
        assert header["required"] is False


def test_the_contract_checker_validates_declared_response_headers() -> None:
    from tests import contract

    error = json.dumps({"error": {"code": "too_many_requests", "message": "Later.", "request_id": "r"}})
    json_type = {"Content-Type": "application/json"}
    # Given a 429 of the login route, When its Retry-After is seconds, absent, or not a number
    assert contract.problems("POST", "/auth/login", 429, {**json_type, "Retry-After": "60"}, error) == []
    assert contract.problems("POST", "/auth/login", 429, json_type, error) == []
    refused = contract.problems("POST", "/auth/login", 429, {**json_type, "retry-after": "soon"}, error)
    negative = contract.problems("POST", "/auth/login", 429, {**json_type, "Retry-After": "-1"}, error)
    # Then only the departures from the declared header are problems
    assert refused == ["POST /auth/login -> 429: header Retry-After is 'soon', not an integer"]
    assert len(negative) == 1 and "Retry-After" in negative[0]


def _lax_scalars(schema: Any) -> list[str]:
    """bool / int / float core schemas that are not strict (pydantic would take "yes", 1 or "12")."""
    found: list[str] = []
    if isinstance(schema, dict):
        if schema.get("type") in ("bool", "int", "float") and not schema.get("strict"):
            found.append(str(schema["type"]))
        for value in schema.values():
            found += _lax_scalars(value)
    elif isinstance(schema, list):
        for value in schema:
            found += _lax_scalars(value)
    return found


@pytest.fixture(scope="module")
def body_models() -> list[tuple[str, Any]]:
    import os

    from infra.local.gateway import load_handler
    from infra.openapi import _PLACEHOLDER_ENV

    for name, value in _PLACEHOLDER_ENV.items():  # the settings the handlers read at import
        os.environ.setdefault(name, value)
    found = []
    for function in d.FUNCTIONS:
        if function is d.AUTHORIZER or not d.has_routes(function):
            continue
        app = load_handler(function).app
        for route in [*app._static_routes, *app._dynamic_routes]:
            for parameter in route.dependant.body_params:
                found.append((f"{route.method} {route.path}", parameter.type_))
    return found


def test_request_booleans_and_numbers_are_strict(body_models: list[tuple[str, Any]]) -> None:
    assert body_models
    from pydantic import TypeAdapter

    for where, model in body_models:
        assert not _lax_scalars(TypeAdapter(model).core_schema), (where, model)


def test_a_strict_boolean_refuses_yes_0_1_and_1_0() -> None:
    from pydantic import ValidationError
    from selfcare.account.schemas import ConsentRequest

    for value in ("yes", "true", 0, 1, 1.0):
        with pytest.raises(ValidationError):
            ConsentRequest.model_validate({"granted": value, "channel": "web"})
    assert ConsentRequest.model_validate({"granted": True, "channel": "web"}).granted is True
