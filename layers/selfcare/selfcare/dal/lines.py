"""Lines' status, as the suspension and reactivation workflows change it (Customers table, `LINE#<id>` items).

Each status change is one transaction with its audit entry, under a condition on the status, the status
version (`status_version`, +1 at every change, 0 when absent) and, for the pending statuses, the workflow
that owns them (`workflow`, its handle): a race, a replayed step or a stale workflow cannot change a line
it no longer owns. Transient DynamoDB failures surface as `TransientStoreError` (Step Functions retries
them by that name).
"""

from __future__ import annotations

from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from selfcare.dal.customers import customer_pk
from selfcare.dal.dynamo import ConditionFailed, RawItem, client, from_raw, key, to_raw, transact, values
from selfcare.dal.line_items import iccid_key
from selfcare.workflows.models import LineState

_TRANSIENT_CODES = {
    "ProvisionedThroughputExceededException",
    "ThrottlingException",
    "RequestLimitExceeded",
    "InternalServerError",
    "ServiceUnavailable",
    "TransactionConflictException",
    "TransactionInProgressException",
}
_TRANSIENT_REASONS = {"TransactionConflict", "ThrottlingError", "ProvisionedThroughputExceeded", "InternalServerError"}
_PROJECTION = "line_id, line_type, #s, status_version, #n, iccid, workflow"
_NAMES = {"#s": "status", "#n": "number"}


class TransientStoreError(Exception):
    """DynamoDB could not do it now (throttling, conflict, outage): try again later."""


def line_key(customer_id: str, line_id: str) -> RawItem:
    return key(pk=customer_pk(customer_id), sk=f"LINE#{line_id}")


def claim_key(iccid: str) -> RawItem:
    return key(pk=iccid_key(iccid), sk=iccid_key(iccid))


# A claim of an ICCID (one SIM, one line: selfcare.dal.line_items) that is absent or this line's own.
_OWN_OR_FREE = "attribute_not_exists(pk) OR (customer_id = :c AND line_id = :l)"


def _classify(error: Exception) -> Exception:
    if isinstance(error, BotoCoreError):
        return TransientStoreError(type(error).__name__)
    if isinstance(error, ClientError):
        code = error.response.get("Error", {}).get("Code", "")
        reasons = {r.get("Code") for r in error.response.get("CancellationReasons") or []}
        if code in _TRANSIENT_CODES or reasons & _TRANSIENT_REASONS:
            return TransientStoreError(code)
    return error


def _state(customer_id: str, item: dict[str, Any]) -> LineState:
    return LineState(
        customer_id=customer_id,
        line_id=item["line_id"],
        line_type=item["line_type"],
        status=item["status"],
        status_version=int(item.get("status_version", 0)),
        number=item.get("number"),
        iccid=item.get("iccid"),
        workflow=item.get("workflow"),
    )


