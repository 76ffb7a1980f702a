"""Who is calling and about which request, from the API Gateway event.

The caller comes only from the authorizer's context (requestContext.authorizer), which the
authorizer builds from a verified token, a live session and, for staff, a live grant.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from aws_lambda_powertools.utilities.data_classes import APIGatewayProxyEvent

from selfcare.auth.policy import Caller, PrincipalType, StaffRole
from selfcare.errors import Unauthenticated


@dataclass(frozen=True)
class RequestInfo:
    request_id: str
    source_ip: str
    user_agent: str | None


def request_info(event: APIGatewayProxyEvent) -> RequestInfo:
    context = event.request_context
    return RequestInfo(
        request_id=str(context.request_id or "unknown"),
        source_ip=str(context.identity.source_ip or "unknown"),
        user_agent=event.headers.get("User-Agent") or event.headers.get("user-agent"),
    )


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
    return context


def caller_from(event: APIGatewayProxyEvent) -> Caller:
    """The inverse of authorizer_context. API Gateway passes every value as a string."""
    raw: dict[str, Any] = dict(event.request_context.authorizer.get_context() or {})
    try:
        return Caller(
            principal_type=PrincipalType(raw["principal_type"]),
            principal_id=str(raw["principal_id"]),
            session_id=str(raw["session_id"]),
            auth_time=int(raw["auth_time"]),
            customer_id=raw.get("customer_id") or None,
            role=StaffRole(raw["role"]) if raw.get("role") else None,
            grant_id=raw.get("grant_id") or None,
            password_expired=str(raw.get("password_expired", "false")).lower() == "true",
        )
    except (KeyError, ValueError) as error:
        raise Unauthenticated() from error
