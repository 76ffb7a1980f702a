"""Wiring of the line capabilities' services: the provisioning port's adapter from configuration."""

from __future__ import annotations

from selfcare.config import ProvisioningSettings
from selfcare.ports.provisioning import (
    PermanentProvisioningError,
    Provisioning,
    ProvisioningReceipt,
    ServiceChange,
    SimStatus,
)


def provisioning_from(settings: ProvisioningSettings) -> Provisioning:
    """The HTTPS adapter (production; locally, pointed at the simulator). Nothing is read or
    connected until the first change: building it costs no cold-start time."""
    from selfcare.ports.provisioning_https import HttpsProvisioning

    return HttpsProvisioning(
        settings.provisioning_endpoint,
        settings.provisioning_credentials_secret_id,
        connect_timeout=settings.provisioning_connect_timeout_seconds,
        read_timeout=settings.provisioning_read_timeout_seconds,
    )


class NoProvisioning:
    """For the read-only capabilities (fixed, services): they change nothing on the network."""

    def _refuse(self) -> ProvisioningReceipt:
        raise PermanentProvisioningError("this capability makes no changes")

    def bar_sim(self, line_id: str, msisdn: str, idempotency_key: str) -> ProvisioningReceipt:
        return self._refuse()

    def unbar_sim(self, line_id: str, msisdn: str, idempotency_key: str) -> ProvisioningReceipt:
        return self._refuse()

    def swap_sim(self, line_id: str, msisdn: str, new_iccid: str, idempotency_key: str) -> ProvisioningReceipt:
        return self._refuse()

    def activate_sim(self, line_id: str, msisdn: str, iccid: str, idempotency_key: str) -> ProvisioningReceipt:
        return self._refuse()

    def apply(self, change: ServiceChange) -> ProvisioningReceipt:
        return self._refuse()

    def sim_status(self, line_id: str) -> SimStatus:
        raise PermanentProvisioningError("this capability reads nothing from the network")
