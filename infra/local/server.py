"""The local stack's HTTP front: the emulated API Gateway, plus a few local-only routes.

Every request goes to `Gateway.handle` (infra/local/gateway.py), except these local-only routes
(GET only; they do not exist on the deployed API):
- GET /openapi.json: the committed docs/openapi.json, or, without it, infra.openapi.build_document();
- GET /docs: Swagger UI, from the swagger_ui_bundle package (works offline), persistAuthorization on;
- GET /_local/outbox[?to=address]: the emails sent through SES so far, newest first;
- GET /_local/crm-events[?customer_id=C0001]: the events the space published for the CRM, newest first;
- GET /_local/health: {"status": "ok"}.
And two POST routes to drive, from outside, what the operator's systems and the scheduler do:
- POST /_local/crm-inbound: one CRM event in EventBridge's shape (a sample of events/, e.g.
  events/demo/CustomerUpdated.json), or a list of up to 10, put on the inbound CRM bus as the CRM does
  (emulation.put_crm_events); 202 {"bus", "event_ids"}; the projection has it within a second;
- POST /_local/schedules/fire {"now": "2031-11-26T00:00:00Z"} (no body: now): the anonymisation schedules
  due at `now` fire, the projection running as at that time (emulation.fire_anonymisation_schedules);
  200 {"now", "fired": [{"outcome": ...}, ...]}.
- POST /_local/sms/inbound {"from": "+336...", "to": "36180", "text": "STOP"}: an SMS a recipient sends to a
  short number, delivered to the inbound SMS function as the two-way channel's topic would (commercial SMS).

Bodies larger than MAX_REQUEST_BYTES are refused with 413 before they are read (API Gateway has
its own, larger limit; the functions refuse anything above definitions.MAX_BODY_BYTES themselves).

Requests that never reach a route (Python's http.server would answer them with its HTML error pages)
answer in the one error shape, as API Gateway's own responses (definitions.GATEWAY_RESPONSES) do:
see `RequestHandler.send_error` and PROTOCOL_ERRORS.
"""

from __future__ import annotations

import json
import mimetypes
import sys
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from infra import definitions as d
from infra.local.gateway import Gateway, HttpResponse

MAX_REQUEST_BYTES = 1024 * 1024
OPENAPI_FILE = d.ROOT / "docs" / "openapi.json"
SWAGGER_OPENAPI_PATH = "/openapi.json"
JSON = "application/json"

Outbox = Callable[[str | None], list[dict[str, Any]]]
CrmInbound = Callable[[Any], list[str]]  # events (parsed JSON) -> EventBridge ids; ValueError when not events
FireSchedules = Callable[[datetime], list[Any]]  # now -> the fired schedules' outcomes


@dataclass(frozen=True)
class FileResponse:
    """A static file (Swagger UI's scripts, styles and icons): bytes, unlike the gateway's text bodies."""

    status: int
    headers: dict[str, str]
    body: bytes


Response = HttpResponse | FileResponse


def error_response(status: int, code: str, message: str, request_id: str | None = None) -> HttpResponse:
    request_id = request_id or str(uuid.uuid4())
    return HttpResponse(
        status,
        {"Content-Type": JSON, "x-amzn-RequestId": request_id},
        json.dumps(d.error_body(code, message, request_id)),
    )


def gateway_error(kind: str, status: int | None = None) -> HttpResponse:
    """One of API Gateway's own answers (definitions.GATEWAY_RESPONSES), in the one error shape.

    The DEFAULT_* families keep the status of the case (`status`; else 500 for 5XX, 400 for 4XX)."""
    response = d.GATEWAY_RESPONSES[kind]
    chosen = response.status or status or (500 if kind == "DEFAULT_5XX" else 400)
    answer = error_response(chosen, response.code, response.message)
    return HttpResponse(answer.status, answer.headers | d.GATEWAY_RESPONSE_HEADERS, answer.body)  # as API Gateway's


def json_response(status: int, value: Any) -> HttpResponse:
    return HttpResponse(status, {"Content-Type": JSON}, json.dumps(value))


def load_openapi_document() -> dict[str, Any] | None:
    """The committed document, else one built from the handlers; None when neither can be had."""
    if OPENAPI_FILE.is_file():
        return dict(json.loads(OPENAPI_FILE.read_text()))
    try:
        from infra.openapi import build_document
    except ImportError:
        return None
    return build_document()


