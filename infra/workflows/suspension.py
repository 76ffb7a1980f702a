"""The suspension and reactivation state machines (Standard workflows), as ASL built from Python.

One definition for both places: the CDK construct (infra/stacks/constructs/workflows.py) passes it
with `definition_substitutions`, the local stack (infra/local/resources.py) substitutes the same
placeholders itself and creates it on moto, which really executes it.

Success path (4 state transitions, both kinds): Begin -> Provision -> Complete -> Notify.
- Begin, Complete: DynamoDB, inside the `line_tasks` Lambda function (through the dal: conditions,
  status version, audit entry in the same transaction, ICCID claims), not as direct DynamoDB
  integrations: the item shapes and conditions live in one place (selfcare.dal.lines) and each step
  is one transaction with its audit entry, which the optimized integrations cannot do.
- Provision: the provisioning port; transient errors (`TransientProvisioningError`,
  `ProvisioningTimeout`) retried with backoff, a bounded number of times.
- Notify: the customer's contact email. A failure raises an incident but does not undo the change.
- Any failure of Provision or Complete, or an exhausted retry: Compensate (the network's state read, a
  change found there undone, even one whose step timed out; line back to its previous status, audit
  entry), RaiseIncident (EventBridge, with what compensation found on the network), then the execution
  fails with `WorkflowCompensated`. Begin refused (the line moved, the SIM is taken): `WorkflowRefused`,
  nothing to undo. Compensation itself failing: incident, `CompensationFailed`.
"""

from __future__ import annotations

import json
from typing import Any

from selfcare.dal.lines import TransientStoreError
from selfcare.errors import IccidInUse, LineNotActive
from selfcare.ports.provisioning import ProvisioningTimeout, TransientProvisioningError
from selfcare.workflows.models import (
    COMPENSATED_ERROR,
    COMPENSATION_FAILED_ERROR,
    REFUSED_ERROR,
    WorkflowKind,
)

from infra import definitions as d

# Placeholders, as CDK's definition_substitutions writes them: ${Name}.
TASKS_FUNCTION = "LineTasksFunctionArn"
INCIDENT_BUS = "IncidentBusName"
PLACEHOLDERS = (TASKS_FUNCTION, INCIDENT_BUS)

# Errors of the Lambda service itself, retried as AWS recommends for Lambda tasks.
LAMBDA_SERVICE_ERRORS = (
    "Lambda.ServiceException",
    "Lambda.AWSLambdaException",
    "Lambda.SdkClientException",
    "Lambda.TooManyRequestsException",
)
TRANSIENT_PROVISIONING = (TransientProvisioningError.__name__, ProvisioningTimeout.__name__)
TRANSIENT_STORE = (TransientStoreError.__name__,)
REFUSALS = (LineNotActive.__name__, IccidInUse.__name__)
TASK_TIMEOUT_SECONDS = 60

SUCCESS_PATH = ("Begin", "Provision", "Complete", "Notify")


def retrier(policy: d.Retry, errors: tuple[str, ...]) -> dict[str, Any]:
    """One ASL Retry: Step Functions sleeps interval * backoff^n (capped at max_delay) between attempts."""
    return {
        "ErrorEquals": list(errors),
        "IntervalSeconds": policy.interval_seconds,
        "BackoffRate": policy.backoff_rate,
        "MaxAttempts": policy.max_attempts,
        "MaxDelaySeconds": policy.max_delay_seconds,
    }


def _ref(name: str) -> str:
    return "${" + name + "}"


def _task(action: str, retry: d.Retry, errors: tuple[str, ...], result_path: str | None) -> dict[str, Any]:
    parameters: dict[str, Any] = (
        {"action": action, "state.$": "$"} if action == "compensate" else {"action": action, "request.$": "$.request"}
    )
    return {
        "Type": "Task",
        "Resource": _ref(TASKS_FUNCTION),
        "Parameters": parameters,
        "ResultPath": result_path,
        "TimeoutSeconds": TASK_TIMEOUT_SECONDS,
        "Retry": [retrier(retry, (*errors, *LAMBDA_SERVICE_ERRORS))],
    }


def _incident(
    detail_type: str, kind: WorkflowKind, error_path: str, retry: d.Retry, extra: dict[str, str] | None = None
) -> dict[str, Any]:
    return {
        "Type": "Task",
        "Resource": "arn:aws:states:::events:putEvents",
        "Parameters": {
            "Entries": [
                {
                    "EventBusName": _ref(INCIDENT_BUS),
                    "Source": d.INCIDENT_SOURCE,
                    "DetailType": detail_type,
                    # Identifiers only: the handle stands for the line (line ids may hold a phone number).
                    "Detail": {
                        "kind": kind.value,
                        "handle.$": "$.request.handle",
                        "customer_id.$": "$.request.customer_id",
                        "error.$": error_path,
                    }
                    | (extra or {}),
                }
            ]
        },
        "ResultPath": None,
        "Retry": [retrier(retry, ("States.TaskFailed",))],
    }


