"""The caller, as the authorizer hands it to API Gateway and API Gateway to the handlers.

Kept apart from the authorizer (no JWT or DynamoDB import) so that every handler can read it cheaply.
"""

from __future__ import annotations

from typing import Any

from selfcare.auth.policy import Caller, PrincipalType, StaffRole
from selfcare.errors import AccountClosed, Unauthenticated

# Retention: what the authorizer hands on (alone) for a session or grant of a closed space.
ACCOUNT_CLOSED = "account_closed"


def is_account_closed(raw: dict[str, Any] | None) -> bool:
    return str((raw or {}).get(ACCOUNT_CLOSED, "false")).lower() == "true"


def closed_context() -> dict[str, str | int | bool]:
    return {ACCOUNT_CLOSED: True}


def authorizer_context(caller: Caller) -> dict[str, str | int | bool]:
    """What the authorizer hands to API Gateway (values must be strings, numbers or booleans)."""
    context: dict[str, str | int | bool] = {
        "principal_type": caller.principal_type.value,
        "principal_id": caller.principal_id,
        "session_id": caller.session_id,
        "auth_time": caller.auth_time,
        "password_expired": caller.password_expired,
    }
    if caller.customer_id:
        context["customer_id"] = caller.customer_id
    if caller.role:
        context["role"] = caller.role.value
    if caller.grant_id:
        context["grant_id"] = caller.grant_id
    if caller.grant_reference:
        context["grant_reference"] = caller.grant_reference
    return context


def caller_from_context(raw: dict[str, Any]) -> Caller:
    """The inverse of authorizer_context, from what API Gateway passes on (every value a string)."""
    if is_account_closed(raw):
        raise AccountClosed()
    try:
        return Caller(
            principal_type=PrincipalType(raw["principal_type"]),
            principal_id=str(raw["principal_id"]),
            session_id=str(raw["session_id"]),
            auth_time=int(raw["auth_time"]),
            customer_id=raw.get("customer_id") or None,
            role=StaffRole(raw["role"]) if raw.get("role") else None,
            grant_id=raw.get("grant_id") or None,
            grant_reference=raw.get("grant_reference") or None,
            password_expired=str(raw.get("password_expired", "false")).lower() == "true",
        )
    except (KeyError, ValueError) as error:
        raise Unauthenticated() from error
