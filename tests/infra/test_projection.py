"""The CRM projection's infrastructure, by property: buses, rule, dead-letter queue, asynchronous invocation,
anonymisation schedules, and the projection function's grants."""

from __future__ import annotations

import json
from typing import Any

import pytest

from infra import definitions as d
from infra.stacks import names
from tests.infra.conftest import Synth, Template, as_list, get_att, iam_statements, resources_of_type

pytestmark = pytest.mark.infra

SERVICE = names.SERVICE_STACK


def one(template: Template, resource_type: str, **properties: Any) -> tuple[str, dict[str, Any]]:
    found = [
        (logical_id, resource["Properties"])
        for logical_id, resource in resources_of_type(template, resource_type).items()
        if all(resource["Properties"].get(k) == v for k, v in properties.items())
    ]
    assert len(found) == 1, f"{resource_type} {properties}: {len(found)} found"
    return found[0]


def projection_function_id(synth: Synth) -> str:
    return synth.logical_id(SERVICE, f"Functions/{names.construct_name(d.PROJECTION.name)}/Function/Resource")


def test_the_crm_buses_are_named_as_defined(service_template: Template) -> None:
    buses = {bus["Properties"]["Name"] for bus in resources_of_type(service_template, "AWS::Events::EventBus").values()}
    assert {d.CRM_INBOUND_BUS_NAME, d.CRM_OUTBOUND_BUS_NAME} <= buses


def test_the_rule_sends_the_crm_events_to_the_projection_with_retries_and_a_dead_letter_queue(
    synth: Synth, service_template: Template
) -> None:
    inbound_id, _ = one(service_template, "AWS::Events::EventBus", Name=d.CRM_INBOUND_BUS_NAME)
    queue_id, _ = one(service_template, "AWS::SQS::Queue", QueueName=d.PROJECTION_DEAD_LETTER_QUEUE_NAME)
    _, rule = one(service_template, "AWS::Events::Rule", Name=d.PROJECTION_RULE_NAME)
    assert rule["EventBusName"] == {"Ref": inbound_id}
    assert rule["EventPattern"] == d.CRM_EVENT_PATTERN
    assert rule["State"] == "ENABLED"
    (target,) = rule["Targets"]
    assert target["Arn"] == get_att(projection_function_id(synth), "Arn")
    assert target["DeadLetterConfig"] == {"Arn": get_att(queue_id, "Arn")}
    assert target["RetryPolicy"] == {
        "MaximumEventAgeInSeconds": d.PROJECTION_DELIVERY_MAX_AGE_SECONDS,
        "MaximumRetryAttempts": d.PROJECTION_DELIVERY_RETRIES,
    }


