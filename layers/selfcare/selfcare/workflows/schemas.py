"""HTTP boundary models of the `suspension` capability."""

from __future__ import annotations

from typing import Annotated

from pydantic import ConfigDict, Field, StringConstraints

from selfcare.api.schema import Schema
from selfcare.types import Iccid, LineId
from selfcare.workflows.models import WorkflowKind, WorkflowState, WorkflowStatus

__all__ = ["LineId", "ReactivationRequest", "SuspensionRequest", "WorkflowHandle", "WorkflowView"]

WorkflowHandle = Annotated[str, StringConstraints(pattern=r"^(suspension|reactivation)-[0-9a-f]{20}-v[0-9]{1,9}$")]


class SuspensionRequest(Schema):
    """A suspension after loss or theft. No field: the line is in the path."""

    model_config = ConfigDict(defer_build=True, extra="forbid")


class ReactivationRequest(Schema):
    model_config = ConfigDict(defer_build=True, extra="forbid")

    new_iccid: Iccid | None = Field(
        None,
        description="The new SIM card's ICCID (19 or 20 digits starting with 89, Luhn check digit), "
        "when the line moves to a new SIM; absent: the bar on the current SIM is lifted",
    )


class WorkflowView(Schema):
    handle: str = Field(description="The workflow's handle: GET /mobile/lines/{line_id}/workflows/{handle}")
    kind: WorkflowKind
    state: WorkflowState = Field(
        description="pending; succeeded; failed_compensated (the line is back to its previous status); "
        "refused (the line changed before the workflow began: nothing done); failed (operators are alerted)"
    )
    line_status: str = Field(description="The line's status now: active, suspension_pending, suspended, ...")

    @staticmethod
    def of(status: WorkflowStatus) -> WorkflowView:
        return WorkflowView(handle=status.handle, kind=status.kind, state=status.state, line_status=status.line_status)
