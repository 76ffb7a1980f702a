"""A simulator of the operator's incident tracker, for the local stack and the tests (issue 8, section 4).

It speaks the contract of `selfcare.ports.incident_tracker_https.HttpsIncidentTracker`:
`GET /incidents/<reference>` with `Authorization: Bearer <token>` answers 200
`{"reference", "state": "open"|"closed", "title", "opened_at", "closed_at"}`, 404 `{"error": "not_found"}` for an
incident it does not know, 401 without the token. `python -m infra.local` starts one on a free loopback port with
the demo incidents (DEMO_INCIDENTS: INC-000001 open, INC-000002 closed), stores its token in the local Secrets
Manager (selfcare/incident-tracker-token) and points INCIDENT_TRACKER_URL at it. The tests get one per process
(`shared()`, started on first use by infra.local.resources.create_resources) or start their own
(`IncidentTrackerSimulator().start()`).

Control (loopback only, no token):
- GET /_control/incidents: every incident and the number of state questions answered;
- POST /_control/incidents `{"reference": "INC-...", "state": "open"|"closed", "title"?}`: opens (creating it when
  new) or closes an incident;
- POST /_control/mode `{"mode": "normal"|"down"|"garbage"|"slow", "delay_seconds"?}`: the state route answers
  normally, 503, a body that is not the contract's JSON, or only after `delay_seconds` (default 5 s: beyond the
  adapter's 2 s timeout).
In-process: `set_state(...)`, `set_mode(...)`, `incidents()`, `reset()` (the demo incidents, normal mode).
"""

from __future__ import annotations

import json
import re
import secrets
import threading
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import unquote

STATES = ("open", "closed")
MODES = ("normal", "down", "garbage", "slow")
DEFAULT_DELAY_SECONDS = 5.0  # beyond the adapter's default timeout (selfcare.config IncidentTrackerSettings: 2 s)
MAX_BODY_BYTES = 16 * 1024
_REFERENCE = re.compile(r"^INC-\d{4,12}$")  # selfcare.auth.grant_conditions.INCIDENT_REFERENCE


@dataclass
class Incident:
    reference: str
    state: str
    title: str
    opened_at: str
    closed_at: str | None = None


# The demo incidents: the open one the demo production grants name (tests/factories.grant_conditions), a closed one.
DEMO_INCIDENTS: tuple[tuple[str, str, str], ...] = (
    ("INC-000001", "open", "Demo: login failures on the customer space"),
    ("INC-000002", "closed", "Demo: SMS delivery delays (resolved)"),
)
DEMO_OPEN_INCIDENT = DEMO_INCIDENTS[0][0]
DEMO_CLOSED_INCIDENT = DEMO_INCIDENTS[1][0]


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


@dataclass
class TrackerState:
    token: str
    incidents: dict[str, Incident] = field(default_factory=dict)
    mode: str = "normal"
    delay_seconds: float = DEFAULT_DELAY_SECONDS
    questions: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)
    stopping: threading.Event = field(default_factory=threading.Event)

    def set_state(self, reference: str, state: str, title: str | None = None) -> Incident:
        if not _REFERENCE.match(reference) or state not in STATES:
            raise ValueError("an incident is INC-<digits>, open or closed")
        with self.lock:
            incident = self.incidents.get(reference)
            if incident is None:
                incident = Incident(reference, state, title or "Incident", _now())
                self.incidents[reference] = incident
            incident.state = state
            incident.closed_at = _now() if state == "closed" else None
            if title:
                incident.title = title
            return incident

    def reset(self) -> None:
        with self.lock:
            self.incidents.clear()
            self.mode, self.delay_seconds, self.questions = "normal", DEFAULT_DELAY_SECONDS, 0
        for reference, state, title in DEMO_INCIDENTS:
            self.set_state(reference, state, title)


