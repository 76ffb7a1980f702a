"""Customers table: the read model of the operator's CRM, one partition per customer.

Items: `CUSTOMER#<id>` / `PROFILE` (the customer record), `CUSTOMER#<id>` / `LINE#<id>` (lines and
services). Written by the projection (and the local stack's demo seed); read by the capabilities.
"""

from __future__ import annotations

from typing import Any

from selfcare.account.models import (
    Address,
    CustomerProfile,
    CustomerType,
    Line,
    LineType,
    SalesRepresentative,
)
from selfcare.dal.dynamo import Item, client, from_raw, key, to_raw, values

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
