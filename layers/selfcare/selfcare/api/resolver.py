"""The resolver every capability's handler uses: validation, error shape, body size limit."""

from __future__ import annotations

from collections.abc import Mapping
from http import HTTPStatus
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools.event_handler import APIGatewayRestResolver

from selfcare.api import errors

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.typing import LambdaContext

# Largest request body accepted (infra/definitions.py MAX_BODY_BYTES says the same to the infra).
MAX_BODY_BYTES = 16 * 1024


class Resolver(APIGatewayRestResolver):
    """Powertools' REST resolver, refusing oversized bodies before any parsing or validation."""

    def resolve(self, event: Mapping[str, Any], context: LambdaContext) -> dict[str, Any]:
        body = event.get("body")
        if body is not None and len(body.encode() if isinstance(body, str) else body) > MAX_BODY_BYTES:
            request_id = (event.get("requestContext") or {}).get("requestId")
            response = errors.error_response(
                HTTPStatus.REQUEST_ENTITY_TOO_LARGE,
                "payload_too_large",
                f"The request body is larger than {MAX_BODY_BYTES} bytes.",
                request_id,
            )
            return {
                "statusCode": response.status_code,
                "headers": {"Content-Type": "application/json"},
                "multiValueHeaders": {},
                "body": response.body,
                "isBase64Encoded": False,
            }
        return dict(super().resolve(event, context))


def create_resolver() -> Resolver:
    app = Resolver(enable_validation=True, response_validation_error_http_code=HTTPStatus.INTERNAL_SERVER_ERROR)
    errors.register(app)
    return app
