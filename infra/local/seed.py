"""Demo data for the local stack and the tests: two customers with lines and services, one staff
user per role. Passwords are generated at each run (never committed) and returned to be printed.

Credentials go through AuthService.enrol (the password policy and hashing of production); the
customer records go through the read model's repository. (When the CRM projection lands, the
records will go through it instead.)
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field, replace

from selfcare.account.models import Address, CustomerProfile, CustomerType, Line, LineType, SalesRepresentative
from selfcare.auth.models import Credential
from selfcare.auth.policy import PrincipalType, StaffRole
from selfcare.auth.wiring import build_auth_service
from selfcare.config import AuthSettings
from selfcare.dal.customers import CustomersRepository

from infra.local.seed_lines import seed_line_details


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


@dataclass
class DemoWorld:
    customers: list[DemoCustomer] = field(default_factory=list)
    staff: dict[StaffRole, DemoStaff] = field(default_factory=dict)


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
DIGITAL_IDENTITIES = {"C0001": "MCID-7F3A9C21"}


def seed_demo(settings: AuthSettings | None = None) -> DemoWorld:
    settings = settings or AuthSettings.from_env()
    auth = build_auth_service(settings)
    customers = CustomersRepository(settings.customers_table)
    world = DemoWorld()
    for template in PROFILES:
        profile = replace(template, service_secret_code=f"{secrets.randbelow(10_000):04d}")
        customers.put_profile(profile)
        password = demo_password()
        auth.enrol(
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
    for line in LINES:
        customers.put_line(line)
    seed_line_details(settings.customers_table)
    for number, role in enumerate(StaffRole, start=1):
        email = f"{role.value.replace('_', '.')}@operator.example"
        password = demo_password()
        auth.enrol(
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
    return world
