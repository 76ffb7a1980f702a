"""Customers table: the read model of the operator's CRM, one partition per customer.

Items: `CUSTOMER#<id>` / `PROFILE` (the customer record), `CUSTOMER#<id>` / `LINE#<id>` (lines and
services). Written by the projection (and the local stack's demo seed); read by the capabilities.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from botocore.exceptions import ClientError

from selfcare.account.models import (
    Address,
    CustomerProfile,
    CustomerType,
    Line,
    LineType,
    SalesRepresentative,
)
from selfcare.dal.dynamo import Item, RawItem, client, from_raw, is_condition_failure, key, to_raw, values
from selfcare.dal.receipts import TransactionResult, write_with_receipt
from selfcare.projection.models import WriteResult

PROFILE = "PROFILE"


def customer_pk(customer_id: str) -> str:
    return f"CUSTOMER#{customer_id}"


def _profile(item: Item) -> CustomerProfile:
    address = item["address"]
    rep = item.get("sales_representative")
    return CustomerProfile(
        customer_id=item["customer_id"],
        account_number=item["account_number"],
        customer_type=CustomerType(item["customer_type"]),
        last_name=item.get("last_name"),
        first_name=item.get("first_name"),
        company_name=item.get("company_name"),
        trade_name=item.get("trade_name"),
        address=Address(
            line1=address["line1"],
            line2=address.get("line2"),
            postal_code=address["postal_code"],
            city=address["city"],
            country=address["country"],
        ),
        sales_representative=SalesRepresentative(name=rep["name"], email=rep.get("email"), phone=rep.get("phone"))
        if rep
        else None,
        contact_email=item.get("contact_email"),
        contact_mobile=item.get("contact_mobile"),
        contact_landline=item.get("contact_landline"),
        service_secret_code=item["service_secret_code"],
        terminated_at=item.get("terminated_at"),
        hidden_at=item.get("hidden_at"),
    )


def _profile_item(profile: CustomerProfile) -> Item:
    address = {k: v for k, v in vars(profile.address).items() if v is not None}
    rep = profile.sales_representative
    return {
        "pk": customer_pk(profile.customer_id),
        "sk": PROFILE,
        "customer_id": profile.customer_id,
        "account_number": profile.account_number,
        "customer_type": profile.customer_type.value,
        "last_name": profile.last_name,
        "first_name": profile.first_name,
        "company_name": profile.company_name,
        "trade_name": profile.trade_name,
        "address": address,
        "sales_representative": {k: v for k, v in vars(rep).items() if v is not None} if rep else None,
        "contact_email": profile.contact_email,
        "contact_mobile": profile.contact_mobile,
        "contact_landline": profile.contact_landline,
        "service_secret_code": profile.service_secret_code,
        "terminated_at": profile.terminated_at,
        "hidden_at": profile.hidden_at,
    }


class CustomersRepository:
    def __init__(self, table: str) -> None:
        self.table = table

    def get_profile(self, customer_id: str) -> CustomerProfile | None:
        raw = client().get_item(TableName=self.table, Key=key(pk=customer_pk(customer_id), sk=PROFILE))
        return _profile(from_raw(raw["Item"])) if "Item" in raw else None

    def put_profile(self, profile: CustomerProfile) -> None:
        client().put_item(TableName=self.table, Item=to_raw(_profile_item(profile)))

    def put_line(self, line: Line) -> None:
        item: Item = {
            "pk": customer_pk(line.customer_id),
            "sk": f"LINE#{line.line_id}",
            "line_id": line.line_id,
            "line_type": line.line_type.value,
            "offer": line.offer,
            "number": line.number,
            "status": line.status,
            "details": line.details or None,
        }
        client().put_item(TableName=self.table, Item=to_raw(item))

    def lines(self, customer_id: str) -> list[Line]:
        kwargs: dict[str, Any] = {
            "TableName": self.table,
            "KeyConditionExpression": "pk = :pk AND begins_with(sk, :line)",
            "ExpressionAttributeValues": values(pk=customer_pk(customer_id), line="LINE#"),
        }
        response = client().query(**kwargs)
        return [
            Line(
                customer_id=customer_id,
                line_id=item["line_id"],
                line_type=LineType(item["line_type"]),
                offer=item["offer"],
                number=item.get("number"),
                status=item["status"],
                details=item.get("details") or {},
            )
            for item in map(from_raw, response.get("Items", []))
        ]


# --- Writes of the CRM projection (selfcare.projection) ----------------------------------------------------
# The profile item carries `version` (the CRM's entity version) and `last_event_id`; every write is
# conditional on the stored version being older, and goes with the event's receipt (selfcare.dal.receipts)
# in one transaction. Attributes the projection does not own (set by other capabilities) are left alone:
# profiles are changed with SET/REMOVE of the record's fields, never replaced.
_RECORD_FIELDS = (
    "account_number",
    "customer_type",
    "last_name",
    "first_name",
    "company_name",
    "trade_name",
    "address",
    "sales_representative",
    "contact_email",
    "contact_mobile",
    "contact_landline",
    "service_secret_code",
    "digital_identity_id",
)
# Anonymisation (5 years after the end of the contract): identifying fields removed or overwritten; what
# accounting needs stays (customer id, account number, customer type, country, dates, versions).
ANONYMISED = "ANONYMISED"
_IDENTIFYING_REMOVED = (
    "last_name",
    "first_name",
    "company_name",
    "trade_name",
    "sales_representative",
    "contact_email",
    "contact_mobile",
    "contact_landline",
    "digital_identity_id",
)
_NEWER_VERSION = "(attribute_not_exists(version) OR version < :version) AND attribute_not_exists(anonymised_at)"


class CustomerProjection:
    """The projection's conditional writes of customer profiles (see selfcare.projection.service)."""

    def __init__(self, customers_table: str, receipts_table: str, clock: Any) -> None:
        self.table = customers_table
        self.receipts_table = receipts_table
        self.clock = clock
        self._reader = CustomersRepository(customers_table)

    def _now(self) -> int:
        return int(self.clock.now().timestamp())

    def _key(self, customer_id: str) -> RawItem:
        return key(pk=customer_pk(customer_id), sk=PROFILE)

    def _result(self, outcome: TransactionResult, customer_id: str) -> WriteResult:
        if outcome is TransactionResult.APPLIED:
            return WriteResult.APPLIED
        if outcome is TransactionResult.DUPLICATE:
            return WriteResult.DUPLICATE
        exists = "Item" in client().get_item(
            TableName=self.table, Key=self._key(customer_id), ProjectionExpression="pk", ConsistentRead=True
        )
        return WriteResult.STALE if exists else WriteResult.MISSING

    def get_profile(self, customer_id: str) -> CustomerProfile | None:
        return self._reader.get_profile(customer_id)

    def is_anonymised(self, customer_id: str) -> bool:
        raw = client().get_item(
            TableName=self.table, Key=self._key(customer_id), ProjectionExpression="anonymised_at", ConsistentRead=True
        )
        return "anonymised_at" in raw.get("Item", {})

    def project_profile(
        self,
        profile: CustomerProfile,
        digital_identity_id: str | None,
        version: int,
        event_id: str,
        also: Sequence[RawItem] = (),
    ) -> WriteResult:
        """The record, if this version is newer, with `also` (unconditional writes that belong to the same
        event: the billing settings) and the event's receipt: all or nothing, so a retry never finds half of it."""
        record = _profile_item(profile) | {"digital_identity_id": digital_identity_id}
        present = {f: record[f] for f in _RECORD_FIELDS if record.get(f) is not None}
        absent = [f for f in _RECORD_FIELDS if record.get(f) is None]
        names = {f"#{f}": f for f in present} | {f"#{f}": f for f in absent}
        assignments = [f"#{f} = :{f}" for f in present] + [
            "customer_id = :customer_id",
            "version = :version",
            "last_event_id = :event_id",
        ]
        expression = (
            "SET " + ", ".join(assignments) + (" REMOVE " + ", ".join(f"#{f}" for f in absent) if absent else "")
        )
        update = {
            "Update": {
                "TableName": self.table,
                "Key": self._key(profile.customer_id),
                "UpdateExpression": expression,
                "ConditionExpression": _NEWER_VERSION,
                "ExpressionAttributeNames": names,
                "ExpressionAttributeValues": values(
                    **present, customer_id=profile.customer_id, version=version, event_id=event_id
                ),
            }
        }
        outcome = write_with_receipt([update, *also], self.receipts_table, event_id, self._now())
        return self._result(outcome, profile.customer_id)

    def terminate(
        self, customer_id: str, terminated_at: str, version: int, event_id: str, also: Sequence[RawItem] = ()
    ) -> WriteResult:
        """`also`: the retention's pending steps (selfcare.retention), in the same transaction."""
        update = {
            "Update": {
                "TableName": self.table,
                "Key": self._key(customer_id),
                "UpdateExpression": "SET terminated_at = :terminated_at, version = :version, last_event_id = :event_id",
                "ConditionExpression": f"attribute_exists(pk) AND {_NEWER_VERSION}",
                "ExpressionAttributeValues": values(terminated_at=terminated_at, version=version, event_id=event_id),
            }
        }
        outcome = write_with_receipt([update, *also], self.receipts_table, event_id, self._now())
        return self._result(outcome, customer_id)

    def reinstate(self, customer_id: str, version: int, event_id: str, also: Sequence[RawItem] = ()) -> WriteResult:
        """The termination withdrawn: no longer terminated nor hidden (never after the anonymisation: the version
        condition refuses it). `also`: the retention's pending steps deleted, in the same transaction."""
        update = {
            "Update": {
                "TableName": self.table,
                "Key": self._key(customer_id),
                "UpdateExpression": "SET version = :version, last_event_id = :event_id REMOVE terminated_at, hidden_at",
                "ConditionExpression": f"attribute_exists(pk) AND {_NEWER_VERSION}",
                "ExpressionAttributeValues": values(version=version, event_id=event_id),
            }
        }
        outcome = write_with_receipt([update, *also], self.receipts_table, event_id, self._now())
        return self._result(outcome, customer_id)

    def anonymise(self, customer_id: str, terminated_at: str, at: str) -> WriteResult:
        """Overwrite the identification data; only while the contract is still ended at `terminated_at`."""
        names = {f"#{f}": f for f in _IDENTIFYING_REMOVED}
        expression = (
            "SET address = :address, service_secret_code = :blank, anonymised_at = :at, last_name = :anonymised "
            "REMOVE " + ", ".join(f"#{f}" for f in _IDENTIFYING_REMOVED if f != "last_name")
        )
        names.pop("#last_name")
        profile = self.get_profile(customer_id)
        country = profile.address.country if profile else "ZZ"
        try:
            client().update_item(
                TableName=self.table,
                Key=self._key(customer_id),
                UpdateExpression=expression,
                ConditionExpression="terminated_at = :terminated_at AND attribute_not_exists(anonymised_at)",
                ExpressionAttributeNames=names,
                ExpressionAttributeValues=values(
                    address={"line1": ANONYMISED, "postal_code": "-", "city": ANONYMISED, "country": country},
                    blank="",
                    at=at,
                    anonymised=ANONYMISED,
                    terminated_at=terminated_at,
                ),
            )
        except ClientError as error:
            if is_condition_failure(error):
                return WriteResult.STALE
            raise
        return WriteResult.APPLIED
