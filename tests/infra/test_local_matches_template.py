"""The local stack and the synthesized CDK templates agree on every table and every route.

Both are built from infra/definitions.py; this proves that each side built what the definition says,
and the same thing: tables (keys and their types, global secondary indexes, TTL attribute) read back
from moto after `create_resources`, against AWS::DynamoDB::Table; routes (method, path, public or
behind the REQUEST authorizer) of the local gateway, against the AWS::ApiGateway::Resource tree and
its AWS::ApiGateway::Method resources.
"""

from __future__ import annotations

from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any

import boto3
import pytest
from moto import mock_aws
from selfcare.dal import dynamo

from infra import definitions as d
from infra.local.gateway import Gateway
from infra.local.resources import LocalResources, create_resources
from tests.conftest import FAST_HASHING

pytestmark = pytest.mark.infra

Template = dict[str, Any]
# Per table: keys (name -> (key type, attribute type)), indexes (name -> keys), TTL attribute.
TableShape = dict[str, Any]


# Template side -----------------------------------------------------------------------------------
def _resources(templates: dict[str, Template], kind: str) -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = {}
    for stack, template in templates.items():
        for logical_id, resource in template.get("Resources", {}).items():
            if resource["Type"] == kind:
                assert logical_id not in found, f"{kind} {logical_id} in two stacks ({stack})"
                found[logical_id] = resource.get("Properties", {})
    return found


def _keys(key_schema: list[dict[str, str]], types: dict[str, str]) -> dict[str, tuple[str, str]]:
    return {key["AttributeName"]: (key["KeyType"], types[key["AttributeName"]]) for key in key_schema}


def _table_shape(properties: dict[str, Any]) -> TableShape:
    """The shape of a table from CreateTable-like properties (template) or a DescribeTable answer."""
    types = {a["AttributeName"]: a["AttributeType"] for a in properties["AttributeDefinitions"]}
    return {
        "keys": _keys(properties["KeySchema"], types),
        "indexes": {
            index["IndexName"]: {
                "keys": _keys(index["KeySchema"], types),
                "projection": index["Projection"]["ProjectionType"],
            }
            for index in properties.get("GlobalSecondaryIndexes", [])
        },
        "local_indexes": sorted(index["IndexName"] for index in properties.get("LocalSecondaryIndexes", [])),
        # The stream (the CRM outbox relay's source): its view type, or None.
        "stream": (properties.get("StreamSpecification") or {}).get("StreamViewType"),
    }


def template_tables(templates: dict[str, Template]) -> dict[str, TableShape]:
    shapes = {}
    for logical_id, properties in _resources(templates, "AWS::DynamoDB::Table").items():
        ttl = properties.get("TimeToLiveSpecification") or {}
        shapes[logical_id] = _table_shape(properties) | {
            "ttl": ttl.get("AttributeName") if ttl.get("Enabled") else None
        }
    return shapes


def _path_of(resource_id: Any, resources: dict[str, dict[str, Any]]) -> str:
    """The path of an API resource, from a Ref to an AWS::ApiGateway::Resource or the API's RootResourceId."""
    if isinstance(resource_id, dict) and "Fn::GetAtt" in resource_id:
        assert resource_id["Fn::GetAtt"][1] == "RootResourceId", resource_id
        return ""
    assert isinstance(resource_id, dict) and "Ref" in resource_id, resource_id
    properties = resources[resource_id["Ref"]]
    return f"{_path_of(properties['ParentId'], resources)}/{properties['PathPart']}"


def template_routes(templates: dict[str, Template]) -> dict[tuple[str, str], dict[str, Any]]:
    """(method, path) -> authorization type and authorizer reference, per AWS::ApiGateway::Method."""
    resources = _resources(templates, "AWS::ApiGateway::Resource")
    routes: dict[tuple[str, str], dict[str, Any]] = {}
    for properties in _resources(templates, "AWS::ApiGateway::Method").values():
        key = (properties["HttpMethod"], _path_of(properties["ResourceId"], resources) or "/")
        assert key not in routes, f"{key} declared twice"
        routes[key] = {
            "authorization": properties.get("AuthorizationType", "NONE"),
            "authorizer": properties.get("AuthorizerId"),
        }
    return routes


# Local side --------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def local_aws() -> Iterator[tuple[LocalResources, Any]]:
    with mock_aws():
        session = boto3.Session(region_name="eu-west-3")
        yield create_resources(session), session.client("dynamodb")


def local_tables(resources: LocalResources, client: Any) -> dict[str, TableShape]:
    shapes = {}
    for logical_id, name in resources.table_names.items():
        described = client.describe_table(TableName=name)["Table"]
        ttl = client.describe_time_to_live(TableName=name)["TimeToLiveDescription"]
        shapes[logical_id] = _table_shape(described) | {
            "ttl": ttl.get("AttributeName") if ttl.get("TimeToLiveStatus") in ("ENABLED", "ENABLING") else None
        }
    return shapes


