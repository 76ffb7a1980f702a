"""DynamoDB plumbing shared by the repositories: client, (de)serialisation, transactions."""

from __future__ import annotations

import time
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from botocore.exceptions import ClientError

from selfcare import aws

Item = dict[str, Any]
RawItem = dict[str, Any]


def client() -> Any:
    """The process's DynamoDB client (created on first use, not at import: cold start)."""
    return aws.client("dynamodb")


def reset_client() -> None:
    """Forget the cached clients (tests switch endpoints between moto instances)."""
    aws.reset()


def serialize(value: Any) -> dict[str, Any]:
    """A Python value in DynamoDB's attribute-value form."""
    if value is None:
        return {"NULL": True}
    if isinstance(value, bool):
        return {"BOOL": value}
    if isinstance(value, int | Decimal):
        return {"N": str(value)}
    if isinstance(value, float):
        return {"N": str(Decimal(str(value)))}
    if isinstance(value, str):
        return {"S": value}
    if isinstance(value, bytes):
        return {"B": value}
    if isinstance(value, set | frozenset):
        if all(isinstance(v, str) for v in value):
            return {"SS": sorted(value)}
        return {"NS": sorted(str(v) for v in value)}
    if isinstance(value, list | tuple):
        return {"L": [serialize(v) for v in value]}
    if isinstance(value, dict):
        return {"M": {str(k): serialize(v) for k, v in value.items()}}
    raise TypeError(f"cannot store a {type(value).__name__} in DynamoDB")


def _number(text: str) -> int | float:
    number = Decimal(text)
    return int(number) if number == number.to_integral_value() else float(number)


def deserialize(raw: dict[str, Any]) -> Any:
    ((kind, value),) = raw.items()
    if kind == "S" or kind == "B" or kind == "BOOL":
        return value
    if kind == "N":
        return _number(value)
    if kind == "NULL":
        return None
    if kind == "SS" or kind == "BS":
        return set(value)
    if kind == "NS":
        return {_number(v) for v in value}
    if kind == "L":
        return [deserialize(v) for v in value]
    if kind == "M":
        return {k: deserialize(v) for k, v in value.items()}
    raise TypeError(f"unknown DynamoDB type {kind}")


def to_raw(item: Item, keep_none: bool = False) -> RawItem:
    """DynamoDB form. None values are dropped, or stored as NULL with keep_none."""
    return {k: serialize(v) for k, v in item.items() if keep_none or v is not None}


def from_raw(raw: RawItem) -> Item:
    return {k: deserialize(v) for k, v in raw.items()}


def key(**values: str) -> RawItem:
    return {k: {"S": v} for k, v in values.items()}


def values(**named: Any) -> RawItem:
    """ExpressionAttributeValues from keyword arguments (`:name` placeholders)."""
    return {f":{k}": serialize(v) for k, v in named.items()}


class ConditionFailed(Exception):
    """A condition expression did not hold. `index` is the failing operation of a transaction."""

    def __init__(self, index: int | None = None) -> None:
        super().__init__(f"condition failed (operation {index})")
        self.index = index


# Tables whose Puts may be retried in a new form when their condition fails (the audit trail: an entry
# whose slot in its chain a concurrent writer took is placed after the new tip; selfcare.dal.logs).
_RECHAIN: dict[str, Callable[[RawItem], RawItem]] = {}
TRANSACT_ATTEMPTS = 4


def register_rechain(table: str, rechain: Callable[[RawItem], RawItem]) -> None:
    _RECHAIN[table] = rechain


def _rechainable(operation: RawItem) -> bool:
    return "Put" in operation and operation["Put"].get("TableName") in _RECHAIN


def transact(operations: list[RawItem]) -> None:
    """All operations, or none. Raises ConditionFailed with the index of the failed condition.

    When the only failed conditions are appends to a chained table (another writer extended the same
    chain first), those appends are rebuilt after the new tip and the transaction is retried."""
    for attempt in range(TRANSACT_ATTEMPTS):
        try:
            client().transact_write_items(TransactItems=operations)
            return
        except ClientError as error:
            if error.response["Error"]["Code"] != "TransactionCanceledException":
                raise
            reasons = error.response.get("CancellationReasons") or []
            failed = [index for index, reason in enumerate(reasons) if reason.get("Code") == "ConditionalCheckFailed"]
            if not failed:
                raise
            retry = attempt + 1 < TRANSACT_ATTEMPTS and all(_rechainable(operations[index]) for index in failed)
            if not retry:
                raise ConditionFailed(failed[0]) from error
            operations = [
                _RECHAIN[op["Put"]["TableName"]](op) if index in failed else op for index, op in enumerate(operations)
            ]


def is_condition_failure(error: ClientError) -> bool:
    return bool(error.response["Error"]["Code"] == "ConditionalCheckFailedException")


def batch_get(table: str, pks: list[str]) -> dict[str, Item]:
    """Items by partition key (`pk`), strongly consistent, in one BatchGetItem (retrying what DynamoDB
    left unprocessed)."""
    request: dict[str, Any] = {table: {"Keys": [key(pk=pk) for pk in pks], "ConsistentRead": True}}
    found: dict[str, Item] = {}
    while request:
        response = client().batch_get_item(RequestItems=request)
        for raw in response["Responses"].get(table, []):
            item = from_raw(raw)
            found[item["pk"]] = item
        request = response.get("UnprocessedKeys") or {}
    return found


def batch_get_keys(requests: dict[str, list[RawItem]]) -> dict[str, Item]:
    """Items of several tables by key, strongly consistent, in one BatchGetItem (retrying what DynamoDB left
    unprocessed), by their `pk` (the partition keys must not collide across the tables)."""
    request: dict[str, Any] = {
        table: {"Keys": keys, "ConsistentRead": True} for table, keys in requests.items() if keys
    }
    found: dict[str, Item] = {}
    while request:
        response = client().batch_get_item(RequestItems=request)
        for items in response["Responses"].values():
            for raw in items:
                item = from_raw(raw)
                found[item["pk"]] = item
        request = response.get("UnprocessedKeys") or {}
    return found


def batch_delete(table: str, keys: list[RawItem], attempts: int = 6) -> int:
    """Delete items by key with BatchWriteItem (25 a call), retrying what DynamoDB left unprocessed with a
    growing pause; how many keys are still undeleted after `attempts` calls per batch (deleting twice is
    harmless, so the caller may simply try again)."""
    left = 0
    for start in range(0, len(keys), 25):
        requests: list[dict[str, Any]] = [{"DeleteRequest": {"Key": k}} for k in keys[start : start + 25]]
        for attempt in range(attempts):
            if attempt:
                time.sleep(0.05 * 2**attempt)
            answer = client().batch_write_item(RequestItems={table: requests})
            requests = answer.get("UnprocessedItems", {}).get(table, [])
            if not requests:
                break
        left += len(requests)
    return left


def query_all(**kwargs: Any) -> list[Item]:
    """Every item a Query returns, following its pages."""
    items: list[Item] = []
    while True:
        response = client().query(**kwargs)
        items.extend(from_raw(raw) for raw in response.get("Items", []))
        if "LastEvaluatedKey" not in response:
            return items
        kwargs["ExclusiveStartKey"] = response["LastEvaluatedKey"]


def live(item: Item | None, now: int, attribute: str = "expires_at") -> Item | None:
    """An item past its expiry is treated as absent: DynamoDB's TTL deletion lags by hours."""
    if item is None:
        return None
    expires_at = item.get(attribute)
    if expires_at is not None and int(expires_at) <= now:
        return None
    return item
