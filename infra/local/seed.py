"""Demo data for the local stack and the tests: two customers with lines and services, one staff
user per role. Passwords are generated at each run (never committed) and returned to be printed.

Credentials go through the auth service's enrolment (selfcare.auth.enrolment: the password policy and
hashing of production); the
customer records are CRM events (CustomerCreated) put on the CRM inbound bus and projected by the
projection handler (validation, conditional writes), delivered by infra/local/emulation.py's stand-in
for EventBridge -> Lambda. Lines and their services are the product inventory's events (infra/local/
seed_lines.py), projected the same way: the lines first, then what is under them.
"""

from __future__ import annotations

import json
import secrets
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from types import ModuleType
from typing import Any

from selfcare.account.models import Address, CustomerProfile, CustomerType, Line, LineType, SalesRepresentative
from selfcare.auth.models import Credential
from selfcare.auth.policy import PrincipalType, StaffRole
from selfcare.auth.wiring import build_auth_service
from selfcare.config import AuthSettings
from selfcare.projection import events as crm

from infra import definitions as d
from infra.local.seed_lines import demo_inventory_events


@dataclass(frozen=True)
class DemoCustomer:
    customer_id: str
    account_number: str
    login_id: str
    email: str
    phone: str
    password: str


@dataclass(frozen=True)
class DemoStaff:
    staff_id: str
    email: str
    role: StaffRole
    password: str


@dataclass(frozen=True)
class DemoPersonRef:
    """A person of the local OpenID Connect provider (infra/local/oidc_provider.py): a customer's digital identity
    or a staff member of the operator's directory."""

    person_id: str  # the provider's subject
    label: str
    customer_id: str | None = None  # the demo customer whose digital identity it is
    linked: bool = False  # already linked to that customer (else its first login asks for the link)
    role: StaffRole | None = None  # the role the directory's group gives (staff)


@dataclass
class DemoWorld:
    customers: list[DemoCustomer] = field(default_factory=list)
    staff: dict[StaffRole, DemoStaff] = field(default_factory=dict)
    # Identity (issue 8): account numbers of customers known to the CRM who never had a password.
    to_activate: list[str] = field(default_factory=list)
    persons: list[DemoPersonRef] = field(default_factory=list)


def demo_password() -> str:
    return "Demo-" + secrets.token_urlsafe(12)


PROFILES = (
    CustomerProfile(
        customer_id="C0001",
        account_number="100200300",
        customer_type=CustomerType.CONSUMER,
        last_name="Dupont",
        first_name="Jeanne",
        address=Address(line1="12 boulevard des Moulins", postal_code="98000", city="Monaco", country="MC"),
        contact_email="jeanne.dupont@example.mc",
        contact_mobile="+377612345678",
        contact_landline="+37797970000",
        service_secret_code="",  # generated at each seed
    ),
    CustomerProfile(
        customer_id="C0002",
        account_number="100200400",
        customer_type=CustomerType.BUSINESS,
        last_name="Rossi",
        first_name="Marco",
        company_name="Riviera Yachting SAM",
        trade_name="Riviera Yachting",
        address=Address(line1="5 quai des Docks", line2="Bâtiment B", postal_code="06300", city="Nice", country="FR"),
        sales_representative=SalesRepresentative(
            name="Claire Martin", email="claire.martin@operator.example", phone="+37798980000"
        ),
        contact_email="marco.rossi@riviera-yachting.example",
        contact_mobile="+377623456780",
        contact_landline=None,
        service_secret_code="",  # generated at each seed
    ),
)

