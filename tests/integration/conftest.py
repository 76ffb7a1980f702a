"""Integration: the real handlers, in-process, behind the emulated API Gateway, on moto.

Every response `Api.call` sees is checked against the committed OpenAPI document (tests/contract.py):
a status, content type or body that the document does not declare for the operation fails the test.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import boto3
import pytest
from moto import mock_aws
from selfcare.dal import dynamo

from infra.local.gateway import Gateway, HttpResponse
from infra.local.resources import LocalResources, create_resources
from tests import contract
from tests.conftest import FAST_HASHING
from tests.factories import DemoWorld, seed_world


@dataclass
class Api:
    gateway: Gateway

    def call(
        self,
        method: str,
        path: str,
        body: Any = None,
        token: str | None = None,
        headers: dict[str, str] | None = None,
        raw_body: str | None = None,
        source_ip: str = "203.0.113.10",
    ) -> HttpResponse:
        all_headers = {"Content-Type": "application/json", "User-Agent": "Mozilla/5.0 (X11; Linux) Firefox/140.0"}
        if token:
            all_headers["Authorization"] = f"Bearer {token}"
        all_headers |= headers or {}
        payload = raw_body if raw_body is not None else (json.dumps(body) if body is not None else None)
        response = self.gateway.handle(method, path, all_headers, payload, source_ip=source_ip)
        check_contract(method, path, response)
        return response

    def login(self, identifier: str, password: str) -> dict[str, Any]:
        response = self.call("POST", "/auth/login", {"identifier": identifier, "password": password})
        assert response.status == 200, response.body
        return dict(json.loads(response.body))

    def staff_login(self, email: str, password: str) -> dict[str, Any]:
        response = self.call("POST", "/staff/auth/login", {"email": email, "password": password})
        assert response.status == 200, response.body
        return dict(json.loads(response.body))


def check_contract(method: str, path: str, response: HttpResponse) -> None:
    """Fail the test whose request got a response that docs/openapi.json does not declare."""
    problems = contract.problems(method, path, response.status, response.headers, response.body)
    assert not problems, "response departs from docs/openapi.json:\n" + "\n".join(problems)


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[LocalResources]:
    with mock_aws():
        resources = create_resources(boto3.Session(region_name="eu-west-3"))
        for name, value in (resources.merged_environment() | FAST_HASHING).items():
            monkeypatch.setenv(name, value)
        monkeypatch.setenv("RECOVERY_RESPONSE_FLOOR_MS", "200")
        dynamo.reset_client()
        yield resources
        dynamo.reset_client()


@pytest.fixture
def world(aws: LocalResources) -> DemoWorld:
    return seed_world(aws)


@pytest.fixture
def api(aws: LocalResources) -> Api:
    return Api(Gateway())


def body(response: HttpResponse) -> Any:
    return json.loads(response.body) if response.body else None