class LinesRepository:
    def __init__(self, table: str) -> None:
        self.table = table

    def get(self, customer_id: str, line_id: str) -> LineState | None:
        try:
            raw = client().get_item(
                TableName=self.table,
                Key=line_key(customer_id, line_id),
                ConsistentRead=True,
                ProjectionExpression=_PROJECTION,
                ExpressionAttributeNames=_NAMES,
            )
        except (ClientError, BotoCoreError) as error:
            raise _classify(error) from error
        return _state(customer_id, from_raw(raw["Item"])) if "Item" in raw else None

    def get_with_claim(self, customer_id: str, line_id: str, iccid: str) -> tuple[LineState | None, bool]:
        """The line, and whether another line holds the ICCID: one BatchGetItem."""
        request: dict[str, Any] = {
            self.table: {
                "Keys": [line_key(customer_id, line_id), claim_key(iccid)],
                "ConsistentRead": True,
            }
        }
        found: list[dict[str, Any]] = []
        try:
            while request:
                response = client().batch_get_item(RequestItems=request)
                found.extend(from_raw(raw) for raw in response["Responses"].get(self.table, []))
                request = response.get("UnprocessedKeys") or {}
        except (ClientError, BotoCoreError) as error:
            raise _classify(error) from error
        line = next((item for item in found if item["sk"] == f"LINE#{line_id}"), None)
        claim = next((item for item in found if item["sk"] == iccid_key(iccid)), None)
        taken = claim is not None and (claim.get("customer_id"), claim.get("line_id")) != (customer_id, line_id)
        return (_state(customer_id, line) if line else None), taken

    def _write(self, operations: list[RawItem]) -> None:
        try:
            transact(operations)
        except ConditionFailed:
            raise
        except (ClientError, BotoCoreError) as error:
            raise _classify(error) from error

    def begin(
        self,
        line: tuple[str, str],
        *,
        required: str,
        from_version: int,
        pending: str,
        handle: str,
        at: str,
        audit: RawItem,
        claim_iccid: str | None = None,
    ) -> None:
        """required@from_version -> pending, owned by `handle`, claiming `claim_iccid` (a new SIM) for the line.
        ConditionFailed(0) when the line moved meanwhile, ConditionFailed(2) when another line holds the SIM."""
        version = (
            "(attribute_not_exists(status_version) OR status_version = :v)"
            if from_version == 0
            else "status_version = :v"
        )
        self._write(
            [
                {
                    "Update": {
                        "TableName": self.table,
                        "Key": line_key(*line),
                        "UpdateExpression": "SET #s = :pending, status_version = :next, previous_status = :required, "
                        "workflow = :handle, status_changed_at = :at",
                        "ConditionExpression": f"#s = :required AND {version}",
                        "ExpressionAttributeNames": {"#s": "status"},
                        "ExpressionAttributeValues": values(
                            pending=pending,
                            next=from_version + 1,
                            required=required,
                            handle=handle,
                            at=at,
                            v=from_version,
                        ),
                    }
                },
                audit,
                *([self._claim_op(line, claim_iccid)] if claim_iccid else []),
            ]
        )

    def _claim_op(self, line: tuple[str, str], iccid: str) -> RawItem:
        customer_id, line_id = line
        return {
            "Put": {
                "TableName": self.table,
                "Item": to_raw(
                    {"pk": iccid_key(iccid), "sk": iccid_key(iccid), "customer_id": customer_id, "line_id": line_id}
                ),
                "ConditionExpression": _OWN_OR_FREE,
                "ExpressionAttributeValues": values(c=customer_id, l=line_id),
            }
        }

    def _release_op(self, line: tuple[str, str], iccid: str) -> RawItem:
        customer_id, line_id = line
        return {
            "Delete": {
                "TableName": self.table,
                "Key": claim_key(iccid),
                "ConditionExpression": _OWN_OR_FREE,
                "ExpressionAttributeValues": values(c=customer_id, l=line_id),
            }
        }

    def settle(
        self,
        line: tuple[str, str],
        *,
        pending: str,
        handle: str,
        status: str,
        at: str,
        audit: RawItem,
        iccid: str | None = None,
        release_iccid: str | None = None,
    ) -> None:
        """pending (owned by `handle`) -> `status` (the final one, or the previous one on compensation); sets the
        line's `iccid` if given; releases the claim of `release_iccid` (the old SIM, or the new one on
        compensation)."""
        expression = "SET #s = :status, status_version = status_version + :one, status_changed_at = :at"
        named: dict[str, Any] = {"status": status, "one": 1, "at": at, "pending": pending, "handle": handle}
        if iccid is not None:
            expression += ", iccid = :iccid"
            named["iccid"] = iccid
        self._write(
            [
                {
                    "Update": {
                        "TableName": self.table,
                        "Key": line_key(*line),
                        "UpdateExpression": expression + " REMOVE previous_status",
                        "ConditionExpression": "#s = :pending AND workflow = :handle",
                        "ExpressionAttributeNames": {"#s": "status"},
                        "ExpressionAttributeValues": values(**named),
                    }
                },
                audit,
                *([self._release_op(line, release_iccid)] if release_iccid else []),
            ]
        )


__all__ = ["ConditionFailed", "LinesRepository", "TransientStoreError"]
