"""HttpsProvisioning against the provisioning simulator over loopback HTTP: requests, idempotency,
credentials from Secrets Manager (moto), and the classification of every failure."""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Iterator

import boto3
import pytest
from moto import mock_aws
from selfcare import aws
from selfcare.ports.provisioning import (
    PermanentProvisioningError,
    ProvisioningTimeout,
    ServiceChange,
    SimStatus,
    TransientProvisioningError,
)
from selfcare.ports.provisioning_https import HttpsProvisioning

from infra.local.provisioning_simulator import ProvisioningSimulator

SECRET = "test/provisioning"


@pytest.fixture
def simulator() -> Iterator[ProvisioningSimulator]:
    sim = ProvisioningSimulator().start()
    yield sim
    sim.stop()


@pytest.fixture
def secrets(simulator: ProvisioningSimulator) -> Iterator[object]:
    with mock_aws():
        aws.reset()
        client = boto3.client("secretsmanager", region_name="eu-west-3")
        client.create_secret(Name=SECRET, SecretString=json.dumps({"api_key": simulator.api_key}))
        yield client
        aws.reset()


def adapter(url: str, read_timeout: float = 1.0) -> HttpsProvisioning:
    return HttpsProvisioning(url, SECRET, connect_timeout=1.0, read_timeout=read_timeout)


def test_operations_reach_the_system_once_per_idempotency_key(
    simulator: ProvisioningSimulator, secrets: object
) -> None:
    provisioning = adapter(simulator.url)
    first = provisioning.bar_sim("L1", "+377600000001", "key-1")
    again = provisioning.bar_sim("L1", "+377600000001", "key-1")
    assert first == again and first.reference.startswith("PRV-")
    assert simulator.sim("L1")["barred"] is True
    provisioning.swap_sim("L1", "+377600000001", "8937701000000000007", "key-2")
    assert simulator.sim("L1") == {"barred": False, "iccid": "8937701000000000007"}
    provisioning.apply(ServiceChange("I1", "voip", "set_forwarding", {"to": "+33100000000"}, "key-3"))
    assert [a.outcome for a in simulator.attempts()] == ["applied", "replayed", "applied", "applied"]


@pytest.mark.parametrize(
    ("mode", "expected"),
    [
        ("transient", TransientProvisioningError),
        ("timeout", ProvisioningTimeout),
        ("permanent", PermanentProvisioningError),
    ],
)
def test_failures_are_classified(
    simulator: ProvisioningSimulator, secrets: object, mode: str, expected: type[Exception]
) -> None:
    simulator.set_fault("unbar_sim", mode, times=1, delay_seconds=1.0)
    with pytest.raises(expected) as raised:
        adapter(simulator.url, read_timeout=0.3).unbar_sim("L1", "+377600000001", "k")
    assert "+377" not in str(raised.value), "no number in an error message"
    if mode != "permanent":  # transient faults are consumed: the next attempt goes through
        time.sleep(0.8 if mode == "timeout" else 0)
        assert adapter(simulator.url).unbar_sim("L1", "+377600000001", "k").reference


def test_a_timeout_is_also_a_transient_error() -> None:
    assert issubclass(ProvisioningTimeout, TransientProvisioningError)


def test_refused_credentials_are_permanent_and_read_again_next_time(
    simulator: ProvisioningSimulator, secrets: object
) -> None:
    client = secrets
    client.put_secret_value(SecretId=SECRET, SecretString=json.dumps({"api_key": "wrong"}))  # type: ignore[attr-defined]
    provisioning = adapter(simulator.url)
    with pytest.raises(PermanentProvisioningError):
        provisioning.bar_sim("L1", "+377600000001", "k")
    client.put_secret_value(SecretId=SECRET, SecretString=json.dumps({"api_key": simulator.api_key}))  # type: ignore[attr-defined]
    assert provisioning.bar_sim("L1", "+377600000001", "k").reference  # the key was read again after the 401


def test_an_unreachable_system_is_transient(secrets: object) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(TransientProvisioningError):
        adapter(f"http://127.0.0.1:{port}").bar_sim("L1", "+377600000001", "k")


def test_plain_http_only_on_the_loopback() -> None:
    with pytest.raises(ValueError, match="loopback"):
        HttpsProvisioning("http://provisioning.example", SECRET)
    with pytest.raises(ValueError):
        HttpsProvisioning("ftp://127.0.0.1", SECRET)
    HttpsProvisioning("https://provisioning.example/v1", SECRET)


def test_the_sim_status_is_read_from_the_network(simulator: ProvisioningSimulator, secrets: object) -> None:
    # Given a line whose SIM the network barred, and one it never heard of
    provisioning = adapter(simulator.url)
    provisioning.bar_sim("L1", "+377600000001", "key-1")

    # When the adapter reads them, Then it gets what the network holds, and nothing was applied by reading
    assert provisioning.sim_status("L1") == SimStatus(barred=True, iccid=None)
    provisioning.swap_sim("L1", "+377600000001", "8937701000000000007", "key-2")
    assert provisioning.sim_status("L1") == SimStatus(barred=False, iccid="8937701000000000007")
    assert provisioning.sim_status("L2") == SimStatus(barred=False, iccid=None)
    assert [a.operation for a in simulator.applied()] == ["bar_sim", "swap_sim"]


def test_applied_then_timed_out_changes_the_network_although_the_client_times_out(
    simulator: ProvisioningSimulator, secrets: object
) -> None:
    # Given the simulator's uncertain mode: the operation applies, the answer comes 3 s later, well after the
    # 0.3 s read timeout; and an adapter whose credentials are already read (a GET reads the key and is not an
    # attempt), so that the timing below measures the request alone, not Secrets Manager on a loaded machine
    simulator.set_fault("bar_sim", "applied_timeout", times=1, delay_seconds=3.0)
    provisioning = adapter(simulator.url, read_timeout=0.3)
    provisioning.sim_status("L1")

    # When the adapter bars the SIM, Then it sees a timeout, long before the answer would have come...
    started = time.monotonic()
    with pytest.raises(ProvisioningTimeout):
        provisioning.bar_sim("L1", "+377600000001", "k")
    assert time.monotonic() - started < 2.0, "the client gave up at its read timeout, not at the answer"
    # ...while the network did bar it, and a retry with the same key is a replay of that change
    assert simulator.sim("L1")["barred"] is True
    assert adapter(simulator.url).bar_sim("L1", "+377600000001", "k").reference == simulator.applied()[0].reference
    assert [a.outcome for a in simulator.attempts()] == ["applied_timeout", "replayed"]


def test_the_timeout_modes_outlast_the_default_read_timeout() -> None:
    from selfcare.config import ProvisioningSettings

    from infra.local.provisioning_simulator import DEFAULT_DELAY_SECONDS, Fault

    default_read_timeout = ProvisioningSettings.model_fields["provisioning_read_timeout_seconds"].default
    assert Fault("bar_sim", "timeout").delay_seconds == DEFAULT_DELAY_SECONDS > default_read_timeout


def test_an_unreadable_sim_status_is_transient(secrets: object) -> None:
    import threading
    from http.server import BaseHTTPRequestHandler, HTTPServer

    class Garbled(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.end_headers()
            self.wfile.write(b'{"barred": "yes"}')

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = HTTPServer(("127.0.0.1", 0), Garbled)
    threading.Thread(target=server.handle_request, daemon=True).start()
    try:
        with pytest.raises(TransientProvisioningError):
            adapter(f"http://127.0.0.1:{server.server_address[1]}").sim_status("L1")
    finally:
        server.server_close()
