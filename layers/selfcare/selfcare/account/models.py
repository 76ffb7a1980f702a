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
    hidden_at: str | None = None  # ISO time of the retention's hide step (1 month after termination)


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
    # Commercial SMS (the operator's own, about its services): without it, none is sent (selfcare.sms).
    COMMERCIAL_SMS = "commercial_sms"


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
class TicketRequest:
    """A ticket creation made with an Idempotency-Key: the key's answer while it lives (24 hours)."""

    customer_id: str
    key: str
    ticket_id: str
    fingerprint: str  # digest of the request (its fields and its author): another body is refused
    expires_at: int  # epoch seconds


class LinkProof(StrEnum):
    CREDENTIALS = "credentials"  # the other account's identifier and password
    CODE = "code"  # a code sent to the other account's contact email or mobile


class LinkCodeChannel(StrEnum):
    EMAIL = "email"
    SMS = "sms"


@dataclass(frozen=True)
class SessionRef:
    """A session opened by a switch, as the link and the session it came from remember it."""

    session_id: str
    expires_at: int  # epoch seconds: past it, the session is dead anyway


@dataclass(frozen=True)
class AccountLink:
    """One side of a link between two customer accounts (both sides are stored, in one transaction)."""

    customer_id: str
    account_number: str  # this side's own account number
    linked_customer_id: str
    linked_account_number: str
    linked_at: str
    linked_by: str  # "customer#<id>"
    proof: LinkProof
    # Switches made from this side: how many (an unlink deletes the link only if none happened since it read it),
    # and the sessions they opened (what an unlink revokes).
    switches: int = 0
    switched_sessions: frozenset[SessionRef] = frozenset()


@dataclass(frozen=True)
class PendingLinkCode:
    """A code sent to another account's contact, for the requesting customer to link it (hashed, single use).

    One per requesting customer (a new request replaces it); bound to the requester and to the target."""

    customer_id: str  # the requester
    target_customer_id: str
    channel: LinkCodeChannel
    code_digest: str
    expires_at: int  # epoch seconds
    attempts: int = 0


@dataclass(frozen=True)
class SwitchOrigin:
    """Where a session opened by a switch came from: the switching customer and their session."""

    customer_id: str
    session_id: str


@dataclass(frozen=True)
class SwitchedSession:
    """A session as an unlink sees it: whether it is revoked, and the switches made from it (how many, and the
    sessions they opened)."""

    session_id: str
    customer_id: str  # the session's customer
    revoked: bool
    switches: int
    switched_to: frozenset[SessionRef] = frozenset()