SWAGGER_PAGE = """<!DOCTYPE html>
<html lang="en">
  <head>
    <meta charset="UTF-8">
    <title>Selfcare API (local stack)</title>
    <link rel="stylesheet" type="text/css" href="/docs/swagger-ui.css" />
    <link rel="icon" type="image/png" href="/docs/favicon-32x32.png" sizes="32x32" />
  </head>
  <body>
    <div id="swagger-ui"></div>
    <script src="/docs/swagger-ui-bundle.js" charset="UTF-8"></script>
    <script src="/docs/swagger-ui-standalone-preset.js" charset="UTF-8"></script>
    <script>
      window.onload = function () {
        window.ui = SwaggerUIBundle({
          url: "%(spec_url)s",
          dom_id: "#swagger-ui",
          deepLinking: true,
          persistAuthorization: true,
          presets: [SwaggerUIBundle.presets.apis, SwaggerUIStandalonePreset],
          plugins: [SwaggerUIBundle.plugins.DownloadUrl],
          layout: "StandaloneLayout"
        });
      };
    </script>
  </body>
</html>
"""


def swagger_ui_directory() -> Path | None:
    try:
        from swagger_ui_bundle import swagger_ui_path
    except ImportError:
        return None
    return Path(str(swagger_ui_path))


class LocalApp:
    """Routes one HTTP request: a local-only route, or the emulated API Gateway."""

    def __init__(
        self,
        gateway: Gateway,
        outbox: Outbox,
        openapi: Callable[[], dict[str, Any] | None] = load_openapi_document,
        crm_events: Callable[[str | None], list[dict[str, Any]]] | None = None,
        crm_inbound: CrmInbound | None = None,
        fire_schedules: FireSchedules | None = None,
        inbound_sms: Callable[[str, str, str], Any] | None = None,
    ) -> None:
        self.gateway = gateway
        self.crm_inbound = crm_inbound
        self.fire_schedules = fire_schedules
        self.outbox = outbox
        self.crm_events = crm_events
        self.openapi = openapi
        self.inbound_sms = inbound_sms
        self.swagger_dir = swagger_ui_directory()
        self.local_routes: dict[str, Callable[[dict[str, str]], Response]] = {
            "/openapi.json": lambda _: self._openapi(),
            "/docs": lambda _: self._swagger_page(),
            "/docs/": lambda _: self._swagger_page(),
            "/_local/outbox": self._outbox,
            "/_local/crm-events": self._crm_events,
            "/_local/health": lambda _: json_response(200, {"status": "ok"}),
        }
        # Local-only POST routes (the inbound side driven from outside): path -> handler of the body.
        self.local_post_routes: dict[str, Callable[[str | None], Response]] = {
            "/_local/crm-inbound": self._crm_inbound,
            "/_local/schedules/fire": self._fire_schedules,
        }

    def handle(
        self, method: str, path: str, headers: dict[str, str], body: str | None, query: dict[str, str], source_ip: str
    ) -> Response:
        if method in ("GET", "HEAD"):
            local = self.local_routes.get(path)
            if local is not None:
                return local(query)
            if path.startswith("/docs/"):
                return self._swagger_file(path.removeprefix("/docs/"))
        if method == "POST" and path in self.local_post_routes:
            return self.local_post_routes[path](body)
        # Commercial SMS: a local-only POST route (the deployed API has no such route).
        if method == "POST" and path == "/_local/sms/inbound":
            return self._inbound_sms(body)
        return self.gateway.handle(method, path, headers, body, query, source_ip)

    def _openapi(self) -> HttpResponse:
        try:
            document = self.openapi()
        # Answer, do not crash (build_document raises ValueError when handlers and ROUTES differ).
        except Exception as error:  # noqa: BLE001
            print(f"openapi: could not build the document: {type(error).__name__}: {error}", file=sys.stderr)
            document = None
        if document is None:
            return error_response(503, "service_unavailable", "The OpenAPI document is not available yet.")
        return json_response(200, document)

    def _swagger_page(self) -> HttpResponse:
        if self.swagger_dir is None:
            return error_response(503, "service_unavailable", "Swagger UI is not installed (swagger-ui-bundle).")
        page = SWAGGER_PAGE % {"spec_url": SWAGGER_OPENAPI_PATH}
        return HttpResponse(200, {"Content-Type": "text/html; charset=utf-8"}, page)

    def _swagger_file(self, name: str) -> Response:
        directory = self.swagger_dir
        if directory is None or not name or "/" in name or name.startswith("."):
            return gateway_error("MISSING_AUTHENTICATION_TOKEN")
        file = directory / name
        if not file.is_file():
            return gateway_error("MISSING_AUTHENTICATION_TOKEN")
        content_type = mimetypes.guess_type(name)[0] or "application/octet-stream"
        if content_type.startswith("text/") or content_type in ("application/javascript", JSON):
            content_type += "; charset=utf-8"
        return FileResponse(200, {"Content-Type": content_type, "Cache-Control": "max-age=3600"}, file.read_bytes())

    def _outbox(self, query: dict[str, str]) -> HttpResponse:
        return json_response(200, {"messages": self.outbox(query.get("to"))})

    def _crm_inbound(self, body: str | None) -> HttpResponse:
        if self.crm_inbound is None:
            return error_response(503, "service_unavailable", "No CRM inbound bus on this local stack.")
        try:
            event_ids = self.crm_inbound(json.loads(body or ""))
        except ValueError as error:  # not JSON (JSONDecodeError is one), or not events
            return error_response(400, "bad_request", f"Send a CRM event as in events/: {error}.")
        return json_response(202, {"bus": d.CRM_INBOUND_BUS_NAME, "event_ids": event_ids})

    def _fire_schedules(self, body: str | None) -> HttpResponse:
        if self.fire_schedules is None:
            return error_response(503, "service_unavailable", "No scheduler on this local stack.")
        try:
            document = json.loads(body) if body else {}
            raw = document.get("now") if isinstance(document, dict) else None
            if not isinstance(document, dict) or (raw is not None and not isinstance(raw, str)):
                raise ValueError
            now = datetime.fromisoformat(raw) if raw else datetime.now(UTC)
        except ValueError:
            return error_response(400, "bad_request", 'Send {"now": "<ISO 8601 date and time>"}, or no body.')
        now = now.replace(tzinfo=UTC) if now.tzinfo is None else now.astimezone(UTC)
        return json_response(200, {"now": now.isoformat(), "fired": self.fire_schedules(now)})

    def _crm_events(self, query: dict[str, str]) -> HttpResponse:
        if self.crm_events is None:
            return error_response(503, "service_unavailable", "No CRM listener on this local stack.")
        return json_response(200, {"events": self.crm_events(query.get("customer_id"))})

    # Commercial SMS: POST /_local/sms/inbound ---------------------------------------------------
    def _inbound_sms(self, body: str | None) -> HttpResponse:
        if self.inbound_sms is None:
            return error_response(503, "service_unavailable", "No inbound SMS function on this local stack.")
        try:
            document = json.loads(body or "")
            fields = (document["from"], document["to"], document["text"])
        except (ValueError, KeyError, TypeError):
            fields = None
        if fields is None or not all(isinstance(f, str) for f in fields):
            return error_response(400, "bad_request", 'Send {"from": "+33612345678", "to": "36180", "text": "STOP"}.')
        return json_response(200, self.inbound_sms(*fields))