LINES = (
    Line(
        "C0001", "M-377612345678", LineType.MOBILE, "Forfait 100 Go", "+377612345678", details={"user": "Jeanne Dupont"}
    ),
    Line(
        "C0001",
        "M-377612345679",
        LineType.MOBILE,
        "Forfait Junior 20 Go",
        "+377612345679",
        details={"user": "Lou Dupont"},
    ),
    Line("C0001", "F-37797970000", LineType.FIXED, "Fixe Illimité", "+37797970000"),
    Line("C0001", "I-0001", LineType.INTERNET, "Fibre 1 Gb/s", None, details={"voip_number": "+37797970000"}),
    Line("C0001", "T-0001", LineType.TV, "TV Essentiel", None),
    Line("C0002", "M-377623456780", LineType.MOBILE, "Pro 200 Go", "+377623456780", details={"user": "Marco Rossi"}),
    Line("C0002", "M-377623456781", LineType.MOBILE, "Pro 200 Go", "+377623456781", details={"user": "Skipper"}),
    Line("C0002", "M-377623456782", LineType.MOBILE, "Pro Data 50 Go", "+377623456782", details={"user": "Tablet"}),
    Line("C0002", "I-0002", LineType.INTERNET, "Fibre Pro 2 Gb/s", None),
    Line("C0002", "O-0002", LineType.OTHER, "Password manager", None),
)

LOGIN_IDS = {"C0001": "jdupont", "C0002": "riviera.yachting"}
# Identity (issue 8): a customer of the CRM without a password yet (the local stack only): try the activation.
TO_ACTIVATE = CustomerProfile(
    customer_id="C0003",
    account_number="100200500",
    customer_type=CustomerType.CONSUMER,
    last_name="Martin",
    first_name="Luc",
    address=Address(line1="1 rue Grimaldi", postal_code="98000", city="Monaco", country="MC"),
    contact_email="luc.martin@example.mc",
    contact_mobile="+377612349911",
    contact_landline=None,
    service_secret_code="",  # generated at each seed
)
TO_ACTIVATE_LINE = Line("C0003", "M-377612349911", LineType.MOBILE, "Forfait 20 Go", "+377612349911")
# Digital identities already linked to a demo customer (the customer record and the credential name them).
DIGITAL_IDENTITIES = {"C0001": "MCID-7F3A9C21"}
# The local identity provider's people: one digital identity per demo customer (given name, family name, birth
# date), and one directory member per staff role (professional email, group) plus one in no Selfcare group.
DEMO_IDENTITIES = {
    "C0001": ("MCID-7F3A9C21", "Jeanne", "Dupont", "1984-03-12"),
    "C0002": ("MCID-2B5E8D47", "Marco", "Rossi", "1979-11-02"),
}
DIRECTORY_OUTSIDER = ("EMP-900", "former.employee@operator.example", "operator-all-staff")


def seed_demo(settings: AuthSettings | None = None, *, demo_bills: bool = True) -> DemoWorld:
    """The demo world. `demo_bills`: also 12 months of invoices, 6 of payments and recent usage (the local
    stack); the integration tests' world starts without them (their billing tests write their own)."""
    settings = settings or AuthSettings.from_env()
    auth = build_auth_service(settings)
    world = DemoWorld()
    profiles = [replace(p, service_secret_code=f"{secrets.randbelow(10_000):04d}") for p in PROFILES]
    publish_crm_events([customer_created(profile) for profile in profiles])
    if demo_bills:
        now = datetime.now(UTC)
        publish_crm_events([e for profile in profiles for e in demo_billing_events(profile.customer_id, now)])
    if demo_bills:  # the local stack: also a customer to activate (the tests' world keeps two customers)
        secret_code = f"{secrets.randbelow(10_000):04d}"
        publish_crm_events([customer_created(replace(TO_ACTIVATE, service_secret_code=secret_code))])
        world.to_activate.append(TO_ACTIVATE.account_number)
    deliver_crm_events()
    for profile in profiles:
        password = demo_password()
        auth.enrolment.enrol(
            Credential(
                principal_type=PrincipalType.CUSTOMER,
                principal_id=profile.customer_id,
                password_hash="",
                password_changed_at=0,
                login_id=LOGIN_IDS[profile.customer_id],
                email=profile.contact_email,
                phone=profile.contact_mobile,
                account_number=profile.account_number,
                digital_identity_id=DIGITAL_IDENTITIES.get(profile.customer_id),
            ),
            password,
        )
        world.customers.append(
            DemoCustomer(
                customer_id=profile.customer_id,
                account_number=profile.account_number,
                login_id=LOGIN_IDS[profile.customer_id],
                email=profile.contact_email or "",
                phone=profile.contact_mobile or "",
                password=password,
            )
        )
    # The product inventory's side: the lines, then their SIMs, services and usage (each needs its line).
    for batch in demo_inventory_events(LINES + ((TO_ACTIVATE_LINE,) if demo_bills else ())):
        publish_crm_events(batch, source=d.INVENTORY_EVENT_SOURCE)
        deliver_crm_events()
    for number, role in enumerate(StaffRole, start=1):
        email = staff_email(role)
        password = demo_password()
        auth.enrolment.enrol(
            Credential(
                principal_type=PrincipalType.STAFF,
                principal_id=f"S{number:03d}",
                password_hash="",
                password_changed_at=0,
                professional_email=email,
                role=role,
            ),
            password,
        )
        world.staff[role] = DemoStaff(staff_id=f"S{number:03d}", email=email, role=role, password=password)
    world.persons = demo_persons()
    link_demo_identities(settings, profiles)
    seed_demo_requests(settings.customers_table, profiles)
    return world


