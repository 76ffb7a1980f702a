"""Who is calling and about which request, from the API Gateway event.

The caller comes only from the authorizer's context (requestContext.authorizer), which the
authorizer builds from a verified token, a live session and, for staff, a live grant.
"""

from __future__ import annotations

from dataclasses import dataclass

from aws_lambda_powertools.utilities.data_classes import APIGatewayProxyEvent

from selfcare.auth.context import caller_from_context
from selfcare.auth.policy import Caller


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


def caller_from(event: APIGatewayProxyEvent) -> Caller:
    """The caller the authorizer established (API Gateway passes its context values as strings)."""
    return caller_from_context(dict(event.request_context.authorizer.get_context() or {}))
