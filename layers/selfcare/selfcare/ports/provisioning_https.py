"""`HttpsProvisioning`: the provisioning port over HTTPS with JSON (production, and the local simulator).

Configuration: the endpoint (https; plain http only on the loopback, for the local simulator), a connect
and a read timeout, and the id of a Secrets Manager secret holding `{"api_key": "..."}`, read on first
use and cached for `credentials_max_age` seconds (forgotten at once when the system answers 401, so a
rotated key is picked up). Standard library only (http.client, urllib.parse): no dependency added.

Requests: `POST <endpoint>/lines/<line_id>/<operation>` with a JSON body, `Authorization: Bearer <key>`
and `Idempotency-Key` (the system applies a key once and answers the same receipt to a replay). The
answer is `{"reference": "..."}`. One read: `GET <endpoint>/lines/<line_id>/sim` answers
`{"barred": true|false, "iccid": "..."|null}` (what the network holds: the workflows' compensation reads
it after an uncertain outcome, a timeout or a 5xx, to learn whether the change was applied).

Failures, classified for the callers and for Step Functions' retry policies:
- timeout (connect or read) -> ProvisioningTimeout (transient);
- connection refused or reset, 408, 429, 5xx, an unreadable answer -> TransientProvisioningError;
- any other 4xx (refused request, unknown line, bad credentials) -> PermanentProvisioningError.
Messages carry the operation and the status only: never a number, an ICCID or a key.
"""

from __future__ import annotations

import http.client
import json
import ssl
import time
from typing import Any
from urllib.parse import quote

from selfcare import aws
from selfcare.ports.provisioning import (
    PermanentProvisioningError,
    ProvisioningReceipt,
    ProvisioningTimeout,
    ServiceChange,
    SimStatus,
    TransientProvisioningError,
)
from selfcare.ports.urls import checked_url

_TRANSIENT_STATUSES = {408, 425, 429}


class HttpsProvisioning:
    def __init__(
        self,
        endpoint: str,
        credentials_secret_id: str,
        connect_timeout: float = 3.0,
        read_timeout: float = 8.0,
        credentials_max_age: float = 300.0,
    ) -> None:
        url = checked_url(endpoint, "the provisioning endpoint")
        self._scheme = url.scheme
        self._host = url.hostname or ""  # never empty: checked_url refuses a URL without a host
        self._port = url.port
        self._base_path = url.path.rstrip("/")
        self._secret_id = credentials_secret_id
        self._connect_timeout = connect_timeout
        self._read_timeout = read_timeout
        self._max_age = credentials_max_age
        self._cached_key: tuple[float, str] | None = None

    # The port ---------------------------------------------------------------------------------
    def bar_sim(self, line_id: str, msisdn: str, idempotency_key: str) -> ProvisioningReceipt:
        return self._post(line_id, "bar_sim", {"msisdn": msisdn}, idempotency_key)

    def unbar_sim(self, line_id: str, msisdn: str, idempotency_key: str) -> ProvisioningReceipt:
        return self._post(line_id, "unbar_sim", {"msisdn": msisdn}, idempotency_key)

    def swap_sim(self, line_id: str, msisdn: str, new_iccid: str, idempotency_key: str) -> ProvisioningReceipt:
        return self._post(line_id, "swap_sim", {"msisdn": msisdn, "iccid": new_iccid}, idempotency_key)

    def activate_sim(self, line_id: str, msisdn: str, iccid: str, idempotency_key: str) -> ProvisioningReceipt:
        return self._post(line_id, "activate_sim", {"msisdn": msisdn, "iccid": iccid}, idempotency_key)

    def apply(self, change: ServiceChange) -> ProvisioningReceipt:
        body = {"service": change.service, "action": change.action, "params": change.params}
        key = change.idempotency_key or f"{change.line_id}:{change.service}:{change.action}"
        return self._post(change.line_id, "apply", body, key)

    def sim_status(self, line_id: str) -> SimStatus:
        raw = self._call("GET", line_id, "sim", None, None)
        try:
            value = json.loads(raw)
            barred, iccid = value["barred"], value.get("iccid")
            if not isinstance(barred, bool) or not (iccid is None or isinstance(iccid, str)):
                raise TypeError
        except (ValueError, KeyError, TypeError, AttributeError) as error:
            raise TransientProvisioningError("sim: unreadable answer") from error
        return SimStatus(barred=barred, iccid=iccid)

    # Plumbing ---------------------------------------------------------------------------------
    def _api_key(self) -> str:
        if self._cached_key and time.monotonic() - self._cached_key[0] < self._max_age:
            return self._cached_key[1]
        value = json.loads(aws.client("secretsmanager").get_secret_value(SecretId=self._secret_id)["SecretString"])
        key = str(value["api_key"])
        self._cached_key = (time.monotonic(), key)
        return key

    def _connection(self) -> http.client.HTTPConnection:
        if self._scheme == "https":
            return http.client.HTTPSConnection(
                self._host, self._port, timeout=self._connect_timeout, context=ssl.create_default_context()
            )
        return http.client.HTTPConnection(self._host, self._port, timeout=self._connect_timeout)

    def _post(self, line_id: str, operation: str, body: dict[str, Any], idempotency_key: str) -> ProvisioningReceipt:
        raw = self._call("POST", line_id, operation, body, idempotency_key)
        try:
            reference = json.loads(raw)["reference"]
        except (ValueError, KeyError, TypeError) as error:
            raise TransientProvisioningError(f"{operation}: unreadable answer") from error
        return ProvisioningReceipt(reference=str(reference))

    def _call(
        self, method: str, line_id: str, operation: str, body: dict[str, Any] | None, idempotency_key: str | None
    ) -> bytes:
        """One request; the answer's body when 2xx, else the classified failure."""
        path = f"{self._base_path}/lines/{quote(line_id, safe='')}/{operation}"
        payload = json.dumps(body).encode() if body is not None else None
        headers = {"Authorization": f"Bearer {self._api_key()}", "Accept": "application/json"}
        if payload is not None:
            headers["Content-Type"] = "application/json"
        if idempotency_key is not None:
            headers["Idempotency-Key"] = idempotency_key
        connection = self._connection()
        try:
            connection.connect()
            if connection.sock is not None:
                connection.sock.settimeout(self._read_timeout)
            connection.request(method, path, body=payload, headers=headers)
            response = connection.getresponse()
            status = response.status
            raw = response.read()
        except TimeoutError as error:
            raise ProvisioningTimeout(f"{operation}: no answer in time") from error
        except (OSError, http.client.HTTPException) as error:
            raise TransientProvisioningError(f"{operation}: connection failed ({type(error).__name__})") from error
        finally:
            connection.close()
        if status == 401:
            self._cached_key = None  # perhaps rotated: read it again next time
        if status >= 500 or status in _TRANSIENT_STATUSES:
            raise TransientProvisioningError(f"{operation}: provisioning answered {status}")
        if status >= 400:
            raise PermanentProvisioningError(f"{operation}: provisioning refused the request ({status})")
        if not 200 <= status < 300:
            raise TransientProvisioningError(f"{operation}: unexpected status {status}")
        return raw