def demo_request_id(customer_id: str) -> str:
    """The open request (a ticket taken by phone) of each demo customer: what a customer-service staff grant names."""
    return f"demo-request-{customer_id.lower()}"


def seed_demo_requests(customers_table: str, profiles: list[CustomerProfile]) -> None:
    from selfcare.account.models import Ticket, TicketCategory, TicketChannel, TicketStatus
    from selfcare.dal.account import ticket_put_op
    from selfcare.dal.dynamo import transact

    at = datetime.now(UTC).isoformat()
    for profile in profiles:
        ticket = Ticket(
            customer_id=profile.customer_id,
            ticket_id=demo_request_id(profile.customer_id),
            category=TicketCategory.ACCOUNT,
            subject="Help with my customer space",
            description="Called customer service: asked for help to find the last invoice.",
            channel=TicketChannel.ASSISTED,
            status=TicketStatus.OPEN,
            created_at=at,
            created_by="staff#S005",
        )
        transact([ticket_put_op(customers_table, ticket)])


def demo_persons() -> list[DemoPersonRef]:
    persons = [
        DemoPersonRef(
            person_id=subject,
            label=f"{given} {family} (digital identity of {customer_id})",
            customer_id=customer_id,
            linked=DIGITAL_IDENTITIES.get(customer_id) == subject,
        )
        for customer_id, (subject, given, family, _) in DEMO_IDENTITIES.items()
    ]
    for number, role in enumerate(StaffRole, start=1):
        persons.append(DemoPersonRef(f"EMP-{number:03d}", f"{staff_email(role)} (directory, {role.value})", role=role))
    persons.append(DemoPersonRef(DIRECTORY_OUTSIDER[0], f"{DIRECTORY_OUTSIDER[1]} (directory, no Selfcare group)"))
    return persons


def staff_email(role: StaffRole) -> str:
    return f"{role.value.replace('_', '.')}@operator.example"


def link_demo_identities(settings: AuthSettings, profiles: list[CustomerProfile]) -> None:
    """The link items of the digital identities already linked (as POST /auth/digital-identity/link writes them)."""
    from selfcare.dal.digital_identity import DigitalIdentityRepository, IdentityClaims, IdentityLink
    from selfcare.dal.dynamo import transact

    repository = DigitalIdentityRepository(settings.sessions_table, settings.credentials_table)
    for profile in profiles:
        subject = DIGITAL_IDENTITIES.get(profile.customer_id)
        if subject is None:
            continue
        _, given, family, birth_date = DEMO_IDENTITIES[profile.customer_id]
        claims = IdentityClaims(subject, family, given, birth_date)
        link = IdentityLink(claims, profile.customer_id, profile.account_number, datetime.now(UTC).isoformat())
        transact([repository.put_link_op(link)])


