"""The one error shape, and the one mapping from domain errors to HTTP statuses.

Every error a Selfcare route answers has the body
`{"error": {"code": ..., "message": ..., "request_id": ..., "details": [...]}}`
(`details` only for 422: one entry per problem, with its location). API Gateway's own errors
(unauthorized, throttled, ...) use the same shape (infra/definitions.py GATEWAY_RESPONSES).
"""

from __future__ import annotations

import json
import traceback
from http import HTTPStatus
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response, content_types
from aws_lambda_powertools.event_handler.openapi.exceptions import (
    RequestUnsupportedContentType,
    RequestValidationError,
    ResponseValidationError,
)
from pydantic import Field

from selfcare import errors
from selfcare.api.schema import Schema
from selfcare.observability import logger

STATUS: dict[type[errors.DomainError], HTTPStatus] = {
    errors.InvalidInput: HTTPStatus.UNPROCESSABLE_ENTITY,
    errors.InvalidCredentials: HTTPStatus.UNAUTHORIZED,
    errors.Unauthenticated: HTTPStatus.UNAUTHORIZED,
    errors.InvalidRefreshToken: HTTPStatus.UNAUTHORIZED,
    errors.ReauthenticationRequired: HTTPStatus.UNAUTHORIZED,
    errors.InvalidRecoveryToken: HTTPStatus.BAD_REQUEST,
    errors.InvalidVerificationCode: HTTPStatus.BAD_REQUEST,
    errors.CaptchaRequired: HTTPStatus.BAD_REQUEST,  # identity (issue 8)
    errors.InvalidActivationCode: HTTPStatus.BAD_REQUEST,  # identity (issue 8)
    errors.Forbidden: HTTPStatus.FORBIDDEN,
    errors.NotFound: HTTPStatus.NOT_FOUND,
    errors.Conflict: HTTPStatus.CONFLICT,
    errors.AccountClosed: HTTPStatus.GONE,
    errors.TooManyRequests: HTTPStatus.TOO_MANY_REQUESTS,
    errors.PayloadTooLarge: HTTPStatus.REQUEST_ENTITY_TOO_LARGE,
    errors.ProvisioningRefused: HTTPStatus.BAD_GATEWAY,
    errors.ProvisioningUnavailable: HTTPStatus.SERVICE_UNAVAILABLE,
    errors.PaymentDeclined: HTTPStatus.PAYMENT_REQUIRED,
    errors.PaymentProviderUnavailable: HTTPStatus.GATEWAY_TIMEOUT,
    errors.BadRequest: HTTPStatus.BAD_REQUEST,
    errors.UnsupportedMediaType: HTTPStatus.UNSUPPORTED_MEDIA_TYPE,
    # Digital-identity login (OpenID Connect).
    errors.InvalidAuthorizationState: HTTPStatus.BAD_REQUEST,
    errors.InvalidLinkTicket: HTTPStatus.BAD_REQUEST,
    errors.IdentityProviderUnavailable: HTTPStatus.SERVICE_UNAVAILABLE,
    # Staff grants bound to an open incident: the incident tracker (fail closed).
    errors.IncidentTrackerUnavailable: HTTPStatus.SERVICE_UNAVAILABLE,
}


def status_of(error: errors.DomainError) -> HTTPStatus:
    for cls in type(error).__mro__:
        if cls in STATUS:
            return STATUS[cls]
    return HTTPStatus.BAD_REQUEST


class ErrorDetail(Schema):
    loc: list[str | int] = Field(description="Where the problem is: ['body', 'field'], ['path', 'id'], ...")
    message: str
    type: str


class ErrorContent(Schema):
    code: str = Field(description="Stable machine-readable error code")
    message: str = Field(description="Human-readable explanation")
    request_id: str | None = None
    details: list[ErrorDetail] | None = None


class Error(Schema):
    """Selfcare's one error shape."""

    error: ErrorContent


_DESCRIPTIONS = {
    400: "Bad request",
    401: "Not authenticated, or credentials refused",
    402: "The payment provider declined the payment",
    403: "Forbidden by the access policy",
    404: "Not found (also: not yours)",
    409: "Conflict with the current state",
    410: "account_closed: the customer's space is closed (1 month after the end of the contract), for everyone",
    413: "Request body too large",
    415: "The body is not sent as application/json",
    422: "Invalid input, with the location of each problem",
    429: "Too many attempts (see Retry-After)",
    500: "Internal error",
    502: "The network provisioning system refused the change",
    503: "An upstream system (network provisioning, identity provider) is unavailable: try again later",
    504: "The payment provider did not answer in time: try again later",
}
# 410: every route of a closed account answers it (decided once, by the authorizer: selfcare.api.resolver).
COMMON_STATUSES = (410, 413, 422, 500)


