"""The line workflows in the synthesized templates: properties, not counts (STYLE.md 14).

State machines: Standard, named as definitions says, the very ASL of infra/workflows/suspension.py with
the deployed retry policies, logging every event (no execution data) to their own log group with a
retention, X-Ray tracing; their role scoped to the tasks function and the incident bus; the secrets in
the data stack; the local stack creating the same state machines (names, states) on moto.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from infra import definitions as d
from infra.local.resources import create_resources
from infra.stacks import names
from infra.workflows.suspension import TRANSIENT_PROVISIONING, definitions_for
from tests.infra.conftest import Synth, Template, as_list, get_att, ref, resources_of_type

pytestmark = pytest.mark.infra


def machines(service_template: Template) -> dict[str, tuple[str, dict[str, Any]]]:
    """State machine name -> (logical id, properties)."""
    return {
        resource["Properties"]["StateMachineName"]: (logical_id, resource["Properties"])
        for logical_id, resource in resources_of_type(service_template, "AWS::StepFunctions::StateMachine").items()
    }


def test_one_standard_state_machine_per_definition(service_template: Template) -> None:
    found = machines(service_template)
    assert set(found) == {m.name for m in d.STATE_MACHINES}
    for _, properties in found.values():
        assert properties["StateMachineType"] == "STANDARD"


@pytest.mark.parametrize("machine", d.STATE_MACHINES, ids=lambda m: m.name)
def test_definition_is_the_one_of_infra_workflows_with_the_deployed_retry_policy(
    synth: Synth, service_template: Template, machine: d.StateMachine
) -> None:
    _, properties = machines(service_template)[machine.name]
    asl = json.loads(properties["DefinitionString"])
    assert asl == definitions_for(d.WORKFLOW_RETRY, d.COMPENSATION_RETRY)[machine.name]
    tasks_function = synth.logical_id(names.SERVICE_STACK, "Functions/LineTasks/Function/Resource")
    bus = synth.logical_id(names.SERVICE_STACK, "Workflows/IncidentBus/Resource")
    assert properties["DefinitionSubstitutions"] == {
        "LineTasksFunctionArn": get_att(tasks_function, "Arn"),
        "IncidentBusName": ref(bus),
    }
    states = asl["States"]
    # Retries: bounded, with backoff, on transient errors only for the provisioning call
    provision = states["Provision"]["Retry"]
    assert len(provision) == 1
    assert provision[0]["MaxAttempts"] == d.WORKFLOW_RETRY.max_attempts <= 5
    assert provision[0]["BackoffRate"] == d.WORKFLOW_RETRY.backoff_rate > 1
    assert set(TRANSIENT_PROVISIONING) <= set(provision[0]["ErrorEquals"])
    assert "States.ALL" not in provision[0]["ErrorEquals"]
    # Compensation: every failure after Begin compensates, then raises an incident, then fails
    for step in ("Begin", "Provision", "Complete"):
        assert any(c["ErrorEquals"] == ["States.ALL"] and c["Next"] == "Compensate" for c in states[step]["Catch"])
    assert states["Compensate"]["Retry"][0]["MaxAttempts"] == d.COMPENSATION_RETRY.max_attempts
    incident = states["RaiseIncident"]
    assert incident["Resource"] == "arn:aws:states:::events:putEvents"
    assert incident["Parameters"]["Entries"][0]["EventBusName"] == "${IncidentBusName}"
    assert incident["Parameters"]["Entries"][0]["DetailType"] == d.INCIDENT_COMPENSATED
    assert states[incident["Next"]]["Type"] == "Fail"


@pytest.mark.parametrize("machine", d.STATE_MACHINES, ids=lambda m: m.name)
def test_logging_and_tracing(service_template: Template, machine: d.StateMachine) -> None:
    _, properties = machines(service_template)[machine.name]
    logging = properties["LoggingConfiguration"]
    assert logging["Level"] == "ALL" and logging["IncludeExecutionData"] is False
    (destination,) = logging["Destinations"]
    log_group_id = destination["CloudWatchLogsLogGroup"]["LogGroupArn"]["Fn::GetAtt"][0]
    log_group = service_template["Resources"][log_group_id]["Properties"]
    assert log_group["RetentionInDays"] == d.LOG_RETENTION_DAYS
    assert log_group["LogGroupName"] == f"{names.STATE_MACHINE_LOG_GROUP_PREFIX}{machine.name}"
    assert properties["TracingConfiguration"] == {"Enabled": True}


def test_state_machine_role_is_scoped(synth: Synth, service_template: Template) -> None:
    role_ids = {props["RoleArn"]["Fn::GetAtt"][0] for _, props in machines(service_template).values()}
    assert len(role_ids) == 1
    (role_id,) = role_ids
    role = service_template["Resources"][role_id]["Properties"]
    assert role["AssumeRolePolicyDocument"]["Statement"][0]["Principal"] == {"Service": "states.amazonaws.com"}
    statements = [s for policy in role["Policies"] for s in as_list(policy["PolicyDocument"]["Statement"])]
    by_action = {action: s["Resource"] for s in statements for action in as_list(s["Action"])}
    tasks_function = synth.logical_id(names.SERVICE_STACK, "Functions/LineTasks/Function/Resource")
    bus = synth.logical_id(names.SERVICE_STACK, "Workflows/IncidentBus/Resource")
    assert by_action["lambda:InvokeFunction"] == get_att(tasks_function, "Arn")
    assert by_action["events:PutEvents"] == get_att(bus, "Arn")
    wildcard = {a for a, r in by_action.items() if r == "*"}
    assert wildcard == set(names.STATE_MACHINE_LOG_DELIVERY_ACTIONS) | set(names.STATE_MACHINE_XRAY_ACTIONS)
    assert not role.get("ManagedPolicyArns")


def test_incident_bus_is_named_as_defined(service_template: Template) -> None:
    buses = [bus["Properties"]["Name"] for bus in resources_of_type(service_template, "AWS::Events::EventBus").values()]
    assert d.INCIDENT_BUS_NAME in buses


def test_secrets_are_in_the_data_stack_encrypted_and_retained(data_template: Template) -> None:
    resources = data_template["Resources"]
    for logical_id, name in (
        (names.PROVISIONING_CREDENTIALS_SECRET_LOGICAL_ID, d.PROVISIONING_CREDENTIALS_SECRET_NAME),
        (names.VOD_HASH_KEY_SECRET_LOGICAL_ID, d.VOD_HASH_KEY_SECRET_NAME),
    ):
        secret = resources[logical_id]
        assert secret["Type"] == "AWS::SecretsManager::Secret"
        assert secret["Properties"]["Name"] == name
        assert secret["Properties"]["KmsKeyId"] == get_att(names.DATA_KEY_LOGICAL_ID, "Arn")
        assert secret["DeletionPolicy"] == "Retain"
    assert "SecretString" not in resources[names.PROVISIONING_CREDENTIALS_SECRET_LOGICAL_ID]["Properties"]
    assert "GenerateSecretString" in resources[names.VOD_HASH_KEY_SECRET_LOGICAL_ID]["Properties"]


@pytest.fixture(scope="module")
def local_machines() -> Iterator[dict[str, dict[str, Any]]]:
    with mock_aws():
        session = boto3.Session(region_name="eu-west-3")
        resources = create_resources(session)
        sfn = session.client("stepfunctions")
        yield {
            name: json.loads(sfn.describe_state_machine(stateMachineArn=arn)["definition"])
            for name, arn in resources.state_machine_arns.items()
        }


def test_the_local_stack_runs_the_same_state_machines(
    service_template: Template, local_machines: dict[str, dict[str, Any]]
) -> None:
    deployed = {name: json.loads(props["DefinitionString"]) for name, (_, props) in machines(service_template).items()}
    assert set(local_machines) == set(deployed)
    for name, asl in local_machines.items():
        assert asl["StartAt"] == deployed[name]["StartAt"]
        assert {s: state["Type"] for s, state in asl["States"].items()} == {
            s: state["Type"] for s, state in deployed[name]["States"].items()
        }
        assert asl["States"]["Begin"]["Resource"].endswith(f":function:{d.SERVICE}-{d.WORKFLOW_TASKS_FUNCTION}")
