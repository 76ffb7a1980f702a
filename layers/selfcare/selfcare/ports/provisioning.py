"""Port to the operator's network provisioning system (SIM barring, SIM swap, service changes).

Logic and the workflow tasks depend on `Provisioning` only. Adapters:
- `HttpsProvisioning` (production, and the local stack pointed at its simulator): endpoint,
  timeouts and credentials from configuration.
Failures are classified so that callers (and Step Functions retry policies) can act on them:
`TransientProvisioningError` (retry with backoff), `ProvisioningTimeout` (a transient failure),
`PermanentProvisioningError` (do not retry: compensate).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol


class ProvisioningError(Exception):
    """Base of every provisioning failure. `code` is safe to log; messages may not be."""

    code = "provisioning_error"


class TransientProvisioningError(ProvisioningError):
    code = "provisioning_transient"


class ProvisioningTimeout(TransientProvisioningError):
    code = "provisioning_timeout"


class PermanentProvisioningError(ProvisioningError):
    code = "provisioning_permanent"


@dataclass(frozen=True)
class ServiceChange:
    """One change to a subscribed service, as the network must apply it.

    `service`: "mobile", "fixed", "internet", "voip", "tv", "mailbox", "nomadic", "drive", ...
    `action`: what to do ("rename_box", "set_forwarding", "subscribe_pack", ...).
    `params`: the change's values (never logged: they may hold personal data or secrets).
    """

    line_id: str
    service: str
    action: str
    params: dict[str, str] = field(default_factory=dict)
    idempotency_key: str | None = None


@dataclass(frozen=True)
class ProvisioningReceipt:
    reference: str  # the provisioning system's reference of the operation


@dataclass(frozen=True)
class SimStatus:
    """What the network holds for a line's SIM now (read after an uncertain outcome: did a change apply?)."""

    barred: bool
    iccid: str | None = None


class Provisioning(Protocol):
    def bar_sim(self, line_id: str, msisdn: str, idempotency_key: str) -> ProvisioningReceipt:
        """Bar the line's SIM (loss or theft)."""
        ...

    def unbar_sim(self, line_id: str, msisdn: str, idempotency_key: str) -> ProvisioningReceipt:
        """Lift the bar on the line's current SIM."""
        ...

    def swap_sim(self, line_id: str, msisdn: str, new_iccid: str, idempotency_key: str) -> ProvisioningReceipt:
        """Move the line to a new SIM (the new SIM is active, unbarred, once this returns)."""
        ...

    def activate_sim(self, line_id: str, msisdn: str, iccid: str, idempotency_key: str) -> ProvisioningReceipt:
        """Activate a new SIM card on the line."""
        ...

    def apply(self, change: ServiceChange) -> ProvisioningReceipt:
        """Apply a service change."""
        ...

    def sim_status(self, line_id: str) -> SimStatus:
        """Read the line's SIM as the network has it (barred or not, current ICCID). Changes nothing."""
        ...
