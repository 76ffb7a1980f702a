"""The post-termination steps' state in DynamoDB (selfcare.retention.service drives them).

Items:
- `CUSTOMER#<id>` / `RETENTION#<step>` (step: `Hide`, `Anonymise`): a step not yet completed, written in the
  termination's transaction, deleted by the step when it has completed (or by a reinstatement). It carries
  `retention_queue` = "due" and `due_at`: the customers table's sparse index `by_retention_due` holds these
  items only, sorted by due time, so the daily reconciliation reads the overdue steps with one Query on
  `due_at <= ...` (normally an empty answer), never a scan.
- The hide step's marks: `hidden_at` on the profile; `account_closed` on the customer's credential (the login
  says the space is closed), on each of the customer's sessions (revoked too) and on each assisted-access grant
  naming the customer (sessions table, sparse index `by_customer` of the grants): the authorizer's one
  BatchGetItem (session, grant) reads the flag, no extra call.
Every write here is idempotent: a step may run twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from selfcare.dal.credentials import principal_key
from selfcare.dal.customers import PROFILE, customer_pk
from selfcare.dal.dynamo import RawItem, client, is_condition_failure, key, query_all, values
from selfcare.retention.rules import Step

RETENTION = "RETENTION#"
DUE = "due"
BY_RETENTION_DUE = "by_retention_due"  # infra.definitions.CUSTOMERS: (retention_queue, due_at)
BY_CUSTOMER = "by_customer"  # infra.definitions.SESSIONS: (customer_id, created_at), grants only
BY_PRINCIPAL = "by_principal"  # infra.definitions.SESSIONS


def step_sk(step: Step) -> str:
    return f"{RETENTION}{step.value}"


@dataclass(frozen=True)
class PendingStep:
    customer_id: str
    step: Step
    due_at: str
    terminated_at: str


class RetentionRepository:
    def __init__(self, customers_table: str, credentials_table: str, sessions_table: str) -> None:
        self.table = customers_table
        self.credentials_table = credentials_table
        self.sessions_table = sessions_table

    # Pending steps ----------------------------------------------------------------------------------------
    def pending_ops(self, customer_id: str, terminated_at: str, due: dict[Step, str]) -> list[RawItem]:
        """The steps to come, for the termination's transaction (a later termination overwrites them)."""
        return [
            {
                "Put": {
                    "TableName": self.table,
                    "Item": {
                        "pk": {"S": customer_pk(customer_id)},
                        "sk": {"S": step_sk(step)},
                        "customer_id": {"S": customer_id},
                        "step": {"S": step.value},
                        "terminated_at": {"S": terminated_at},
                        "retention_queue": {"S": DUE},
                        "due_at": {"S": at},
                    },
                }
            }
            for step, at in due.items()
        ]

    def cancel_ops(self, customer_id: str) -> list[RawItem]:
        """A reinstatement: no step left to run (in the reinstatement's transaction)."""
        return [
            {"Delete": {"TableName": self.table, "Key": key(pk=customer_pk(customer_id), sk=step_sk(step))}}
            for step in Step
        ]

    def pending(self, customer_id: str, step: Step) -> PendingStep | None:
        raw = client().get_item(
            TableName=self.table, Key=key(pk=customer_pk(customer_id), sk=step_sk(step)), ConsistentRead=True
        )
        item = raw.get("Item")
        return _pending(item) if item else None

    def complete(self, customer_id: str, step: Step) -> None:
        client().delete_item(TableName=self.table, Key=key(pk=customer_pk(customer_id), sk=step_sk(step)))

    def overdue(self, before: str) -> list[PendingStep]:
        """Steps due at or before `before` and not completed: one Query of the sparse index (paged)."""
        items = (
            client()
            .get_paginator("query")
            .paginate(
                TableName=self.table,
                IndexName=BY_RETENTION_DUE,
                KeyConditionExpression="retention_queue = :due AND due_at <= :before",
                ExpressionAttributeValues=values(due=DUE, before=before),
            )
        )
        return [_pending(item) for page in items for item in page.get("Items", [])]

    # The hide step -----------------------------------------------------------------------------------------
    def hide_profile(self, customer_id: str, terminated_at: str, at: str) -> bool:
        """Mark the profile hidden, only while it is still terminated at `terminated_at` (False: reinstated)."""
        try:
            client().update_item(
                TableName=self.table,
                Key=key(pk=customer_pk(customer_id), sk=PROFILE),
                UpdateExpression="SET hidden_at = if_not_exists(hidden_at, :at)",
                ConditionExpression="terminated_at = :t",
                ExpressionAttributeValues=values(at=at, t=terminated_at),
            )
        except ClientError as error:
            if is_condition_failure(error):
                return False
            raise
        return True

    def close_credential(self, customer_id: str, closed: bool) -> None:
        """Set (or, at a reinstatement, remove) `account_closed` on the customer's credential, if there is one."""
        expression = "SET account_closed = :true" if closed else "REMOVE account_closed"
        try:
            client().update_item(
                TableName=self.credentials_table,
                Key=key(pk=principal_key(customer_id)),
                UpdateExpression=expression,
                ConditionExpression="attribute_exists(pk)",
                **({"ExpressionAttributeValues": values(true=True)} if closed else {}),
            )
        except ClientError as error:
            if not is_condition_failure(error):
                raise

    def close_sessions(self, customer_id: str, at: str) -> int:
        """Revoke every session of the customer and flag it closed; flag every grant naming the customer."""
        marked = 0
        for item in self.sessions_of(customer_id):
            client().update_item(
                TableName=self.sessions_table,
                Key=key(pk=item["pk"]["S"]),
                UpdateExpression=(
                    "SET revoked = :true, account_closed = :true, revoked_at = if_not_exists(revoked_at, :at)"
                ),
                ConditionExpression="attribute_exists(pk)",
                ExpressionAttributeValues=values(true=True, at=at),
            )
            marked += 1
        for item in self.grants_of(customer_id):
            client().update_item(
                TableName=self.sessions_table,
                Key=key(pk=item["pk"]["S"]),
                UpdateExpression="SET account_closed = :true",
                ConditionExpression="attribute_exists(pk)",
                ExpressionAttributeValues=values(true=True),
            )
            marked += 1
        return marked

    def sessions_of(self, customer_id: str) -> list[dict[str, Any]]:
        """Keys of every session item of the customer (revoked and expired included), from the index."""
        return _raw_query(
            TableName=self.sessions_table,
            IndexName=BY_PRINCIPAL,
            KeyConditionExpression="principal = :p",
            ExpressionAttributeValues=values(p=f"customer#{customer_id}"),
            ProjectionExpression="pk",
        )

    def grants_of(self, customer_id: str) -> list[dict[str, Any]]:
        return _raw_query(
            TableName=self.sessions_table,
            IndexName=BY_CUSTOMER,
            KeyConditionExpression="customer_id = :c",
            ExpressionAttributeValues=values(c=customer_id),
            ProjectionExpression="pk",
        )


def _raw_query(**kwargs: Any) -> list[dict[str, Any]]:
    return [item for page in client().get_paginator("query").paginate(**kwargs) for item in page.get("Items", [])]


def _pending(raw: RawItem) -> PendingStep:
    return PendingStep(
        customer_id=raw["customer_id"]["S"],
        step=Step(raw["step"]["S"]),
        due_at=raw["due_at"]["S"],
        terminated_at=raw["terminated_at"]["S"],
    )


__all__ = ["PendingStep", "RetentionRepository", "query_all"]
