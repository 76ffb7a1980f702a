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


class ContactKind(StrEnum):
    EMAIL = "email"
    MOBILE = "mobile"


@dataclass(frozen=True)
class PendingContactChange:
    """A contact change waiting for the code sent to the new address (stored hashed, single use)."""

    customer_id: str
    kind: ContactKind
    value: str  # the new address or number
    code_digest: str
    expires_at: int  # epoch seconds
    attempts: int = 0


class ConsentPurpose(StrEnum):
    NEWSLETTER = "newsletter"
    SURVEYS = "surveys"


class ConsentChannel(StrEnum):
    WEB = "web"  # the customer space
    PHONE = "phone"  # staff, on the customer's call
    STORE = "store"
    MAIL = "mail"


@dataclass(frozen=True)
class ConsentRecord:
    """One decision on one purpose: the history is the list of records, the state the latest one."""

    customer_id: str
    purpose: ConsentPurpose
    granted: bool
    at: str  # ISO 8601, UTC, microseconds (orders the history)
    channel: ConsentChannel
    set_by: str  # "customer#<id>" or "staff#<id>"
    grant_id: str | None = None


class TicketCategory(StrEnum):
    BILLING = "billing"
    TECHNICAL = "technical"
    LINE = "line"
    ACCOUNT = "account"
    OTHER = "other"


class TicketStatus(StrEnum):
    OPEN = "open"
    IN_PROGRESS = "in_progress"
    WAITING_CUSTOMER = "waiting_customer"
    RESOLVED = "resolved"
    CLOSED = "closed"


OPEN_TICKET_STATUSES = frozenset({TicketStatus.OPEN, TicketStatus.IN_PROGRESS, TicketStatus.WAITING_CUSTOMER})


class TicketChannel(StrEnum):
    WEB = "web"  # created by the customer in the space
    ASSISTED = "assisted"  # created by staff under assisted access


@dataclass(frozen=True)
class TicketStatusChange:
    status: TicketStatus
    at: str
    by: str


@dataclass(frozen=True)
class TicketNote:
    at: str
    author: str
    text: str


@dataclass(frozen=True)
class Ticket:
    customer_id: str
    ticket_id: str
    category: TicketCategory
    subject: str
    description: str
    channel: TicketChannel
    status: TicketStatus
    created_at: str
    created_by: str
    related_line_id: str | None = None
    related_invoice_id: str | None = None
    history: tuple[TicketStatusChange, ...] = ()
    notes: tuple[TicketNote, ...] = ()


@dataclass(frozen=True)
class AccountLink:
    """One side of a link between two customer accounts (both sides are stored, in one transaction)."""

    customer_id: str
    account_number: str  # this side's own account number
    linked_customer_id: str
    linked_account_number: str
    linked_at: str
    linked_by: str  # "customer#<id>"
    proof: str  # "credentials"
