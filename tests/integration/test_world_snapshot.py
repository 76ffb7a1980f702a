"""The integration world is seeded through the projection once per session and written back for later tests
(tests/factories.py): that is only the same world if the seed leaves nothing but DynamoDB items behind."""

from __future__ import annotations

import json
from typing import Any

import boto3
import pytest
from moto.core import DEFAULT_ACCOUNT_ID
from moto.ses.models import ses_backends

from infra import definitions as d
from infra.local.resources import LocalResources
from tests.factories import SEED_SECRETS, _table_items, seed_world, seed_world_through_projection


def _outside_dynamodb() -> dict[str, Any]:
    s3, sqs, scheduler = boto3.client("s3"), boto3.client("sqs"), boto3.client("scheduler")
    state: dict[str, Any] = {}
    for bucket in s3.list_buckets()["Buckets"]:
        objects = s3.list_objects_v2(Bucket=bucket["Name"]).get("Contents", [])
        state[f"s3:{bucket['Name']}"] = [o["Key"] for o in objects]
    for url in sqs.list_queues().get("QueueUrls", []):
        attributes = sqs.get_queue_attributes(
            QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]
        )["Attributes"]
        state[f"sqs:{url}"] = attributes
    state["schedules"] = [
        s["Name"]
        for group in scheduler.list_schedule_groups()["ScheduleGroups"]
        for s in scheduler.list_schedules(GroupName=group["Name"])["Schedules"]
    ]
    state["ses"] = len(ses_backends[DEFAULT_ACCOUNT_ID]["eu-west-3"].sent_messages)
    return state


def test_the_seed_writes_only_dynamodb_items_and_reads_only_the_secrets_kept_with_them(
    aws: LocalResources, monkeypatch: pytest.MonkeyPatch
) -> None:
    from moto.secretsmanager.models import SecretsManagerBackend

    read: set[str] = set()
    original = SecretsManagerBackend.get_secret_value

    def recorded(self: Any, secret_id: str, *args: Any, **kwargs: Any) -> Any:
        read.add(secret_id)
        return original(self, secret_id, *args, **kwargs)

    monkeypatch.setattr(SecretsManagerBackend, "get_secret_value", recorded)
    before = _outside_dynamodb()
    seed_world_through_projection(aws)
    assert _outside_dynamodb() == before
    assert sum(len(items) for items in _table_items(aws).values()) > 50
    assert read <= set(SEED_SECRETS), "a secret the seeded items depend on is not in tests.factories.SEED_SECRETS"


def test_a_written_back_world_holds_the_very_items_of_the_seed(aws: LocalResources) -> None:
    # Given the world in this test's tables (seeded now, or written back from an earlier test's seed)
    first = seed_world(aws)
    seeded = _table_items(aws)
    # When the tables are emptied and the world asked for again: written back, whatever the order of the tests
    client = boto3.client("dynamodb")
    for name, items in seeded.items():
        table = next(t for t in d.TABLES if aws.table_names[t.logical_id] == name)
        keys = [k.name for k in (table.partition_key, table.sort_key) if k is not None]
        for item in items:
            client.delete_item(TableName=name, Key={k: item[k] for k in keys})
    assert not any(_table_items(aws).values())
    again = seed_world(aws)

    # Then the same world and the very same items, and each test gets its own copy of the world
    def canonical(tables: dict[str, list[dict[str, Any]]]) -> dict[str, list[str]]:
        return {name: sorted(json.dumps(item, sort_keys=True, default=str) for item in i) for name, i in tables.items()}

    assert again == first and again is not first
    assert canonical(_table_items(aws)) == canonical(seeded)