# Protocol errors that http.server detects before any route is looked up -> the gateway response the
# deployed REST API gives instead (never a 5xx: each is the client's doing). API Gateway answers:
# - a method it does not serve (TRACE, CONNECT, any unknown token): no method of the API matches, so its
#   MISSING_AUTHENTICATION_TOKEN response, which this API answers as 404 `not_found` (like an unknown route);
# - a request line or headers over its limits (10,240 bytes of headers for a REST API; http.server's are
#   64 KiB a line, 100 headers): REQUEST_TOO_LARGE, 413 `payload_too_large`;
# - a malformed request line or an HTTP version it does not speak: 400, DEFAULT_4XX `request_refused`.
# These statuses are the gateway responses' documented defaults, not measured against a deployed stage.
PROTOCOL_ERRORS: dict[int, tuple[str, int | None]] = {
    HTTPStatus.NOT_IMPLEMENTED: ("MISSING_AUTHENTICATION_TOKEN", None),
    HTTPStatus.REQUEST_URI_TOO_LONG: ("REQUEST_TOO_LARGE", None),
    HTTPStatus.REQUEST_HEADER_FIELDS_TOO_LARGE: ("REQUEST_TOO_LARGE", None),
    HTTPStatus.BAD_REQUEST: ("DEFAULT_4XX", 400),
    HTTPStatus.HTTP_VERSION_NOT_SUPPORTED: ("DEFAULT_4XX", 400),
}