@pytest.fixture
def gateway(local_aws: tuple[LocalResources, Any], monkeypatch: pytest.MonkeyPatch) -> Iterator[Gateway]:
    resources, _ = local_aws
    for name, value in (resources.merged_environment() | FAST_HASHING).items():
        monkeypatch.setenv(name, value)
    dynamo.reset_client()
    yield Gateway()
    dynamo.reset_client()


def _concrete(path: str) -> str:
    """A request path for a route: each {parameter} replaced by a plausible value."""
    return "/".join("abcdef0123456789" if part.startswith("{") else part for part in path.split("/"))


def local_routes(gateway: Gateway) -> dict[tuple[str, str], bool]:
    """(method, path) -> True when the local gateway runs the authorizer before the function.

    Observed, not read from definitions: every function is replaced by a recorder, the request carries
    an Authorization header, and the route is behind the authorizer when the authorizer was called.
    """
    calls: list[str] = []

    def recorder(name: str) -> SimpleNamespace:
        def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
            calls.append(name)
            if name == d.AUTHORIZER.name:
                raise Exception("Unauthorized")
            return {"statusCode": 200, "body": ""}

        return SimpleNamespace(lambda_handler=lambda_handler)

    gateway.handlers = {name: recorder(name) for name in gateway.handlers}
    observed: dict[tuple[str, str], bool] = {}
    for route, pattern in gateway.routes:
        calls.clear()
        path = _concrete(route.path)
        assert pattern.match(path), (route.path, path)
        response = gateway.handle(route.method, path, {"Authorization": "Bearer not-a-token"}, "{}")
        authorized = calls[:1] == [d.AUTHORIZER.name]
        if authorized:
            assert response.status == 401 and calls == [d.AUTHORIZER.name], (route, response, calls)
        else:
            assert response.status == 200 and calls == [route.function], (route, response, calls)
        observed[(route.method, route.path)] = authorized
    return observed


# The comparisons ---------------------------------------------------------------------------------
def test_every_table_has_the_same_keys_indexes_and_ttl(
    cdk_templates: dict[str, Template], local_aws: tuple[LocalResources, Any]
) -> None:
    template = template_tables(cdk_templates)
    local = local_tables(*local_aws)

    assert set(template) == set(local) == {t.logical_id for t in d.TABLES}
    for logical_id in sorted(template):
        assert local[logical_id] == template[logical_id], logical_id
    # And both are what the definition says
    for table in d.TABLES:
        shape = local[table.logical_id]
        expected_keys = {table.partition_key.name: ("HASH", table.partition_key.type.value)}
        if table.sort_key:
            expected_keys[table.sort_key.name] = ("RANGE", table.sort_key.type.value)
        assert shape["keys"] == expected_keys, table.logical_id
        assert set(shape["indexes"]) == {index.name for index in table.indexes}, table.logical_id
        assert shape["ttl"] == table.ttl_attribute, table.logical_id
        assert shape["stream"] == table.stream, table.logical_id


def test_every_route_has_the_same_method_path_and_authorization(
    cdk_templates: dict[str, Template], gateway: Gateway
) -> None:
    template = template_routes(cdk_templates)
    local = local_routes(gateway)

    assert set(template) == set(local)
    assert set(local) == {(route.method, route.path) for route in d.ROUTES}
    authorizers = _resources(cdk_templates, "AWS::ApiGateway::Authorizer")
    for key in sorted(local):
        declared = template[key]
        if local[key]:
            assert declared["authorization"] == "CUSTOM", key
            assert declared["authorizer"] and declared["authorizer"]["Ref"] in authorizers, key
        else:
            assert declared["authorization"] == "NONE" and declared["authorizer"] is None, key
    public = {(route.method, route.path) for route in d.ROUTES if route.public}
    assert {key for key, authorized in local.items() if not authorized} == public


def test_the_authorizer_is_a_request_authorizer_on_the_authorization_header_without_cache(
    cdk_templates: dict[str, Template],
) -> None:
    # The local gateway calls the authorizer on every request, and only when Authorization is present.
    authorizers = list(_resources(cdk_templates, "AWS::ApiGateway::Authorizer").values())
    assert len(authorizers) == 1
    authorizer = authorizers[0]
    assert authorizer["Type"] == "REQUEST"
    assert authorizer["IdentitySource"] == "method.request.header.Authorization"
    assert int(authorizer.get("AuthorizerResultTtlInSeconds", 300)) == d.AUTHORIZER_CACHE_TTL_SECONDS == 0
