"""`HttpsIncidentTracker`: the incident-tracker port over HTTPS with JSON (production, and the local simulator).

The contract (README, "Incident tracker"): `GET {base}/incidents/{reference}` with
`Authorization: Bearer <token>` and `Accept: application/json` answers
- 200 `{"reference": "INC-...", "state": "open"|"closed", ...}` (other fields ignored; the reference must be the
  one asked for);
- 404: no such incident (the state `unknown`).
Anything else (timeout, connection refused, 401/403, 5xx, another status, a body that is not that JSON) is an
`IncidentTrackerError`: the caller fails closed (503). The token is read from a Secrets Manager secret (its
SecretString is the token, or `{"token": "..."}`), cached for `token_max_age` seconds and forgotten at once on a
401 (a rotated token is picked up). One short timeout (default 2 s) bounds the connect and each read
(the socket's timeout; the answer is at most 64 KiB). Standard
library only. The transport is injectable (`transport`), so the classification is tested without a socket.
"""

from __future__ import annotations

import http.client
import json
import ssl
import time
from collections.abc import Callable
from urllib.parse import quote, urlsplit

from selfcare import aws
from selfcare.ports.incident_tracker import IncidentState, IncidentTrackerError
from selfcare.ports.urls import checked_url

_STATES = {"open": IncidentState.OPEN, "closed": IncidentState.CLOSED}
MAX_ANSWER_BYTES = 64 * 1024

# (method, url, headers, timeout seconds) -> (status, body). Raises TimeoutError / OSError like http.client.
Transport = Callable[[str, str, dict[str, str], float], tuple[int, bytes]]


def http_transport(method: str, url: str, headers: dict[str, str], timeout: float) -> tuple[int, bytes]:
    """One request with http.client; the socket's timeout bounds the connect and each read."""
    parts = urlsplit(url)
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    connection: http.client.HTTPConnection
    if parts.scheme == "https":
        connection = http.client.HTTPSConnection(
            parts.hostname or "", parts.port, timeout=timeout, context=ssl.create_default_context()
        )
    else:
        connection = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=timeout)
    try:
        connection.request(method, path, headers=headers)
        response = connection.getresponse()
        return response.status, response.read(MAX_ANSWER_BYTES + 1)
    finally:
        connection.close()


def secrets_manager_token(secret_id: str) -> Callable[[], str]:
    def read() -> str:
        raw = str(aws.client("secretsmanager").get_secret_value(SecretId=secret_id)["SecretString"])
        try:
            value = json.loads(raw)
        except ValueError:
            return raw.strip()
        if isinstance(value, dict) and isinstance(value.get("token"), str):
            return str(value["token"])
        raise IncidentTrackerError("incident_tracker_token_unreadable")

    return read


class HttpsIncidentTracker:
    def __init__(
        self,
        base_url: str,
        token: Callable[[], str],
        timeout: float = 2.0,
        token_max_age: float = 300.0,
        transport: Transport = http_transport,
    ) -> None:
        checked_url(base_url, "the incident tracker URL")
        self._base = base_url.rstrip("/")
        self._read_token = token
        self._timeout = timeout
        self._max_age = token_max_age
        self._transport = transport
        self._cached: tuple[float, str] | None = None

    def _token(self) -> str:
        if self._cached and time.monotonic() - self._cached[0] < self._max_age:
            return self._cached[1]
        try:
            token = self._read_token()
        except IncidentTrackerError:
            raise
        except Exception as error:  # Secrets Manager unreachable or the secret missing: fail closed
            raise IncidentTrackerError("incident_tracker_token_unavailable") from error
        self._cached = (time.monotonic(), token)
        return token

    def state(self, reference: str) -> IncidentState:
        url = f"{self._base}/incidents/{quote(reference, safe='')}"
        headers = {"Authorization": f"Bearer {self._token()}", "Accept": "application/json"}
        try:
            status, raw = self._transport("GET", url, headers, self._timeout)
        except TimeoutError as error:
            raise IncidentTrackerError("incident_tracker_timeout") from error
        except (OSError, http.client.HTTPException) as error:
            raise IncidentTrackerError("incident_tracker_unreachable") from error
        if status == 404:
            return IncidentState.UNKNOWN
        if status == 401:
            self._cached = None  # perhaps rotated: read it again next time
        if status != 200:
            raise IncidentTrackerError(f"incident_tracker_status_{status}")
        if len(raw) > MAX_ANSWER_BYTES:
            raise IncidentTrackerError("incident_tracker_garbage")
        try:
            value = json.loads(raw)
            state = _STATES[value["state"]]
            if value["reference"] != reference:
                raise ValueError("another incident")
        except (ValueError, KeyError, TypeError) as error:
            raise IncidentTrackerError("incident_tracker_garbage") from error
        return state
