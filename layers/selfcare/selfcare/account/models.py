"""Domain entities of the customer read model (projected from the operator's CRM)."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class CustomerType(StrEnum):
    CONSUMER = "consumer"
    BUSINESS = "business"


class LineType(StrEnum):
    MOBILE = "mobile"
    FIXED = "fixed"
    INTERNET = "internet"
    TV = "tv"
    OTHER = "other"


@dataclass(frozen=True)
class Address:
    line1: str
    postal_code: str
    city: str
    country: str  # ISO 3166-1 alpha-2
    line2: str | None = None


@dataclass(frozen=True)
class SalesRepresentative:
    name: str
    email: str | None = None
    phone: str | None = None


@dataclass(frozen=True)
class CustomerProfile:
    customer_id: str
    account_number: str
    customer_type: CustomerType
    last_name: str | None
    first_name: str | None
    address: Address
    contact_email: str | None
    contact_mobile: str | None
    contact_landline: str | None
    service_secret_code: str
    company_name: str | None = None
    trade_name: str | None = None
    sales_representative: SalesRepresentative | None = None
    terminated_at: str | None = None  # ISO time of contract termination


@dataclass(frozen=True)
class Line:
    """A subscribed line or service (mobile, fixed, internet/VoIP, TV, other)."""

    customer_id: str
    line_id: str
    line_type: LineType
    offer: str
    number: str | None = None
    status: str = "active"
    details: dict[str, str] = field(default_factory=dict)
