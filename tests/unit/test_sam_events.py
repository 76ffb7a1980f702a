"""The API Gateway proxy events of events/api/ (for `sam local invoke`, README "Cold start"): each one
parses, names a route of infra/definitions.py, and carries what that route needs (the authorizer's
context on a protected route, a JSON body that the route's request model accepts)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from selfcare.auth.context import caller_from_context
from selfcare.auth.policy import PrincipalType
from selfcare.auth.schemas import LoginRequest

from infra import definitions

EVENTS = Path(__file__).resolve().parents[2] / "events" / "api"
FILES = sorted(EVENTS.glob("*.json"))


def _route(event: dict[str, Any]) -> definitions.Route:
    matches = [r for r in definitions.ROUTES if (r.method, r.path) == (event["httpMethod"], event["resource"])]
    assert len(matches) == 1, f"no route {event['httpMethod']} {event['resource']} in infra/definitions.py"
    return matches[0]


def test_the_samples_cover_the_routes_the_readme_names() -> None:
    named = {(e["httpMethod"], e["resource"]) for e in (json.loads(f.read_text()) for f in FILES)}
    assert {("GET", "/account"), ("POST", "/auth/login"), ("GET", "/mobile/lines")} <= named


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_event_parses_and_names_an_existing_route(path: Path) -> None:
    # Given a sample event; When it is read as API Gateway's REST proxy event
    event = json.loads(path.read_text())
    route = _route(event)
    context = event["requestContext"]
    # Then it names a route of the API, consistently, and the file name says which
    assert context["resourcePath"] == event["resource"] and context["httpMethod"] == event["httpMethod"]
    assert path.stem == f"{route.method}_{route.path.strip('/').replace('/', '_')}"
    assert definitions.function_named(route.function).handler == "handler.lambda_handler"
    if route.public:
        assert "authorizer" not in context
    else:
        # the authorizer's context as the handlers read it: the demo customer C0001
        caller = caller_from_context(context["authorizer"])
        assert caller.principal_type is PrincipalType.CUSTOMER and caller.customer_id == "C0001"
        assert all(isinstance(value, str) for value in context["authorizer"].values())
    if event["body"] is not None:
        assert event["headers"]["Content-Type"] == "application/json"
        body = json.loads(event["body"])
        if route.path == "/auth/login":
            assert LoginRequest.model_validate(body).identifier == "jdupont"
