"""Workflow engine port: start a named execution of a state machine, and read where it stands.

`StepFunctionsWorkflows` is the adapter (AWS and the local stack's moto). Execution names are the
workflows' handles: starting the same name again starts nothing (Step Functions refuses a second
execution of a name for 90 days; the adapter turns that refusal into "already started").
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Protocol

from botocore.exceptions import ClientError

from selfcare import aws


@dataclass(frozen=True)
class Execution:
    status: str  # RUNNING, SUCCEEDED, FAILED, TIMED_OUT, ABORTED, PENDING_REDRIVE
    error: str | None = None


class Workflows(Protocol):
    def start(self, state_machine_arn: str, name: str, payload: dict[str, Any]) -> bool:
        """Start the execution `name`; False when an execution of that name already exists."""
        ...

    def describe(self, state_machine_arn: str, name: str) -> Execution | None: ...


def execution_arn(state_machine_arn: str, name: str) -> str:
    """arn:aws:states:<region>:<account>:stateMachine:<machine> -> ...:execution:<machine>:<name>"""
    prefix, machine = state_machine_arn.split(":stateMachine:", 1)
    return f"{prefix}:execution:{machine}:{name}"


class StepFunctionsWorkflows:
    def start(self, state_machine_arn: str, name: str, payload: dict[str, Any]) -> bool:
        try:
            aws.client("stepfunctions").start_execution(
                stateMachineArn=state_machine_arn, name=name, input=json.dumps(payload)
            )
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") == "ExecutionAlreadyExists":
                return False
            raise
        return True

    def describe(self, state_machine_arn: str, name: str) -> Execution | None:
        try:
            described = aws.client("stepfunctions").describe_execution(
                executionArn=execution_arn(state_machine_arn, name)
            )
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") == "ExecutionDoesNotExist":
                return None
            raise
        return Execution(status=str(described["status"]), error=described.get("error"))