def responses(*statuses: int, success: dict[int, Any] | None = None) -> dict[int, Any]:
    """OpenAPI `responses` of a route: its success responses plus the error statuses it answers."""
    declared: dict[int, Any] = dict(success or {})
    for status in sorted({*statuses, *COMMON_STATUSES}):
        declared[status] = {
            "description": _DESCRIPTIONS[status],
            "content": {"application/json": {"model": Error}},
        }
    return declared


def error_response(
    status: HTTPStatus,
    code: str,
    message: str,
    request_id: str | None,
    details: list[ErrorDetail] | None = None,
    headers: dict[str, str] | None = None,
) -> Response[Any]:
    body = Error(error=ErrorContent(code=code, message=message, request_id=request_id, details=details))
    return Response(
        status_code=int(status),
        content_type=content_types.APPLICATION_JSON,
        body=body.model_dump_json(exclude_none=True),
        headers=headers,
    )


def _request_id(app: APIGatewayRestResolver) -> str | None:
    try:
        return str(app.current_event.request_context.request_id)
    except (AttributeError, KeyError):
        return None


def parse_json_body(text: str) -> Any:
    """The resolvers' JSON parser: what `json` cannot parse safely is a 400 `bad_request`, not a 500.

    Malformed JSON stays a JSONDecodeError (Powertools answers 422 json_invalid with its position);
    nesting beyond the recursion limit (RecursionError) and integers beyond Python's 4,300 digits
    (ValueError) become errors.BadRequest.
    """
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        raise
    except (RecursionError, ValueError):
        raise errors.BadRequest() from None


def register(app: APIGatewayRestResolver) -> None:
    """Install the error handlers on a resolver."""

    @app.exception_handler(RequestValidationError)
    def _invalid(error: RequestValidationError) -> Response[Any]:
        # Never echo the input back (it may be a password): location, message and type only.
        details = [
            ErrorDetail(
                loc=list(problem.get("loc", ())),
                message=str(problem.get("msg", "")),
                type=str(problem.get("type", "")),
            )
            for problem in error.errors()
        ]
        return error_response(
            HTTPStatus.UNPROCESSABLE_ENTITY,
            "validation_error",
            "The request is not valid.",
            _request_id(app),
            details,
        )

    @app.exception_handler(RequestUnsupportedContentType)
    def _unsupported_content_type(_: RequestUnsupportedContentType) -> Response[Any]:
        error = errors.UnsupportedMediaType()
        return error_response(status_of(error), error.code, error.message, _request_id(app))

    @app.exception_handler(errors.DomainError)
    def _domain(error: errors.DomainError) -> Response[Any]:
        details = None
        headers = None
        if isinstance(error, errors.InvalidInput):
            details = [ErrorDetail(loc=list(p.loc), message=p.message, type=p.type) for p in error.problems]
        if isinstance(error, errors.TooManyRequests):
            headers = {"Retry-After": str(error.retry_after_seconds)}
        return error_response(status_of(error), error.code, error.message, _request_id(app), details, headers)

    @app.not_found
    def _not_found(_: Exception) -> Response[Any]:
        return error_response(HTTPStatus.NOT_FOUND, "not_found", "No such route.", _request_id(app))

    @app.exception_handler(ResponseValidationError)
    def _bad_response(error: ResponseValidationError) -> Response[Any]:
        logger.error("response failed validation", extra={"problems": len(error.errors())})
        return error_response(HTTPStatus.INTERNAL_SERVER_ERROR, "internal_error", "Internal error.", _request_id(app))

    @app.exception_handler(Exception)
    def _unexpected(error: Exception) -> Response[Any]:
        # Frames only: an exception's message may carry personal data.
        logger.error(
            "unhandled error",
            extra={
                "error_type": type(error).__name__,
                "frames": traceback.format_tb(error.__traceback__)[-5:],
            },
        )
        return error_response(HTTPStatus.INTERNAL_SERVER_ERROR, "internal_error", "Internal error.", _request_id(app))