class _Handler(BaseHTTPRequestHandler):
    server: _TrackerServer
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _send(self, status: int, body: Any, raw: bytes | None = None) -> None:
        payload = raw if raw is not None else json.dumps(body).encode()
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)
        except OSError:
            pass  # the client gave up (slow mode)

    def do_GET(self) -> None:
        state = self.server.state
        parts = self.path.strip("/").split("/")
        if self.path == "/_control/incidents":
            with state.lock:
                self._send(
                    200, {"incidents": [asdict(i) for i in state.incidents.values()], "questions": state.questions}
                )
            return
        if len(parts) != 2 or parts[0] != "incidents":
            self._send(404, {"error": "not_found"})
            return
        if self.headers.get("Authorization") != f"Bearer {state.token}":
            self._send(401, {"error": "unauthorized"})
            return
        with state.lock:
            state.questions += 1
            mode, delay = state.mode, state.delay_seconds
            incident = state.incidents.get(unquote(parts[1]))
            answer = asdict(incident) if incident else None
        if mode == "down":
            self._send(503, {"error": "maintenance"})
        elif mode == "garbage":
            self._send(200, None, raw=b"<html>Service temporarily moved</html>")
        elif mode == "slow":
            state.stopping.wait(delay)
            self._send(504, {"error": "timeout"})
        elif answer is None:
            self._send(404, {"error": "not_found"})
        else:
            self._send(200, answer)

    def do_POST(self) -> None:
        state = self.server.state
        length = int(self.headers.get("Content-Length") or 0)
        try:
            body = json.loads(self.rfile.read(min(length, MAX_BODY_BYTES)) or b"{}")
            if not isinstance(body, dict):
                raise ValueError
        except ValueError:
            self._send(400, {"error": "bad_json"})
            return
        if self.path == "/_control/incidents":
            try:
                incident = state.set_state(str(body.get("reference")), str(body.get("state")), body.get("title"))
            except ValueError:
                self._send(400, {"error": "bad_incident", "expected": {"reference": "INC-<digits>", "state": STATES}})
                return
            self._send(200, asdict(incident))
        elif self.path == "/_control/mode":
            mode = body.get("mode")
            if mode not in MODES:
                self._send(400, {"error": "bad_mode", "modes": MODES})
                return
            with state.lock:
                state.mode = str(mode)
                state.delay_seconds = float(body.get("delay_seconds") or DEFAULT_DELAY_SECONDS)
            self._send(200, {"mode": mode})
        else:
            self._send(404, {"error": "not_found"})


class _TrackerServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], state: TrackerState) -> None:
        super().__init__(address, _Handler)
        self.state = state


class IncidentTrackerSimulator:
    """The simulator on 127.0.0.1 (port 0: a free one), in a daemon thread of this process, with the demo incidents."""

    def __init__(self, token: str | None = None, host: str = "127.0.0.1", port: int = 0) -> None:
        self.state = TrackerState(token=token or secrets.token_urlsafe(24))
        self.state.reset()
        self._server = _TrackerServer((host, port), self.state)
        self._thread = threading.Thread(target=self._server.serve_forever, name="incident-tracker", daemon=True)

    @property
    def token(self) -> str:
        return self.state.token

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> IncidentTrackerSimulator:
        self._thread.start()
        return self

    def stop(self) -> None:
        self.state.stopping.set()
        self._server.shutdown()
        self._server.server_close()

    # Control, in-process ----------------------------------------------------------------------
    def set_state(self, reference: str, state: str, title: str | None = None) -> None:
        self.state.set_state(reference, state, title)

    def set_mode(self, mode: str, delay_seconds: float = DEFAULT_DELAY_SECONDS) -> None:
        if mode not in MODES:
            raise ValueError(f"mode must be one of {MODES}")
        with self.state.lock:
            self.state.mode, self.state.delay_seconds = mode, delay_seconds

    def incidents(self) -> dict[str, str]:
        """Reference -> state."""
        with self.state.lock:
            return {reference: incident.state for reference, incident in self.state.incidents.items()}

    def reset(self) -> None:
        self.state.reset()

    def open_references(self) -> list[str]:
        return sorted(r for r, state in self.incidents().items() if state == "open")

    def closed_references(self) -> list[str]:
        return sorted(r for r, state in self.incidents().items() if state == "closed")


_shared: IncidentTrackerSimulator | None = None
_shared_lock = threading.Lock()


def shared() -> IncidentTrackerSimulator:
    """One simulator per process, started on first use (the tests' resources point at it unless given another)."""
    global _shared
    with _shared_lock:
        if _shared is None:
            _shared = IncidentTrackerSimulator().start()
        return _shared
