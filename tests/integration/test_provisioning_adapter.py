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
