"""A simulator of the operator's network provisioning system, for the local stack and the tests.

It speaks the protocol of `selfcare.ports.provisioning_https.HttpsProvisioning` (POST
/lines/<line_id>/<operation>, JSON, bearer key, Idempotency-Key) and keeps, per line, what was applied
(SIM barred or not, current ICCID). `python -m infra.local` starts one on a free loopback port and points
PROVISIONING_ENDPOINT at it; integration tests start one in-process (`ProvisioningSimulator().start()`).

Faults, set per operation (`bar_sim`, `unbar_sim`, `swap_sim`, `activate_sim`, `apply`), optionally for
one line only, consumed one per request:
- `transient`: answer 503 (`times` requests, then succeed); nothing applied;
- `timeout`: nothing applied; answer 504 only after `delay_seconds` (default 10 s: beyond the adapter's
  default 8 s read timeout, so the client really times out; tests lower both);
- `applied_timeout`: APPLY the operation (as a success would), then answer 504 only after `delay_seconds`:
  the uncertain outcome, where the client sees a timeout although the network changed;
- `permanent`: answer 422 (`times` requests; 0 = every request); nothing applied.
A waiting answer ends early when the simulator stops. `GET /lines/<line_id>/sim` (bearer key) answers what
the network holds for the line: `{"barred": bool, "iccid": str|null}` (the adapter's `sim_status`).
In-process: `set_fault(...)`, `clear_faults()`, `applied()`, `attempts()`, `sim()`. Over HTTP (the local
stack): POST /_control/faults {"operation", "mode", "times", "line_id", "delay_seconds"}, DELETE
/_control/faults, GET /_control/applied, GET /_control/attempts. The control routes need no key: loopback only.
"""

from __future__ import annotations

import json
import secrets
import threading
import time
from dataclasses import asdict, dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import unquote

OPERATIONS = ("bar_sim", "unbar_sim", "swap_sim", "activate_sim", "apply")
MODES = ("transient", "timeout", "applied_timeout", "permanent")
# Beyond the adapter's default read timeout (selfcare.config ProvisioningSettings: 8 s).
DEFAULT_DELAY_SECONDS = 10.0


@dataclass
class Fault:
    operation: str
    mode: str
    times: int = 1  # 0 with "permanent": every request
    line_id: str | None = None
    delay_seconds: float = DEFAULT_DELAY_SECONDS


@dataclass(frozen=True)
class Applied:
    operation: str
    line_id: str
    idempotency_key: str
    reference: str
    at: float


@dataclass(frozen=True)
class Attempt:
    operation: str
    line_id: str
    idempotency_key: str
    # "applied", "replayed", "transient", "timeout", "applied_timeout", "permanent", "unauthorized", "bad_request"
    outcome: str


@dataclass
class SimState:
    api_key: str
    faults: list[Fault] = field(default_factory=list)
    applied: dict[str, Applied] = field(default_factory=dict)  # idempotency key -> what was applied
    attempts: list[Attempt] = field(default_factory=list)
    sims: dict[str, dict[str, Any]] = field(default_factory=dict)  # line id -> {"barred", "iccid"}
    lock: threading.Lock = field(default_factory=threading.Lock)
    stopping: threading.Event = field(default_factory=threading.Event)

    def take_fault(self, operation: str, line_id: str) -> Fault | None:
        with self.lock:
            for fault in self.faults:
                if fault.operation == operation and fault.line_id in (None, line_id):
                    if fault.mode == "permanent" and fault.times == 0:
                        return fault
                    fault.times -= 1
                    if fault.times <= 0:
                        self.faults.remove(fault)
                    return fault
        return None


