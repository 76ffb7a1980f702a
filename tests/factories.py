"""Test data: the demo world of the local stack, seeded into the test's own moto.

The first test of a session (per process) that asks for the world seeds it for real: CRM and inventory events
through EventBridge, the delivery queue and the projection handler, credentials through the auth service's
enrolment (infra/local/seed.py), ~10 s on moto. The seed writes nothing but DynamoDB items (checked by
tests/integration/test_world_snapshot.py), some keyed with a generated secret: the items and that secret's value
are kept, and every later test gets the same world by writing them back into its fresh resources (~0.3 s).
The local stack and its end-to-end tests always seed through the projection.
"""

from __future__ import annotations

import copy
import os
from typing import Any

import boto3

from infra import definitions as d
from infra.local.resources import LocalResources
from infra.local.seed import DemoCustomer, DemoStaff, DemoWorld, demo_request_id, seed_demo

__all__ = ["DemoCustomer", "DemoStaff", "DemoWorld", "grant_conditions", "seed_world", "seed_world_through_projection"]

BATCH_WRITE_LIMIT = 25  # items per BatchWriteItem
# The secrets the seed reads (the VOD titles' keyed hash): tests/integration/test_world_snapshot.py checks the list.
SEED_SECRETS = (d.VOD_HASH_KEY_SECRET_NAME,)


def grant_conditions(customer_id: str) -> dict[str, str]:
    """What an assisted-access grant names to meet every role's condition: an incident (production / test team)
    and the customer's open request (customer-service staff), seeded for each demo customer."""
    return {"incident_reference": "INC-000001", "ticket_id": demo_request_id(customer_id)}


# (the environment the world was seeded under) -> (the world, table name -> the items it holds after the seed)
_snapshots: dict[frozenset[tuple[str, str]], tuple[DemoWorld, dict[str, list[dict[str, Any]]], dict[str, Any]]] = {}


def _snapshot_key(resources: LocalResources) -> frozenset[tuple[str, str]]:
    """What the seed's output depends on besides the secrets (kept with it): the tables and the hashing costs."""
    names = {n for n in os.environ if n.startswith(("ARGON2_", "CAPTCHA_", "PASSWORD_"))}
    return frozenset(resources.table_names.items()) | frozenset((name, os.environ[name]) for name in names)


def _secrets() -> dict[str, dict[str, Any]]:
    """The values of SEED_SECRETS: keyed hashes in the seeded items depend on them (create_resources generates
    them at random). Only those: a test may hold another secret in memory (the payment webhook secret)."""
    manager = boto3.client("secretsmanager")
    values: dict[str, dict[str, Any]] = {}
    for name in SEED_SECRETS:
        value = manager.get_secret_value(SecretId=name)
        values[name] = {k: value[k] for k in ("SecretString", "SecretBinary") if k in value}
    return values


def _write_secrets(values: dict[str, dict[str, Any]]) -> None:
    manager = boto3.client("secretsmanager")
    for name, value in values.items():
        manager.put_secret_value(SecretId=name, **value)


def _table_items(resources: LocalResources) -> dict[str, list[dict[str, Any]]]:
    client = boto3.client("dynamodb")
    items: dict[str, list[dict[str, Any]]] = {}
    for name in resources.table_names.values():
        pages = client.get_paginator("scan").paginate(TableName=name)
        items[name] = [item for page in pages for item in page["Items"]]
    return items


def _write_items(items: dict[str, list[dict[str, Any]]]) -> None:
    client = boto3.client("dynamodb")
    for name, table_items in items.items():
        for start in range(0, len(table_items), BATCH_WRITE_LIMIT):
            batch = table_items[start : start + BATCH_WRITE_LIMIT]
            requests = {name: [{"PutRequest": {"Item": item}} for item in batch]}
            while requests:
                requests = client.batch_write_item(RequestItems=requests).get("UnprocessedItems") or {}


def seed_world_through_projection(resources: LocalResources) -> DemoWorld:
    """The demo world as the local stack seeds it: events, projection, enrolment."""
    del resources  # the environment already names its tables
    return seed_demo(demo_bills=False)  # the billing tests write the bills they check


def seed_world(resources: LocalResources) -> DemoWorld:
    """The demo world in this test's tables: seeded through the projection once, then the same items written back."""
    key = _snapshot_key(resources)
    if key not in _snapshots:
        world = seed_world_through_projection(resources)
        _snapshots[key] = (copy.deepcopy(world), _table_items(resources), _secrets())
        return world
    world, items, secrets = _snapshots[key]
    _write_secrets(secrets)
    _write_items(items)
    return copy.deepcopy(world)