# The CRM's side: events put on the inbound bus, projected like production's ------------------------------
BILLING = {
    "C0001": crm.BillingSettings(
        invoice_type=crm.InvoiceType.ELECTRONIC,
        payment_method=crm.PaymentMethod(kind=crm.PaymentMethodKind.DIRECT_DEBIT, masked="MC58 **** **** **** 0189"),
    ),
    "C0002": crm.BillingSettings(
        address=crm.Address(line1="BP 42", postal_code="98000", city="Monaco", country="MC"),
        invoice_type=crm.InvoiceType.PAPER,
        payment_method=crm.PaymentMethod(kind=crm.PaymentMethodKind.CARD, masked="**** **** **** 4242"),
    ),
}


def customer_created(profile: CustomerProfile, version: int = 1) -> crm.CustomerCreated:
    """The CRM's CustomerCreated event of a demo profile."""
    address = profile.address
    rep = profile.sales_representative
    record = crm.CustomerRecord(
        customer_id=profile.customer_id,
        account_number=profile.account_number,
        customer_type=crm.CustomerType(profile.customer_type.value),
        last_name=profile.last_name,
        first_name=profile.first_name,
        company_name=profile.company_name,
        trade_name=profile.trade_name,
        address=crm.Address(
            line1=address.line1,
            line2=address.line2,
            postal_code=address.postal_code,
            city=address.city,
            country=address.country,
        ),
        sales_representative=crm.SalesRepresentative(name=rep.name, email=rep.email, phone=rep.phone) if rep else None,
        contact_email=profile.contact_email,
        contact_mobile=profile.contact_mobile,
        contact_landline=profile.contact_landline,
        service_secret_code=profile.service_secret_code,
        digital_identity_id=DIGITAL_IDENTITIES.get(profile.customer_id),
        billing=BILLING.get(profile.customer_id, crm.BillingSettings()),
    )
    return crm.CustomerCreated(
        event_id=f"demo-{uuid.uuid4()}",
        entity_version=version,
        occurred_at=datetime.now(UTC),
        customer=record,
    )


# Demo bills and usage (the billing system's events): an invoice on the 1st of each of the last 12 months,
# each paid 10 days later except the newest (the amount due), and usage records of the last 30 days.
MONTHLY = {"C0001": 4990, "C0002": 18900}
USAGE_LINES = {"C0001": ("M-377612345678", "+377612345678"), "C0002": ("M-377623456780", "+377623456780")}


def demo_billing_events(customer_id: str, now: datetime) -> list[crm.EventDetail]:
    from selfcare.clock import add_months

    found: list[crm.EventDetail] = []
    first_of_month = now.replace(day=1, hour=2, minute=0, second=0, microsecond=0)
    method = BILLING[customer_id].payment_method
    assert method is not None
    for back in range(11, -1, -1):
        issued = add_months(first_of_month, -back)
        if issued > now:
            continue
        number = f"INV-{issued:%Y%m}-{customer_id}"
        amount = MONTHLY[customer_id] + (back * 37) % 500
        found.append(
            crm.InvoiceIssued(
                event_id=f"demo-{uuid.uuid4()}",
                entity_version=1,
                occurred_at=issued,
                customer_id=customer_id,
                invoice=crm.Invoice(
                    invoice_id=number,
                    issued_at=issued,
                    due_date=(issued + timedelta(days=20)).date(),
                    amount_cents=amount,
                    currency="EUR",
                    pdf_reference=f"invoices/{customer_id}/{number}.pdf",
                ),
            )
        )
        paid_at = issued + timedelta(days=10)
        if back > 0 and paid_at <= now:
            found.append(
                crm.PaymentReceived(
                    event_id=f"demo-{uuid.uuid4()}",
                    entity_version=1,
                    occurred_at=paid_at,
                    customer_id=customer_id,
                    payment=crm.Payment(
                        payment_id=f"PAY-{issued:%Y%m}-{customer_id}",
                        received_at=paid_at,
                        amount_cents=amount,
                        currency="EUR",
                        method=method,
                        invoice_id=number,
                    ),
                )
            )
    line_id, number = USAGE_LINES[customer_id]
    kinds = [
        ("CALL", {"duration_seconds": 185, "called_number": "+33612345678", "destination_country": "FR"}, 0),
        ("SMS", {"quantity": 1, "called_number": "+37761234599", "destination_country": "MC"}, 0),
        ("DATA", {"volume_bytes": 52_428_800}, 0),
        ("CALL", {"duration_seconds": 62, "called_number": "+390612345678", "destination_country": "IT"}, 120),
        ("MMS", {"quantity": 1, "called_number": "+37761234599", "destination_country": "MC"}, 35),
    ]
    records = []
    for index in range(30):
        kind, fields, cents = kinds[index % len(kinds)]
        records.append(
            crm.UsageRecord(
                record_id=f"U-{customer_id}-{index:03d}",
                line_id=line_id,
                line_number=number,
                started_at=now - timedelta(days=index, hours=index % 7),
                type=crm.UsageType(kind),
                origin_country="IT" if index % 9 == 0 else "MC",
                amount_excl_tax_cents=cents,
                **fields,
            )
        )
    found.append(
        crm.UsageRecordsBatch(
            event_id=f"demo-{uuid.uuid4()}",
            entity_version=1,
            occurred_at=now,
            customer_id=customer_id,
            batch_id=f"USG-{now:%Y%m%d}-{customer_id}",
            records=records,
        )
    )
    return found