class _Handler(BaseHTTPRequestHandler):
    server: _SimulatorServer
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _send(self, status: int, body: Any) -> None:
        payload = json.dumps(body).encode()
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)
        except OSError:
            pass  # the client gave up (timeout fault)

    def _body(self) -> Any:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        return json.loads(raw) if raw else {}

    def do_GET(self) -> None:
        state = self.server.state
        parts = self.path.strip("/").split("/")
        if len(parts) == 3 and parts[0] == "lines" and parts[2] == "sim":
            if self.headers.get("Authorization") != f"Bearer {state.api_key}":
                self._send(401, {"error": "unauthorized"})
                return
            with state.lock:
                sim = dict(state.sims.get(unquote(parts[1]), {"barred": False, "iccid": None}))
            self._send(200, sim)
        elif self.path == "/_control/applied":
            with state.lock:
                self._send(200, {"applied": [asdict(a) for a in state.applied.values()], "sims": state.sims})
        elif self.path == "/_control/attempts":
            with state.lock:
                self._send(200, {"attempts": [asdict(a) for a in state.attempts]})
        else:
            self._send(404, {"error": "not_found"})

    def do_DELETE(self) -> None:
        if self.path == "/_control/faults":
            with self.server.state.lock:
                self.server.state.faults.clear()
            self._send(200, {"faults": []})
        else:
            self._send(404, {"error": "not_found"})

    def do_POST(self) -> None:
        try:
            body = self._body()
        except ValueError:
            self._send(400, {"error": "bad_json"})
            return
        if self.path == "/_control/faults":
            try:
                fault = Fault(**body)
            except TypeError:
                self._send(400, {"error": "bad_fault"})
                return
            if fault.operation not in OPERATIONS or fault.mode not in MODES:
                self._send(400, {"error": "bad_fault"})
                return
            with self.server.state.lock:
                self.server.state.faults.append(fault)
            self._send(200, asdict(fault))
            return
        parts = self.path.strip("/").split("/")
        if len(parts) != 3 or parts[0] != "lines" or parts[2] not in OPERATIONS:
            self._send(404, {"error": "not_found"})
            return
        self._operate(unquote(parts[1]), parts[2], body)

    def _operate(self, line_id: str, operation: str, body: dict[str, Any]) -> None:
        state = self.server.state
        key = self.headers.get("Idempotency-Key") or ""

        def attempt(outcome: str) -> None:
            with state.lock:
                state.attempts.append(Attempt(operation, line_id, key, outcome))

        if self.headers.get("Authorization") != f"Bearer {state.api_key}":
            attempt("unauthorized")
            self._send(401, {"error": "unauthorized"})
            return
        if not key or not isinstance(body, dict):
            attempt("bad_request")
            self._send(400, {"error": "bad_request"})
            return
        fault = state.take_fault(operation, line_id)
        if fault is not None and fault.mode == "applied_timeout":
            self._apply(line_id, operation, body, key, outcome=fault.mode)
            state.stopping.wait(fault.delay_seconds)
            self._send(504, {"error": "too_late"})
            return
        if fault is not None:
            attempt(fault.mode)
            if fault.mode == "transient":
                self._send(503, {"error": "unavailable"})
            elif fault.mode == "permanent":
                self._send(422, {"error": "refused"})
            else:
                state.stopping.wait(fault.delay_seconds)
                self._send(504, {"error": "too_late"})
            return
        done = self._apply(line_id, operation, body, key)
        self._send(200, {"reference": done.reference})

    def _apply(
        self, line_id: str, operation: str, body: dict[str, Any], key: str, outcome: str | None = None
    ) -> Applied:
        """Apply the operation once per idempotency key (a replay changes nothing), and record the attempt."""
        state = self.server.state
        with state.lock:
            done = state.applied.get(key)
            if done is None:
                done = Applied(operation, line_id, key, "PRV-" + secrets.token_hex(6), time.time())
                state.applied[key] = done
                sim = state.sims.setdefault(line_id, {"barred": False, "iccid": None})
                if operation == "bar_sim":
                    sim["barred"] = True
                elif operation == "unbar_sim":
                    sim["barred"] = False
                elif operation in ("swap_sim", "activate_sim"):
                    sim["barred"] = False
                    sim["iccid"] = body.get("iccid")
                outcome = outcome or "applied"
            else:
                outcome = outcome or "replayed"
            state.attempts.append(Attempt(operation, line_id, key, outcome))
        return done


class _SimulatorServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], state: SimState) -> None:
        super().__init__(address, _Handler)
        self.state = state


class ProvisioningSimulator:
    """The simulator on 127.0.0.1 (port 0: a free one), in a daemon thread of this process."""

    def __init__(self, api_key: str | None = None, host: str = "127.0.0.1", port: int = 0) -> None:
        self.state = SimState(api_key=api_key or secrets.token_urlsafe(24))
        self._server = _SimulatorServer((host, port), self.state)
        self._thread = threading.Thread(target=self._server.serve_forever, name="provisioning-simulator", daemon=True)

    @property
    def api_key(self) -> str:
        return self.state.api_key

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> ProvisioningSimulator:
        self._thread.start()
        return self

    def stop(self) -> None:
        self.state.stopping.set()  # answers held by a timeout fault end now
        self._server.shutdown()
        self._server.server_close()

    # Control, in-process ----------------------------------------------------------------------
    def set_fault(
        self,
        operation: str,
        mode: str,
        times: int = 1,
        line_id: str | None = None,
        delay_seconds: float = DEFAULT_DELAY_SECONDS,
    ) -> None:
        if operation not in OPERATIONS or mode not in MODES:
            raise ValueError(f"unknown operation or mode: {operation} {mode}")
        with self.state.lock:
            self.state.faults.append(Fault(operation, mode, times, line_id, delay_seconds))

    def clear_faults(self) -> None:
        with self.state.lock:
            self.state.faults.clear()

    def applied(self, line_id: str | None = None) -> list[Applied]:
        with self.state.lock:
            return [a for a in self.state.applied.values() if line_id in (None, a.line_id)]

    def attempts(self, line_id: str | None = None, operation: str | None = None) -> list[Attempt]:
        with self.state.lock:
            return [a for a in self.state.attempts if line_id in (None, a.line_id) and operation in (None, a.operation)]

    def sim(self, line_id: str) -> dict[str, Any]:
        with self.state.lock:
            return dict(self.state.sims.get(line_id, {"barred": False, "iccid": None}))