def test_the_dead_letter_queue_is_encrypted_tls_only_and_bounded(service_template: Template) -> None:
    queue_id, queue = one(service_template, "AWS::SQS::Queue", QueueName=d.PROJECTION_DEAD_LETTER_QUEUE_NAME)
    assert queue["SqsManagedSseEnabled"] is True
    assert queue["MessageRetentionPeriod"] == d.DEAD_LETTER_RETENTION_DAYS * 24 * 3600
    policies = [
        p["Properties"]
        for p in resources_of_type(service_template, "AWS::SQS::QueuePolicy").values()
        if {"Ref": queue_id} in p["Properties"]["Queues"]
    ]
    statements = [s for p in policies for s in as_list(p["PolicyDocument"]["Statement"])]
    deny_tls = [s for s in statements if s["Effect"] == "Deny"]
    assert deny_tls and deny_tls[0]["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    # EventBridge may send undeliverable events there, from the projection rule only.
    allow = [s for s in statements if s["Effect"] == "Allow"]
    assert allow and all(s["Principal"] == {"Service": "events.amazonaws.com"} for s in allow)
    assert all("aws:SourceArn" in s["Condition"]["ArnEquals"] for s in allow)


def test_failed_asynchronous_invocations_end_in_the_dead_letter_queue(synth: Synth, service_template: Template) -> None:
    queue_id, _ = one(service_template, "AWS::SQS::Queue", QueueName=d.PROJECTION_DEAD_LETTER_QUEUE_NAME)
    (config,) = [
        c["Properties"]
        for c in resources_of_type(service_template, "AWS::Lambda::EventInvokeConfig").values()
        if c["Properties"]["FunctionName"] == {"Ref": projection_function_id(synth)}
    ]
    assert config["MaximumRetryAttempts"] == 2
    assert config["DestinationConfig"] == {"OnFailure": {"Destination": get_att(queue_id, "Arn")}}


def test_the_scheduler_role_may_only_invoke_the_projection(synth: Synth, service_template: Template) -> None:
    one(service_template, "AWS::Scheduler::ScheduleGroup", Name=d.ANONYMISATION_SCHEDULE_GROUP)
    role_id, role = one(service_template, "AWS::IAM::Role", RoleName=d.ANONYMISATION_SCHEDULER_ROLE_NAME)
    (trust,) = role["AssumeRolePolicyDocument"]["Statement"]
    assert trust["Principal"] == {"Service": "scheduler.amazonaws.com"}
    assert "aws:SourceAccount" in trust["Condition"]["StringEquals"]
    statements = [s for logical_id, s in iam_statements(service_template) if logical_id == role_id]
    assert [(s["Action"], s["Resource"]) for s in statements] == [
        ("lambda:InvokeFunction", get_att(projection_function_id(synth), "Arn"))
    ]
    assert not role.get("ManagedPolicyArns")


def statements_of_function(synth: Synth, template: Template, name: str) -> dict[str, dict[str, Any]]:
    function_id = synth.logical_id(SERVICE, f"Functions/{names.construct_name(name)}/Function/Resource")
    role_id = template["Resources"][function_id]["Properties"]["Role"]["Fn::GetAtt"][0]
    return {s["Sid"]: s for logical_id, s in iam_statements(template) if logical_id == role_id}


def test_the_projection_grants_are_scoped(synth: Synth, service_template: Template) -> None:
    statements = statements_of_function(synth, service_template, d.PROJECTION.name)
    send = statements["SendDeadLetters"]
    assert send["Action"] == "sqs:SendMessage"
    assert json.dumps(send["Resource"]).endswith(f':{d.PROJECTION_DEAD_LETTER_QUEUE_NAME}"]]}}')
    schedules = statements["AnonymisationSchedules"]
    assert schedules["Action"] == ["scheduler:CreateSchedule", "scheduler:UpdateSchedule", "scheduler:DeleteSchedule"]
    assert json.dumps(schedules["Resource"]).endswith(f':schedule/{d.ANONYMISATION_SCHEDULE_GROUP}/*"]]}}')
    passrole = statements["PassSchedulerRole"]
    assert passrole["Action"] == "iam:PassRole"
    assert passrole["Condition"] == {"StringEquals": {"iam:PassedToService": "scheduler.amazonaws.com"}}
    assert json.dumps(passrole["Resource"]).endswith(f':role/{d.ANONYMISATION_SCHEDULER_ROLE_NAME}"]]}}')
    assert "PutCrmEvents" not in statements  # the projection reads the CRM's events, it publishes none


# Lines and services from the product inventory (selfcare.projection.inventory) --------------------------------
def test_the_rule_also_sends_the_inventory_events_to_the_projection(service_template: Template) -> None:
    _, rule = one(service_template, "AWS::Events::Rule", Name=d.PROJECTION_RULE_NAME)
    pattern = rule["EventPattern"]
    assert pattern["source"] == [d.CRM_EVENT_SOURCE, d.INVENTORY_EVENT_SOURCE]
    assert pattern["detail-type"] == [*d.CRM_EVENT_TYPES, *d.INVENTORY_EVENT_TYPES]
    assert {"LineCreated", "LineSimChanged", "LineStatusChanged", "VodViewsRecorded"} <= set(pattern["detail-type"])


def test_the_projection_may_read_the_vod_key_and_no_other_secret(synth: Synth, service_template: Template) -> None:
    """No other secret but the audit trail's pseudonym key, which every function appending to the trail reads
    (the retention steps are audited)."""
    statements = statements_of_function(synth, service_template, d.PROJECTION.name)
    read = statements["ReadVodHashKey"]
    assert read["Action"] == "secretsmanager:GetSecretValue"
    assert read["Resource"] == {
        "Ref": names.VOD_HASH_KEY_SECRET_LOGICAL_ID
    } or names.VOD_HASH_KEY_SECRET_LOGICAL_ID in (json.dumps(read["Resource"]))
    secret_reads = [s for s in statements.values() if "secretsmanager:GetSecretValue" in json.dumps(s["Action"])]
    assert secret_reads == [read, statements["ReadAuditPseudonymKey"]]
    assert "AuditPseudonymKey" in json.dumps(statements["ReadAuditPseudonymKey"]["Resource"])
    function_id = synth.logical_id(SERVICE, f"Functions/{names.construct_name(d.PROJECTION.name)}/Function/Resource")
    variables = service_template["Resources"][function_id]["Properties"]["Environment"]["Variables"]
    assert "VOD_HASH_KEY_SECRET_ID" in variables


def test_functions_publishing_crm_events_may_put_on_the_outbound_bus_only(
    synth: Synth, service_template: Template
) -> None:
    for spec in d.FUNCTIONS:
        statements = statements_of_function(synth, service_template, spec.name)
        if "crm_events" in spec.grants:
            put = statements["PutCrmEvents"]
            assert put["Action"] == "events:PutEvents"
            assert json.dumps(put["Resource"]).endswith(f':event-bus/{d.CRM_OUTBOUND_BUS_NAME}"]]}}')
        else:
            assert "PutCrmEvents" not in statements, spec.name


# Retention (issue 9) ----------------------------------------------------------------------------------------
def test_the_daily_reconciliation_schedule_invokes_the_projection_with_its_command(
    synth: Synth, service_template: Template
) -> None:
    _, schedule = one(service_template, "AWS::Scheduler::Schedule", Name=d.RECONCILIATION_SCHEDULE_NAME)
    assert schedule["ScheduleExpression"] == d.RECONCILIATION_SCHEDULE_EXPRESSION
    assert schedule["ScheduleExpressionTimezone"] == "UTC"
    assert "GroupName" not in schedule  # the default group: out of the projection's reach (it may delete its own)
    target = schedule["Target"]
    assert target["Arn"] == get_att(projection_function_id(synth), "Arn")
    assert json.loads(target["Input"]) == d.RECONCILIATION_COMMAND
    role_id, _ = one(service_template, "AWS::IAM::Role", RoleName=d.ANONYMISATION_SCHEDULER_ROLE_NAME)
    assert target["RoleArn"] == get_att(role_id, "Arn")


def test_the_anonymisation_may_list_and_delete_invoice_pdfs_only(synth: Synth, service_template: Template) -> None:
    statements = statements_of_function(synth, service_template, d.PROJECTION.name)
    delete = statements["DeleteInvoicePdfs"]
    assert delete["Action"] == "s3:DeleteObject"
    assert json.dumps(delete["Resource"]).endswith('/invoices/*"]]}')
    listing = statements["ListInvoicePdfs"]
    assert listing["Action"] == "s3:ListBucket"
    assert listing["Condition"] == {"StringLike": {"s3:prefix": ["invoices/*"]}}
    assert "ReadInvoicePdfs" not in statements  # the projection never reads a PDF
