"""What every line capability does the same way: find the caller's line (404 when it is not
theirs, exactly as when it does not exist), log staff reads, and apply a change: provisioning
first, then the read model and the audit entry in one transaction."""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import replace
from datetime import datetime

from selfcare.api.context import RequestInfo
from selfcare.auth.models import AuditEntry
from selfcare.auth.policy import Caller, Permission, authorize
from selfcare.clock import Clock, iso
from selfcare.dal.dynamo import RawItem
from selfcare.dal.line_items import ConditionFailed, LineItemsRepository
from selfcare.dal.logs import LogsRepository
from selfcare.errors import Conflict, NotFound, ProvisioningRefused, ProvisioningUnavailable
from selfcare.lines.models import Box, ChildKind, LineDetail, LineType
from selfcare.ports.provisioning import (
    PermanentProvisioningError,
    Provisioning,
    ProvisioningError,
    ProvisioningReceipt,
    ServiceChange,
    TransientProvisioningError,
)

NO_SUCH_LINE = "No such line."


class LineServiceBase:
    """Base of the capabilities' services. `capability` prefixes audit actions ("mobile.puk.viewed")."""

    capability = "lines"

    def __init__(
        self, lines: LineItemsRepository, logs: LogsRepository, provisioning: Provisioning, clock: Clock
    ) -> None:
        self.lines = lines
        self.logs = logs
        self.provisioning = provisioning
        self.clock = clock

    # Reads -----------------------------------------------------------------------------------
    def _list(self, caller: Caller, request: RequestInfo, line_type: LineType) -> list[LineDetail]:
        customer_id = authorize(caller, Permission.READ)
        found = self.lines.lines(customer_id, line_type)
        self._log_staff_read(caller, request, customer_id, f"{self.capability}.lines.viewed", "lines")
        return found

    def _line(
        self,
        caller: Caller,
        request: RequestInfo,
        line_id: str,
        types: Collection[LineType],
        permission: Permission = Permission.READ,
        viewed: str = "line.viewed",
    ) -> LineDetail:
        """The caller's line of one of `types`; NotFound for any other (unknown, not theirs, other type).

        Reads by staff are logged (SPEC.md: every staff access is logged); changes log themselves."""
        customer_id = authorize(caller, permission)
        line = self.lines.line(customer_id, line_id)
        if line is None or line.line_type not in types:
            raise NotFound(NO_SUCH_LINE)
        if permission is Permission.READ:
            self._log_staff_read(caller, request, customer_id, f"{self.capability}.{viewed}", f"line#{line_id}")
        return line

    def _log_staff_read(self, caller: Caller, request: RequestInfo, customer_id: str, action: str, target: str) -> None:
        if caller.is_staff:
            self.logs.audit(self._entry(caller, request, customer_id, action, target), self.clock.now())

    def _audited_view(self, caller: Caller, request: RequestInfo, line: LineDetail, action: str) -> None:
        """A view of a secret (PUK, PIN): audited whoever looks, customer or staff."""
        now = self.clock.now()
        self.logs.audit(self._entry(caller, request, line.customer_id, action, f"line#{line.line_id}", now), now)

    # Changes ---------------------------------------------------------------------------------
    def _change(
        self,
        caller: Caller,
        request: RequestInfo,
        line: LineDetail,
        change: ServiceChange | Callable[[], ProvisioningReceipt] | None,
        operations: list[RawItem],
        action: str,
        target: str,
        conflict: Conflict | None = None,
    ) -> datetime:
        """Apply a change: to the network first (so the read model never shows what the network
        has not done), then the read model and its audit entry in one transaction."""
        self._provision(change)
        now = self.clock.now()
        entry = self._entry(caller, request, line.customer_id, f"{self.capability}.{action}", target, now)
        try:
            self.lines.apply([*operations, self.logs.audit_op(entry, now)])
        except ConditionFailed as error:
            # The line or the item changed or went away between the read and the write.
            raise (conflict or NotFound("Not found.")) from error
        return now

    def _provision(self, change: ServiceChange | Callable[[], ProvisioningReceipt] | None) -> None:
        if change is None:
            return
        try:
            if isinstance(change, ServiceChange):
                self.provisioning.apply(change)
            else:
                change()
        except TransientProvisioningError as error:
            raise ProvisioningUnavailable() from error
        except PermanentProvisioningError as error:
            raise ProvisioningRefused() from error
        except ProvisioningError as error:
            raise ProvisioningUnavailable() from error

    def _entry(
        self,
        caller: Caller,
        request: RequestInfo,
        customer_id: str,
        action: str,
        target: str,
        now: datetime | None = None,
    ) -> AuditEntry:
        return AuditEntry(
            actor=caller.actor,
            on_behalf_of=f"customer#{customer_id}",
            action=action,
            target=target,
            at=iso(now or self.clock.now()),
            request_id=request.request_id,
            grant_id=caller.grant_id,
        )

    def _rename_box(self, caller: Caller, request: RequestInfo, line: LineDetail, box_id: str, name: str) -> Box:
        """Rename one of the line's boxes (internet and TV boxes alike)."""
        item = line.child(ChildKind.BOX, box_id)
        if item is None:
            raise NotFound("No such box.")
        change = ServiceChange(
            line_id=line.line_id,
            service="box",
            action="rename",
            params={"box_id": box_id, "name": name},
            idempotency_key=f"{request.request_id}:box:rename",
        )
        ops = [self.lines.set_child_op(line.customer_id, line.line_id, ChildKind.BOX, box_id, {"name": name})]
        self._change(caller, request, line, change, ops, "box.renamed", f"line#{line.line_id}/box#{box_id}")
        return replace(Box.of(item), name=name)

    def _for_change(
        self, caller: Caller, request: RequestInfo, line_id: str, types: Collection[LineType]
    ) -> LineDetail:
        return self._line(caller, request, line_id, types, Permission.MODIFY)

    @staticmethod
    def _require_active(line: LineDetail) -> None:
        if line.status != "active":
            raise Conflict("The line is not active.")
