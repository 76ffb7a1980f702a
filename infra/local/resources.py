"""The local stack's AWS resources, created on moto from infra/definitions.py (as the CDK stack is).

Used by `make run` (moto server) and by the integration tests (moto in-process): the same tables,
keys, indexes and TTL attributes as the synthesized template, the signing key generated here and
never committed, the SES sender verified so that moto keeps every message sent (the outbox).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from infra import definitions as d
from infra.scripts.rotate_signing_key import rotate

LOCAL_SENDER = "no-reply@selfcare.local"


@dataclass(frozen=True)
class LocalResources:
    table_names: dict[str, str]  # logical id -> table name
    signing_key_secret: str
    public_keys_parameter: str
    sender: str

    def environment(self, function: d.Function) -> dict[str, str]:
        return d.environment_for(
            function,
            self.table_names,
            {
                "signing_key": self.signing_key_secret,
                "public_keys": self.public_keys_parameter,
                "send_email": self.sender,
            },
        )

    def merged_environment(self) -> dict[str, str]:
        """Every function's variables at once (the local stack runs all handlers in one process)."""
        env: dict[str, str] = {}
        for function in d.FUNCTIONS:
            env |= self.environment(function)
        return env


def table_name(table: d.Table, prefix: str = "selfcare-local") -> str:
    return f"{prefix}-{table.logical_id}"


def create_table_request(table: d.Table, name: str) -> dict[str, Any]:
    """CreateTable arguments for one definition (on-demand, like the CDK stack)."""
    keys = [table.partition_key] + ([table.sort_key] if table.sort_key else [])
    attributes: dict[str, str] = {k.name: k.type.value for k in keys}
    for index in table.indexes:
        attributes[index.partition_key.name] = index.partition_key.type.value
        if index.sort_key:
            attributes[index.sort_key.name] = index.sort_key.type.value
    request: dict[str, Any] = {
        "TableName": name,
        "BillingMode": "PAY_PER_REQUEST",
        "AttributeDefinitions": [{"AttributeName": n, "AttributeType": t} for n, t in attributes.items()],
        "KeySchema": [{"AttributeName": table.partition_key.name, "KeyType": "HASH"}]
        + ([{"AttributeName": table.sort_key.name, "KeyType": "RANGE"}] if table.sort_key else []),
    }
    if table.indexes:
        request["GlobalSecondaryIndexes"] = [
            {
                "IndexName": index.name,
                "KeySchema": [{"AttributeName": index.partition_key.name, "KeyType": "HASH"}]
                + ([{"AttributeName": index.sort_key.name, "KeyType": "RANGE"}] if index.sort_key else []),
                "Projection": {"ProjectionType": "ALL"},
            }
            for index in table.indexes
        ]
    return request


def create_resources(session: Any, prefix: str = "selfcare-local") -> LocalResources:
    """Create every resource on the moto endpoint that `session` (a boto3 Session) points at."""
    dynamodb = session.client("dynamodb")
    names: dict[str, str] = {}
    for table in d.TABLES:
        name = table_name(table, prefix)
        names[table.logical_id] = name
        dynamodb.create_table(**create_table_request(table, name))
        if table.ttl_attribute:
            dynamodb.update_time_to_live(
                TableName=name, TimeToLiveSpecification={"Enabled": True, "AttributeName": table.ttl_attribute}
            )
    # As the CDK stack creates them (an empty secret, an empty JWKS), then the same key generation
    # as `make deploy` runs: the key is generated here, at each start, and never committed.
    secretsmanager, ssm = session.client("secretsmanager"), session.client("ssm")
    secretsmanager.create_secret(Name=d.SIGNING_KEY_SECRET_NAME)
    ssm.put_parameter(Name=d.PUBLIC_KEYS_PARAMETER_NAME, Type="String", Value=json.dumps({"keys": []}))
    rotate(secretsmanager, ssm)
    session.client("ses").verify_email_identity(EmailAddress=LOCAL_SENDER)
    return LocalResources(
        table_names=names,
        signing_key_secret=d.SIGNING_KEY_SECRET_NAME,
        public_keys_parameter=d.PUBLIC_KEYS_PARAMETER_NAME,
        sender=LOCAL_SENDER,
    )
