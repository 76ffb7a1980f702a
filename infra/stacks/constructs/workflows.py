"""The lines' suspension and reactivation workflows: the incident bus and the two Standard state machines.

The definitions come from infra/workflows/suspension.py (the local stack creates the very same ones on
moto). Each state machine logs every event to its own log group, without execution data (inputs and
outputs stay out of the logs), with X-Ray tracing; one role for both, scoped to invoking the tasks
function and putting events on the incident bus, plus what logging and tracing require.
"""

from __future__ import annotations

import json

from aws_cdk import aws_events, aws_iam, aws_lambda, aws_logs, aws_stepfunctions
from constructs import Construct

from infra import definitions
from infra.stacks import names
from infra.stacks.acknowledge import acknowledge
from infra.stacks.retention import retention
from infra.workflows.suspension import INCIDENT_BUS, TASKS_FUNCTION, definitions_for


class Workflows(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        tasks_function: aws_lambda.IFunction,
        retry: definitions.Retry = definitions.WORKFLOW_RETRY,
        compensation_retry: definitions.Retry = definitions.COMPENSATION_RETRY,
    ) -> None:
        super().__init__(scope, construct_id)
        self.bus = aws_events.EventBus(self, "IncidentBus", event_bus_name=definitions.INCIDENT_BUS_NAME)
        self.role = aws_iam.Role(
            self,
            "Role",
            assumed_by=aws_iam.ServicePrincipal("states.amazonaws.com"),
            description="Selfcare line workflows: invoke the tasks function, put incidents, log, trace",
            inline_policies={
                "least-privilege": aws_iam.PolicyDocument(
                    statements=[
                        aws_iam.PolicyStatement(
                            sid="InvokeTasks",
                            actions=["lambda:InvokeFunction"],
                            resources=[tasks_function.function_arn],
                        ),
                        aws_iam.PolicyStatement(
                            sid="PutIncidents", actions=["events:PutEvents"], resources=[self.bus.event_bus_arn]
                        ),
                        aws_iam.PolicyStatement(
                            sid="LogDelivery", actions=list(names.STATE_MACHINE_LOG_DELIVERY_ACTIONS), resources=["*"]
                        ),
                        aws_iam.PolicyStatement(
                            sid="XRay", actions=list(names.STATE_MACHINE_XRAY_ACTIONS), resources=["*"]
                        ),
                    ]
                )
            },
        )
        acknowledge(
            self.role,
            "AwsSolutions-IAM5[Resource::*]",
            "CloudWatch Logs delivery (Step Functions logging) and X-Ray tracing actions support no resource-level "
            "permission: AWS requires Resource '*' for them. Invoking the tasks function and putting events are "
            "scoped to that function and to the incident bus.",
        )
        self.log_groups: dict[str, aws_logs.LogGroup] = {}
        self.state_machines: dict[str, aws_stepfunctions.StateMachine] = {}
        for name, asl in definitions_for(retry, compensation_retry).items():
            scope_ = Construct(self, names.construct_name(name))
            log_group = aws_logs.LogGroup(
                scope_,
                "LogGroup",
                log_group_name=f"{names.STATE_MACHINE_LOG_GROUP_PREFIX}{name}",
                retention=retention(definitions.LOG_RETENTION_DAYS),
            )
            machine = aws_stepfunctions.StateMachine(
                scope_,
                "StateMachine",
                state_machine_name=name,
                state_machine_type=aws_stepfunctions.StateMachineType.STANDARD,
                definition_body=aws_stepfunctions.DefinitionBody.from_string(json.dumps(asl)),
                definition_substitutions={
                    TASKS_FUNCTION: tasks_function.function_arn,
                    INCIDENT_BUS: self.bus.event_bus_name,
                },
                role=self.role.without_policy_updates(),
                tracing_enabled=True,
                logs=aws_stepfunctions.LogOptions(
                    destination=log_group,
                    level=aws_stepfunctions.LogLevel.ALL,
                    include_execution_data=False,  # inputs and outputs hold identifiers of people and lines
                ),
            )
            self.log_groups[name] = log_group
            self.state_machines[name] = machine