def protocol_error(code: int) -> HttpResponse:
    """The error-shaped answer for one of http.server's own error codes (any other: a 400)."""
    kind, status = PROTOCOL_ERRORS.get(code, ("DEFAULT_4XX", code if 400 <= code < 500 else 400))
    return gateway_error(kind, status)


class RequestHandler(BaseHTTPRequestHandler):
    server: LocalHttpServer
    server_version = "SelfcareLocal/1.0"
    # A client that stops sending (half a request line, a body shorter than its Content-Length) frees its
    # thread after this many seconds instead of holding it, and the server's stop, forever.
    timeout = 30

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        """http.server's error answers (unsupported method, malformed request line, over-long request line or
        headers) in the API's one error shape instead of its HTML page; the connection is closed after it."""
        self.close_connection = True
        if self.request_version == "HTTP/0.9" or not self.request_version:
            self.request_version = "HTTP/1.0"  # so that the status line and headers are written
        response = protocol_error(int(code))
        try:
            self._respond(response)
        except OSError:
            return  # the client is gone
        self.log_error("code %d answered %d %s", int(code), response.status, self.command or "-")

    def _respond(self, response: Response) -> None:
        payload = response.body if isinstance(response.body, bytes) else response.body.encode()
        self.send_response(response.status)
        for name, value in response.headers.items():
            if name.lower() not in ("content-length", "connection", "transfer-encoding"):
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(payload)
        self._status = response.status

    def _body(self) -> str | HttpResponse | None:
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            self.close_connection = True
            return error_response(411, "length_required", "Send the body with a Content-Length.")
        raw_length = self.headers.get("Content-Length")
        if raw_length is None:
            return None
        try:
            length = int(raw_length)
            if length < 0:
                raise ValueError
        except ValueError:
            self.close_connection = True
            return gateway_error("BAD_REQUEST_BODY")
        if length > MAX_REQUEST_BYTES:
            self.close_connection = True  # the body stays unread: this connection cannot be reused
            return gateway_error("REQUEST_TOO_LARGE")
        if length == 0:
            return None
        try:
            return self.rfile.read(length).decode("utf-8")
        except UnicodeDecodeError:
            return gateway_error("BAD_REQUEST_BODY")

    def _handle(self) -> None:
        started = time.monotonic()
        self._status = 0
        url = urlsplit(self.path)
        body = self._body()
        if isinstance(body, HttpResponse):
            self._respond(body)
        else:
            headers: dict[str, str] = {}
            for name, value in self.headers.items():
                headers[name] = f"{headers[name]}, {value}" if name in headers else value
            query = dict(parse_qsl(url.query, keep_blank_values=True))
            try:
                response = self.server.app.handle(
                    self.command, url.path or "/", headers, body, query, self.client_address[0]
                )
            except Exception as error:  # noqa: BLE001 - one request's failure must not end the server
                print(f"local stack: {type(error).__name__} on {self.command} {url.path}", file=sys.stderr)
                response = gateway_error("DEFAULT_5XX")
            self._respond(response)
        if not self.server.quiet:
            millis = (time.monotonic() - started) * 1000
            # Path only: a query string may carry what should not be printed.
            print(
                f'{self.client_address[0]} "{self.command} {url.path}" {self._status} {millis:.0f}ms', file=sys.stderr
            )

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_OPTIONS = do_HEAD = _handle

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        pass  # _handle logs the path without its query string

    def log_error(self, format: str, *args: Any) -> None:
        print(f"{self.client_address[0]} {format % args}", file=sys.stderr)


class LocalHttpServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], app: LocalApp, quiet: bool = False) -> None:
        super().__init__(address, RequestHandler)
        self.app = app
        self.quiet = quiet

    @property
    def port(self) -> int:
        return int(self.server_address[1])
