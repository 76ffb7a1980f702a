"""API Gateway, emulated in-process: request -> REST proxy event (authorizer included) -> handler.

Used by the local stack's HTTP server and by the integration tests, so both exercise the very
`lambda_handler` functions that Lambda runs, with the events the deployed REST API sends:
- routes and public/authorized methods from infra/definitions.py ROUTES;
- the REQUEST authorizer runs first on every non-public route (identity source: Authorization;
  no cache, as definitions.AUTHORIZER_CACHE_TTL_SECONDS = 0); its context reaches the handler as
  requestContext.authorizer, values as strings, as API Gateway passes them;
- API Gateway's own answers (401, 403, 404, 5xx) use definitions.GATEWAY_RESPONSES.
"""

from __future__ import annotations

import base64
import fnmatch
import importlib.util
import json
import re
import time
import uuid
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

from infra import definitions as d

REGION = "eu-west-3"
ACCOUNT = "123456789012"
API_ID = "local"
STAGE = "local"


@dataclass(frozen=True)
class HttpResponse:
    status: int
    headers: dict[str, str]
    body: str | bytes  # bytes for binary answers (isBase64Encoded)


@dataclass
class LambdaContext:
    function_name: str
    memory_limit_in_mb: int
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    function_version: str = "$LATEST"
    log_group_name: str = ""
    log_stream_name: str = "local"
    deadline_ms: int = 0

    @property
    def invoked_function_arn(self) -> str:
        return f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{self.function_name}"

    def get_remaining_time_in_millis(self) -> int:
        return max(0, self.deadline_ms - int(time.time() * 1000))