def definition(kind: WorkflowKind, retry: d.Retry, compensation_retry: d.Retry) -> dict[str, Any]:
    """The ASL of one workflow; ${LineTasksFunctionArn} and ${IncidentBusName} are left to substitute."""
    to_compensate = {"ErrorEquals": ["States.ALL"], "Next": "Compensate", "ResultPath": "$.error"}
    return {
        "Comment": f"Selfcare: {kind.value} of a mobile line (infra/workflows/suspension.py)",
        "StartAt": "Begin",
        "States": {
            "Begin": _task("begin", retry, TRANSIENT_STORE, "$.begun")
            | {
                "Catch": [
                    {"ErrorEquals": list(REFUSALS), "Next": "Refused", "ResultPath": "$.error"},
                    to_compensate,
                ],
                "Next": "Provision",
            },
            "Provision": _task("provision", retry, TRANSIENT_PROVISIONING + TRANSIENT_STORE, "$.provisioned")
            | {"Catch": [to_compensate], "Next": "Complete"},
            "Complete": _task("complete", retry, TRANSIENT_STORE, "$.completed")
            | {"Catch": [to_compensate], "Next": "Notify"},
            "Notify": _task("notify", retry, ("States.TaskFailed",), None)
            | {
                "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "NotificationFailed", "ResultPath": "$.error"}],
                "End": True,
            },
            "NotificationFailed": _incident(d.INCIDENT_NOTIFICATION_FAILED, kind, "$.error.Error", retry)
            | {"Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Done", "ResultPath": None}], "Next": "Done"},
            "Done": {"Type": "Succeed", "Comment": "The line's change is done; only its notification failed"},
            # Compensation retries whatever the error (bounded, and longer): a line must not stay pending.
            "Compensate": _task("compensate", compensation_retry, (), "$.compensation")
            | {
                "Retry": [retrier(compensation_retry, ("States.ALL",))],
                "Catch": [
                    {"ErrorEquals": ["States.ALL"], "Next": "RaiseCompensationFailure", "ResultPath": "$.failure"}
                ],
                "Next": "RaiseIncident",
            },
            # What really happened on the network, as compensation read it (NetworkOutcome): a timed-out provision
            # step may have applied the change; the incident says whether it had, and that it was undone.
            "RaiseIncident": _incident(
                d.INCIDENT_COMPENSATED,
                kind,
                "$.error.Error",
                retry,
                {"network.$": "$.compensation.network", "provision_answered.$": "$.compensation.provision_answered"},
            )
            | {
                "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Compensated", "ResultPath": None}],
                "Next": "Compensated",
            },
            "Compensated": {
                "Type": "Fail",
                "Error": COMPENSATED_ERROR,
                "Cause": "The change failed; the line is back to its previous status.",
            },
            "RaiseCompensationFailure": _incident(d.INCIDENT_COMPENSATION_FAILED, kind, "$.failure.Error", retry)
            | {
                "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "CompensationFailed", "ResultPath": None}],
                "Next": "CompensationFailed",
            },
            "CompensationFailed": {
                "Type": "Fail",
                "Error": COMPENSATION_FAILED_ERROR,
                "Cause": "The change failed and could not be undone: operators are alerted.",
            },
            "Refused": {
                "Type": "Fail",
                "Error": REFUSED_ERROR,
                "Cause": "The line was not in the required status, or the SIM is held by another line: no change.",
            },
        },
    }


def render(asl: dict[str, Any], substitutions: dict[str, str]) -> str:
    """The definition with its placeholders replaced (what CloudFormation does with DefinitionSubstitutions)."""
    text = json.dumps(asl)
    for name in PLACEHOLDERS:
        text = text.replace(_ref(name), substitutions[name])
    return text


def success_path_transitions(asl: dict[str, Any]) -> int:
    """State transitions of the success path, counted on the ASL: from StartAt, following Next, to End."""
    states = asl["States"]
    name: str | None = asl["StartAt"]
    count = 0
    while name is not None:
        count += 1
        state = states[name]
        name = None if state.get("End") or state["Type"] in ("Succeed", "Fail") else state["Next"]
    return count


def definitions_for(
    retry: d.Retry = d.WORKFLOW_RETRY, compensation_retry: d.Retry = d.COMPENSATION_RETRY
) -> dict[str, dict[str, Any]]:
    """State machine name -> its ASL (placeholders left), for every definitions.STATE_MACHINES entry."""
    return {
        machine.name: definition(WorkflowKind(machine.kind), retry, compensation_retry) for machine in d.STATE_MACHINES
    }