def _events_client() -> Any:
    import boto3

    return boto3.client("events")


def publish_crm_events(details: Sequence[crm.EventDetail], source: str = d.CRM_EVENT_SOURCE) -> None:
    """Put CRM events on the inbound bus as the operator's CRM does (10 per PutEvents); raises on a failed entry.
    `source`: d.INVENTORY_EVENT_SOURCE for the product inventory's events (lines and services)."""
    client = _events_client()
    entries = [
        {
            "Source": source,
            "DetailType": type(detail).__name__,
            "Detail": json.dumps(detail.model_dump(mode="json")),
            "EventBusName": d.CRM_INBOUND_BUS_NAME,
        }
        for detail in details
    ]
    for start in range(0, len(entries), 10):
        response = client.put_events(Entries=entries[start : start + 10])
        if response.get("FailedEntryCount"):
            raise RuntimeError(f"{response['FailedEntryCount']} CRM events were not accepted by the bus")


_projection_handler: ModuleType | None = None


def deliver_crm_events() -> int:
    """Project every event waiting on the local delivery queue now (infra/local/emulation.py, section 3)."""
    global _projection_handler
    import boto3

    from infra.local.emulation import CRM_DELIVERY_QUEUE_NAME
    from infra.local.emulation import deliver_crm_events as deliver
    from infra.local.gateway import load_handler

    if _projection_handler is None:
        _projection_handler = load_handler(d.PROJECTION)
    sqs = boto3.client("sqs")
    queue_url = sqs.get_queue_url(QueueName=CRM_DELIVERY_QUEUE_NAME)["QueueUrl"]
    return deliver(sqs, queue_url, _projection_handler.lambda_handler)


def provider_persons(world: DemoWorld) -> list[Any]:
    """The demo people as the local OpenID Connect provider serves them (infra/local/oidc_provider.py DemoPerson):
    customers' digital identities with their claims, staff with their professional email and directory group."""
    from selfcare.auth.staff_directory import DEFAULT_GROUP_ROLES

    from infra.local.oidc_provider import DemoPerson

    group_of = {role: group for group, role in DEFAULT_GROUP_ROLES.items()}
    found: list[Any] = []
    for person in world.persons:
        if person.customer_id is not None:
            _, given, family, birth_date = DEMO_IDENTITIES[person.customer_id]
            found.append(DemoPerson(person.person_id, person.label, given, family, birth_date))
        elif person.role is not None:
            found.append(
                DemoPerson(
                    person.person_id, person.label, email=staff_email(person.role), groups=(group_of[person.role],)
                )
            )
        else:
            found.append(
                DemoPerson(person.person_id, person.label, email=DIRECTORY_OUTSIDER[1], groups=(DIRECTORY_OUTSIDER[2],))
            )
    return found
