"""The one access policy: who may read, modify, or touch banking information of which customer.

Every capability asks `authorize(caller, permission)` for the customer whose space it serves.
Customers hold every permission on their own space and on no other. Staff hold the permissions of
their role (SPEC.md, Staff access) and reach a customer's space only through an assisted-access
grant, which the authorizer has already checked (staff, customer, expiry).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from selfcare.errors import AssistedAccessRequired, Forbidden, PasswordChangeRequired


class PrincipalType(StrEnum):
    CUSTOMER = "customer"
    STAFF = "staff"


class StaffRole(StrEnum):
    SALES = "sales"
    PRODUCTION = "production"  # production / test team, during an incident
    INFRASTRUCTURE = "infrastructure"
    CUSTOMER_SERVICE_STAFF = "customer_service_staff"  # subsidiary, on the customer's request
    CUSTOMER_SERVICE_ADVISOR = "customer_service_advisor"  # subsidiary


class Permission(StrEnum):
    READ = "read"
    MODIFY = "modify"
    BANKING = "banking"  # change banking information (IBAN, card, payment method)


ROLE_PERMISSIONS: dict[StaffRole, frozenset[Permission]] = {
    StaffRole.SALES: frozenset({Permission.READ}),
    StaffRole.PRODUCTION: frozenset({Permission.READ, Permission.MODIFY, Permission.BANKING}),
    StaffRole.INFRASTRUCTURE: frozenset({Permission.READ, Permission.MODIFY, Permission.BANKING}),
    StaffRole.CUSTOMER_SERVICE_STAFF: frozenset({Permission.READ}),
    StaffRole.CUSTOMER_SERVICE_ADVISOR: frozenset({Permission.READ, Permission.MODIFY}),
}


@dataclass(frozen=True)
class Caller:
    """Who is calling, as the authorizer established it (from the verified token and session)."""

    principal_type: PrincipalType
    principal_id: str
    session_id: str
    auth_time: int
    # The customer whose space the request serves: the customer themself, or the customer of the
    # staff member's assisted-access grant. None for staff acting outside any grant.
    customer_id: str | None = None
    role: StaffRole | None = None
    grant_id: str | None = None
    password_expired: bool = False
    # The grant's recorded reference ("incident:INC-...", "ticket:<id>"): the log reads require an incident.
    grant_reference: str | None = None

    @property
    def is_staff(self) -> bool:
        return self.principal_type is PrincipalType.STAFF

    @property
    def actor(self) -> str:
        return f"{self.principal_type.value}#{self.principal_id}"


def allows(role: StaffRole, permission: Permission) -> bool:
    return permission in ROLE_PERMISSIONS[role]


def authorize(caller: Caller, permission: Permission) -> str:
    """The customer id the caller may act on with `permission`, or a Forbidden error."""
    if caller.password_expired:
        raise PasswordChangeRequired()
    if caller.principal_type is PrincipalType.CUSTOMER:
        if caller.customer_id is None:
            raise Forbidden()
        return caller.customer_id
    if caller.customer_id is None or caller.grant_id is None or caller.role is None:
        raise AssistedAccessRequired()
    if not allows(caller.role, permission):
        raise Forbidden()
    return caller.customer_id


def require_staff(caller: Caller) -> StaffRole:
    if caller.principal_type is not PrincipalType.STAFF or caller.role is None:
        raise Forbidden("Only staff may do this.")
    if caller.password_expired:
        raise PasswordChangeRequired()
    return caller.role


def require_customer(caller: Caller) -> str:
    if caller.principal_type is not PrincipalType.CUSTOMER or caller.customer_id is None:
        raise Forbidden("Only the customer may do this.")
    return caller.customer_id
