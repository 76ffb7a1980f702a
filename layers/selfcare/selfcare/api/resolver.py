"""The resolver every capability's handler uses: validation, error shape, body size limit, closed spaces, security
headers."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from http import HTTPStatus
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response

from selfcare import errors as domain
from selfcare.api import errors
from selfcare.api.headers import add_security_headers
from selfcare.auth.context import is_account_closed
from selfcare.config import UsageStatsSettings
from selfcare.dal.usage_stats import UsageCounter
from selfcare.errors import AccountClosed
from selfcare.privacy.usage import use_of

if TYPE_CHECKING:
    from aws_lambda_powertools.event_handler.openapi.types import OpenAPIResponse
    from aws_lambda_powertools.utilities.typing import LambdaContext

# Largest request body accepted (infra/definitions.py MAX_BODY_BYTES says the same to the infra).
MAX_BODY_BYTES = 16 * 1024


def with_success(responses: dict[int, Any] | None, status_code: int, description: str) -> dict[int, Any]:
    """A route's `responses` with its success entry always present.

    Powertools adds its default 200 (the return annotation's schema) only when `responses` is empty, so
    a route declaring its errors would lose it. Here a route without a 2xx entry gets one for its
    `status_code`, without `content`: Powertools then fills it with the return annotation's schema.
    A 204 entry never has a body: its content is emptied (infra/openapi.py drops the empty map).
    """
    declared = dict(responses or {})
    if not any(200 <= int(status) < 300 for status in declared):
        declared[status_code] = {"description": description}
    if 204 in declared:
        declared[204] = {**declared[204], "content": {}}
    return declared


def no_content() -> Response[None]:
    """204: no body and no Content-Type."""
    return Response(status_code=HTTPStatus.NO_CONTENT, body=None)


class Resolver(APIGatewayRestResolver):
    """Powertools' REST resolver: every route declares its success response (`with_success`), and
    oversized bodies are refused before any parsing or validation. Every answer, refusals included, is counted
    in the usage statistics (`usage_counter`: one UpdateItem, never failing the request; None: not counted)."""

    usage_counter: UsageCounter | None = None

    def route(
        self,
        rule: str,
        method: str | list[str] | tuple[str],
        cors: bool | None = None,
        compress: bool = False,
        cache_control: str | None = None,
        summary: str | None = None,
        description: str | None = None,
        responses: dict[int, OpenAPIResponse] | None = None,
        response_description: str = "Successful Response",
        tags: list[str] | None = None,
        operation_id: str | None = None,
        include_in_schema: bool = True,
        security: list[dict[str, list[str]]] | None = None,
        openapi_extensions: dict[str, Any] | None = None,
        deprecated: bool = False,
        enable_validation: bool | None = None,
        custom_response_validation_http_code: int | HTTPStatus | None = None,
        status_code: int = 200,
        middlewares: list[Callable[..., Any]] | None = None,
    ) -> Callable[[Any], Any]:
        return super().route(
            rule,
            method,
            cors,
            compress,
            cache_control,
            summary,
            description,
            with_success(responses, status_code, response_description),
            response_description,
            tags,
            operation_id,
            include_in_schema,
            security,
            openapi_extensions,
            deprecated,
            enable_validation,
            custom_response_validation_http_code,
            status_code,
            middlewares,
        )

    def resolve(self, event: Mapping[str, Any], context: LambdaContext) -> dict[str, Any]:
        # Every answer, refusals included, carries the security headers (selfcare.api.headers).
        response = dict(add_security_headers(self._answer(event, context)))
        if self.usage_counter is not None:
            # Usage statistics (issue 10): the route template, platform, outcome and day; nothing identifying.
            use = use_of(event, int(response.get("statusCode", 500)), datetime.now(UTC))
            if use is not None:
                self.usage_counter.count(use, datetime.now(UTC))
        return response

    def _answer(self, event: Mapping[str, Any], context: LambdaContext) -> dict[str, Any]:
        body = event.get("body")
        request_context = event.get("requestContext") or {}
        request_id = request_context.get("requestId")
        if body is not None and len(body.encode() if isinstance(body, str) else body) > MAX_BODY_BYTES:
            return _refusal(
                HTTPStatus.REQUEST_ENTITY_TOO_LARGE,
                "payload_too_large",
                f"The request body is larger than {MAX_BODY_BYTES} bytes.",
                request_id,
            )
        content_type = _header(event, "content-type")
        if body and not _is_json(content_type) and self._takes_body(event):
            # Powertools would parse a form body, and answer 500 for any other type: the API speaks JSON only.
            refused = domain.UnsupportedMediaType()
            return _refusal(HTTPStatus.UNSUPPORTED_MEDIA_TYPE, refused.code, refused.message, request_id)
        if content_type and _is_json(content_type):
            # Media types are case-insensitive (RFC 9110): `Application/JSON` is JSON, though Powertools compares
            # the raw header with "application/json"; it gets the lower-case form.
            event = _with_content_type(event, _json_media_type(content_type))
        if is_account_closed(request_context.get("authorizer")):
            # Retention: the authorizer found the session or grant of a closed space (the one place that decides
            # it); every route of every function answers this, before routing.
            closed = AccountClosed()
            return _refusal(errors.status_of(closed), closed.code, closed.message, request_id)
        return dict(super().resolve(event, context))

    def _takes_body(self, event: Mapping[str, Any]) -> bool:
        """Whether the route of this event (API Gateway's resource and method) has a body parameter."""
        key = (str(event.get("httpMethod", "")).upper(), str(event.get("resource", "")))
        if key not in self._body_routes:
            routes = [*self._static_routes, *self._dynamic_routes]
            route = next((r for r in routes if (r.method, r.openapi_path) == key), None)
            self._body_routes[key] = route is not None and route.body_field is not None
        return self._body_routes[key]

    @property
    def _body_routes(self) -> dict[tuple[str, str], bool]:
        cache: dict[tuple[str, str], bool] = self.__dict__.setdefault("_selfcare_body_routes", {})
        return cache


def _header(event: Mapping[str, Any], name: str) -> str | None:
    return next((str(v) for k, v in (event.get("headers") or {}).items() if k.lower() == name), None)


def _is_json(content_type: str | None) -> bool:
    """No Content-Type (read as JSON) or application/json, in any case, with any parameters."""
    if content_type is None or not content_type.strip():
        return True
    return content_type.split(";", 1)[0].strip().lower() == "application/json"


def _json_media_type(content_type: str) -> str:
    """`Application/JSON; charset=UTF-8` -> `application/json; charset=UTF-8` (the parameters kept as sent)."""
    media, separator, parameters = content_type.strip().partition(";")
    return media.strip().lower() + separator + parameters


def _with_content_type(event: Mapping[str, Any], value: str) -> Mapping[str, Any]:
    """The event with its Content-Type header (single- and multi-value maps) set to `value`, when it differs."""
    headers = dict(event.get("headers") or {})
    if all(v == value for k, v in headers.items() if k.lower() == "content-type"):
        return event
    changed = dict(event)
    changed["headers"] = {k: (value if k.lower() == "content-type" else v) for k, v in headers.items()}
    multi = event.get("multiValueHeaders")
    if multi:
        changed["multiValueHeaders"] = {k: ([value] if k.lower() == "content-type" else v) for k, v in multi.items()}
    return changed


def _refusal(status: HTTPStatus, code: str, message: str, request_id: str | None) -> dict[str, Any]:
    response = errors.error_response(status, code, message, request_id)
    return {
        "statusCode": response.status_code,
        "headers": {"Content-Type": "application/json"},
        "multiValueHeaders": {},
        "body": response.body,
        "isBase64Encoded": False,
    }


def create_resolver() -> Resolver:
    app = Resolver(
        enable_validation=True,
        response_validation_error_http_code=HTTPStatus.INTERNAL_SERVER_ERROR,
        json_body_deserializer=errors.parse_json_body,
    )
    errors.register(app)
    usage = UsageStatsSettings.from_env()
    if usage.usage_stats_table:
        app.usage_counter = UsageCounter(usage.usage_stats_table)
    return app
