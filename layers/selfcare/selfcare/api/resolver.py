"""The resolver every capability's handler uses: validation, error shape, body size limit."""

from __future__ import annotations

from collections.abc import Callable
from http import HTTPStatus
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response
from aws_lambda_powertools.event_handler.middlewares import NextMiddleware

from selfcare.api import errors

# Largest request body accepted (infra/definitions.py MAX_BODY_BYTES says the same to the infra).
MAX_BODY_BYTES = 16 * 1024


def _limit_body(app: APIGatewayRestResolver, next_middleware: NextMiddleware) -> Response[Any]:
    body = app.current_event.body
    if body is not None and len(body.encode() if isinstance(body, str) else body) > MAX_BODY_BYTES:
        return errors.error_response(
            HTTPStatus.REQUEST_ENTITY_TOO_LARGE,
            "payload_too_large",
            f"The request body is larger than {MAX_BODY_BYTES} bytes.",
            app.current_event.request_context.request_id,
        )
    return next_middleware(app)


def create_resolver() -> APIGatewayRestResolver:
    app = APIGatewayRestResolver(
        enable_validation=True,
        response_validation_error_http_code=HTTPStatus.INTERNAL_SERVER_ERROR,
    )
    errors.register(app)
    middlewares: list[Callable[..., Response[Any]]] = [_limit_body]
    app.use(middlewares=middlewares)
    return app
