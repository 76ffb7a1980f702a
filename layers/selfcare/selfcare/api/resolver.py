"""The resolver every capability's handler uses: validation, error shape, body size limit, closed spaces."""

from __future__ import annotations

from collections.abc import Mapping
from http import HTTPStatus
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools.event_handler import APIGatewayRestResolver

from selfcare.api import errors
from selfcare.auth.context import is_account_closed
from selfcare.errors import AccountClosed

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.typing import LambdaContext

# Largest request body accepted (infra/definitions.py MAX_BODY_BYTES says the same to the infra).
MAX_BODY_BYTES = 16 * 1024


class Resolver(APIGatewayRestResolver):
    """Powertools' REST resolver, refusing oversized bodies before any parsing or validation."""

    def resolve(self, event: Mapping[str, Any], context: LambdaContext) -> dict[str, Any]:
        body = event.get("body")
        request_context = event.get("requestContext") or {}
        request_id = request_context.get("requestId")
        if body is not None and len(body.encode() if isinstance(body, str) else body) > MAX_BODY_BYTES:
            response = errors.error_response(
                HTTPStatus.REQUEST_ENTITY_TOO_LARGE,
                "payload_too_large",
                f"The request body is larger than {MAX_BODY_BYTES} bytes.",
                request_id,
            )
            return _raw(response)
        if is_account_closed(request_context.get("authorizer")):
            # Retention: the authorizer found the session or grant of a closed space (the one place that decides
            # it); every route of every function answers this, before routing.
            closed = AccountClosed()
            return _raw(errors.error_response(errors.status_of(closed), closed.code, closed.message, request_id))
        return dict(super().resolve(event, context))


def _raw(response: Any) -> dict[str, Any]:
    return {
        "statusCode": response.status_code,
        "headers": {"Content-Type": "application/json"},
        "multiValueHeaders": {},
        "body": response.body,
        "isBase64Encoded": False,
    }


def create_resolver() -> Resolver:
    app = Resolver(enable_validation=True, response_validation_error_http_code=HTTPStatus.INTERNAL_SERVER_ERROR)
    errors.register(app)
    return app
