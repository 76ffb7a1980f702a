"""DynamoDB plumbing shared by the repositories: client, (de)serialisation, transactions."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import boto3
from boto3.dynamodb.types import TypeDeserializer, TypeSerializer
from botocore.config import Config
from botocore.exceptions import ClientError

Item = dict[str, Any]
RawItem = dict[str, Any]

_serializer = TypeSerializer()
_deserializer = TypeDeserializer()
_client: Any = None


def client() -> Any:
    """One DynamoDB client per process, created on first use (not at import: cold start)."""
    global _client
    if _client is None:
        _client = boto3.client(
            "dynamodb", config=Config(retries={"mode": "standard", "max_attempts": 3}, connect_timeout=2)
        )
    return _client


def reset_client() -> None:
    """Forget the cached client (tests switch endpoints between moto instances)."""
    global _client
    _client = None


def to_raw(item: Item, keep_none: bool = False) -> RawItem:
    """DynamoDB form. None values are dropped, or stored as NULL with keep_none."""
    return {k: _serializer.serialize(v) for k, v in item.items() if keep_none or v is not None}


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, set):
        return {_plain(v) for v in value}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


def from_raw(raw: RawItem) -> Item:
    return {k: _plain(_deserializer.deserialize(v)) for k, v in raw.items()}


def key(**values: str) -> RawItem:
    return {k: {"S": v} for k, v in values.items()}


def values(**named: Any) -> RawItem:
    """ExpressionAttributeValues from keyword arguments (`:name` placeholders)."""
    return {f":{k}": _serializer.serialize(v) for k, v in named.items()}


class ConditionFailed(Exception):
    """A condition expression did not hold. `index` is the failing operation of a transaction."""

    def __init__(self, index: int | None = None) -> None:
        super().__init__(f"condition failed (operation {index})")
        self.index = index


def transact(operations: list[RawItem]) -> None:
    """All operations, or none. Raises ConditionFailed with the index of the failed condition."""
    try:
        client().transact_write_items(TransactItems=operations)
    except ClientError as error:
        if error.response["Error"]["Code"] != "TransactionCanceledException":
            raise
        reasons = error.response.get("CancellationReasons") or []
        for index, reason in enumerate(reasons):
            if reason.get("Code") == "ConditionalCheckFailed":
                raise ConditionFailed(index) from error
        raise


def is_condition_failure(error: ClientError) -> bool:
    return bool(error.response["Error"]["Code"] == "ConditionalCheckFailedException")


def live(item: Item | None, now: int, attribute: str = "expires_at") -> Item | None:
    """An item past its expiry is treated as absent: DynamoDB's TTL deletion lags by hours."""
    if item is None:
        return None
    expires_at = item.get(attribute)
    if expires_at is not None and int(expires_at) <= now:
        return None
    return item