def load_handler(function: d.Function) -> ModuleType:
    """Import functions/<name>/handler.py as a module of its own (each reads its settings at import)."""
    path = function.code_dir / "handler.py"
    spec = importlib.util.spec_from_file_location(f"selfcare_function_{function.name}", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _pattern(path: str) -> re.Pattern[str]:
    return re.compile("^" + re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>[^/]+)", re.escape(path)) + "$")


class Gateway:
    def __init__(self, handlers: dict[str, ModuleType] | None = None) -> None:
        self.handlers = handlers if handlers is not None else {f.name: load_handler(f) for f in d.FUNCTIONS}
        self.routes = [(route, _pattern(route.path)) for route in d.ROUTES]

    def _gateway_response(self, kind: str, request_id: str, status: int | None = None) -> HttpResponse:
        """API Gateway's own answer; `status` for the DEFAULT_* families, which keep the status."""
        response = d.GATEWAY_RESPONSES[kind]
        return HttpResponse(
            response.status or status or (500 if kind == "DEFAULT_5XX" else 400),
            {"Content-Type": "application/json", "x-amzn-RequestId": request_id} | d.GATEWAY_RESPONSE_HEADERS,
            json.dumps(d.error_body(response.code, response.message, request_id)),
        )

    def handle(
        self,
        method: str,
        path: str,
        headers: dict[str, str] | None = None,
        body: str | None = None,
        query: dict[str, str] | None = None,
        source_ip: str = "127.0.0.1",
    ) -> HttpResponse:
        request_id = str(uuid.uuid4())
        headers = dict(headers or {})
        method = method.upper()
        matched = [(route, m) for route, pattern in self.routes if (m := pattern.match(path))]
        chosen = next(((route, m) for route, m in matched if route.method == method), None)
        if chosen is None:
            return self._gateway_response("MISSING_AUTHENTICATION_TOKEN", request_id)
        route, match = chosen
        path_parameters = match.groupdict() or None
        now_ms = int(time.time() * 1000)
        request_context: dict[str, Any] = {
            "resourceId": "local",
            "resourcePath": route.path,
            "httpMethod": method,
            "extendedRequestId": request_id,
            "requestTime": time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime()),
            "path": f"/{STAGE}{path}",
            "accountId": ACCOUNT,
            "protocol": "HTTP/1.1",
            "stage": STAGE,
            "domainPrefix": "localhost",
            "requestTimeEpoch": now_ms,
            "requestId": request_id,
            "identity": {"sourceIp": source_ip, "userAgent": _header(headers, "user-agent")},
            "domainName": "localhost",
            "apiId": API_ID,
        }
        common = {
            "resource": route.path,
            "path": path,
            "httpMethod": method,
            "headers": headers,
            "multiValueHeaders": {k: [v] for k, v in headers.items()},
            "queryStringParameters": query or None,
            "multiValueQueryStringParameters": {k: [v] for k, v in query.items()} if query else None,
            "pathParameters": path_parameters,
            "stageVariables": None,
        }
        if not route.public:
            outcome = self._authorize(route, method, path, common, request_context, request_id)
            if isinstance(outcome, HttpResponse):
                return outcome
            request_context["authorizer"] = outcome
        event = {**common, "requestContext": request_context, "body": body, "isBase64Encoded": False}
        return self._invoke(route.function, event, request_id)

    def _authorize(
        self,
        route: d.Route,
        method: str,
        path: str,
        common: dict[str, Any],
        request_context: dict[str, Any],
        request_id: str,
    ) -> dict[str, Any] | HttpResponse:
        if not _header(common["headers"], "authorization"):  # identity source missing: no call at all
            return self._gateway_response("UNAUTHORIZED", request_id)
        method_arn = f"arn:aws:execute-api:{REGION}:{ACCOUNT}:{API_ID}/{STAGE}/{method}{path}"
        event = {"type": "REQUEST", "methodArn": method_arn, **common, "requestContext": request_context}
        started = time.monotonic()
        try:
            result = self.handlers[d.AUTHORIZER.name].lambda_handler(event, self._context(d.AUTHORIZER))
        except Exception as error:  # noqa: BLE001 - API Gateway turns any authorizer failure into a status
            if str(error) == "Unauthorized":
                return self._gateway_response("UNAUTHORIZED", request_id)
            return self._gateway_response("DEFAULT_5XX", request_id)
        statements = result.get("policyDocument", {}).get("Statement", [])
        allowed = any(
            s.get("Effect") == "Allow" and fnmatch.fnmatchcase(method_arn, str(s.get("Resource"))) for s in statements
        )
        denied = any(
            s.get("Effect") == "Deny" and fnmatch.fnmatchcase(method_arn, str(s.get("Resource"))) for s in statements
        )
        if denied or not allowed:
            return self._gateway_response("ACCESS_DENIED", request_id)
        context = {k: _api_gateway_string(v) for k, v in (result.get("context") or {}).items()}
        return {
            **context,
            "principalId": result.get("principalId"),
            "integrationLatency": int((time.monotonic() - started) * 1000),
        }

    def _context(self, function: d.Function) -> LambdaContext:
        return LambdaContext(
            function_name=f"selfcare-{function.name}",
            memory_limit_in_mb=function.memory_mb,
            deadline_ms=int(time.time() * 1000) + function.timeout_seconds * 1000,
        )

    def _invoke(self, function_name: str, event: dict[str, Any], request_id: str) -> HttpResponse:
        function = d.function_named(function_name)
        try:
            result = self.handlers[function_name].lambda_handler(event, self._context(function))
        except Exception:  # noqa: BLE001 - a crashed Lambda is a 502, as in API Gateway
            return self._gateway_response("DEFAULT_5XX", request_id, status=502)
        headers = {str(k): str(v) for k, v in (result.get("headers") or {}).items()}
        for name, values_ in (result.get("multiValueHeaders") or {}).items():
            headers[str(name)] = ", ".join(str(v) for v in values_)
        headers.setdefault("x-amzn-RequestId", request_id)
        if result.get("isBase64Encoded"):
            # A binary answer (the VOD PDF): API Gateway, with the binary media types set, sends the bytes.
            binary = base64.b64decode(str(result.get("body") or ""))
            return HttpResponse(int(result.get("statusCode", 502)), headers, binary)
        return HttpResponse(int(result.get("statusCode", 502)), headers, str(result.get("body") or ""))


def _header(headers: dict[str, str], name: str) -> str | None:
    return next((v for k, v in headers.items() if k.lower() == name), None)


def _api_gateway_string(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
