"""Issue 9 on the synthesized templates: the audit table is append-only for every function role, the digests'
key, bucket (Object Lock) and hourly schedule, one alarm per failure signal on the right metric, one topic,
one dashboard, no client address in the access logs (tests/infra/test_stack.py)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from infra import definitions
from infra.stacks import names
from infra.stacks.constructs import functions as function_factory
from infra.stacks.constructs import monitoring
from tests.infra.conftest import Synth, Template, as_list, get_att, iam_statements, ref, resources_of_type
from tests.infra.test_stack import function_ids, imported, role_statements, single, table_and_index


@pytest.fixture(scope="module")
def exports(data_template: Template) -> dict[str, Any]:
    """Export name -> exported value of the data stack (as tests/infra/test_stack.py reads them)."""
    return {
        output["Export"]["Name"]: output["Value"]
        for output in data_template.get("Outputs", {}).values()
        if "Export" in output
    }


FORBIDDEN_ON_AUDIT = {"dynamodb:UpdateItem", "dynamodb:DeleteItem", "dynamodb:BatchWriteItem", "dynamodb:*"}


def _audit_table_actions(template: Template, function_id: str, exports: dict[str, Any]) -> set[str]:
    actions: set[str] = set()
    for statement in role_statements(template, function_id):
        statement_actions = set(as_list(statement["Action"]))
        if not any(a.startswith("dynamodb:") for a in statement_actions) or statement.get("Sid") in {
            "ReadCustomersStream",
            "ListStreams",
        }:
            continue
        for resource in as_list(statement["Resource"]):
            if table_and_index(resource, exports)[0] == definitions.AUDIT_LOG.logical_id:
                actions |= statement_actions
    return actions


@pytest.mark.parametrize("spec", definitions.FUNCTIONS, ids=lambda f: f.name)
def test_no_function_role_can_update_or_delete_audit_entries(
    synth: Synth, service_template: Template, exports: dict[str, Any], spec: definitions.Function
) -> None:
    actions = _audit_table_actions(service_template, function_ids(synth)[spec.name], exports)
    assert not actions & FORBIDDEN_ON_AUDIT, (spec.name, actions)
    if definitions.appends_to_audit_trail(spec):
        assert {"dynamodb:PutItem", "dynamodb:ConditionCheckItem"} <= actions


def test_the_chain_tip_query_is_limited_to_the_chains_attributes(synth: Synth, service_template: Template) -> None:
    statements = role_statements(service_template, function_ids(synth)[definitions.MOBILE.name])
    (tip,) = [s for s in statements if s.get("Sid") == f"ChainTip{definitions.AUDIT_LOG.logical_id}"]
    assert as_list(tip["Action"]) == ["dynamodb:Query"]
    assert tip["Condition"] == {
        "ForAllValues:StringEquals": {"dynamodb:Attributes": ["subject", "sk", "seq", "hash", "expires_at"]},
        "StringEquals": {"dynamodb:Select": "SPECIFIC_ATTRIBUTES"},
    }


def test_no_identity_policy_anywhere_updates_or_deletes_audit_entries(
    service_template: Template, exports: dict[str, Any]
) -> None:
    for logical_id, statement in iam_statements(service_template):
        actions = set(as_list(statement["Action"]))
        if not actions & FORBIDDEN_ON_AUDIT:
            continue
        for resource in as_list(statement["Resource"]):
            value = imported(resource, exports)
            assert definitions.AUDIT_LOG.logical_id not in json.dumps(value), (logical_id, statement)


def test_audit_entries_expire_by_ttl_and_the_digest_index_exists(data_template: Template) -> None:
    table = data_template["Resources"][definitions.AUDIT_LOG.logical_id]["Properties"]
    assert table["TimeToLiveSpecification"] == {"AttributeName": "expires_at", "Enabled": True}
    indexes = {index["IndexName"]: index["KeySchema"] for index in table["GlobalSecondaryIndexes"]}
    assert indexes["by_hour"] == [
        {"AttributeName": "hour", "KeyType": "HASH"},
        {"AttributeName": "sk", "KeyType": "RANGE"},
    ]


def test_digest_bucket_has_object_lock_in_compliance_mode(data_template: Template) -> None:
    bucket = data_template["Resources"][names.AUDIT_DIGEST_BUCKET_LOGICAL_ID]
    properties = bucket["Properties"]
    assert bucket["DeletionPolicy"] == "Retain"
    assert properties["ObjectLockEnabled"] is True
    assert properties["ObjectLockConfiguration"] == {
        "ObjectLockEnabled": "Enabled",
        "Rule": {"DefaultRetention": {"Mode": "COMPLIANCE", "Days": definitions.AUDIT_DIGEST_RETENTION_DAYS}},
    }
    assert properties["VersioningConfiguration"] == {"Status": "Enabled"}
    assert properties["PublicAccessBlockConfiguration"]["BlockPublicPolicy"] is True


def test_digest_key_is_asymmetric_for_signing(data_template: Template) -> None:
    key = data_template["Resources"][names.AUDIT_DIGEST_KEY_LOGICAL_ID]
    assert (key["Properties"]["KeySpec"], key["Properties"]["KeyUsage"]) == ("ECC_NIST_P256", "SIGN_VERIFY")
    assert key["DeletionPolicy"] == "Retain"


def test_only_the_digest_function_signs_and_writes_digests(
    synth: Synth, service_template: Template, exports: dict[str, Any]
) -> None:
    for spec in definitions.FUNCTIONS:
        statements = role_statements(service_template, function_ids(synth)[spec.name])
        signs = [s for s in statements if "kms:Sign" in as_list(s["Action"])]
        # PutObject on the digest bucket (other buckets have their own writers: the rights exports, issue 10).
        puts = [
            s
            for s in statements
            if "s3:PutObject" in as_list(s["Action"])
            and definitions.AUDIT_DIGEST_BUCKET_PREFIX in json.dumps(s["Resource"])
        ]
        if spec.name != definitions.AUDIT_DIGEST.name:
            assert not signs and not puts, spec.name
            continue
        (sign,) = signs
        assert [imported(r, exports) for r in as_list(sign["Resource"])] == [
            get_att(names.AUDIT_DIGEST_KEY_LOGICAL_ID, "Arn")
        ]
        (put,) = puts
        assert json.dumps(put["Resource"]).endswith(f'/{function_factory.DIGEST_PREFIX}*"]]}}')


def test_digest_prefix_is_the_packages() -> None:
    from selfcare.audit.digest import DIGEST_PREFIX

    assert function_factory.DIGEST_PREFIX == DIGEST_PREFIX


def test_the_digest_runs_hourly(synth: Synth, service_template: Template) -> None:
    digest_function = function_ids(synth)[definitions.AUDIT_DIGEST.name]
    rules = [
        r["Properties"]
        for r in resources_of_type(service_template, "AWS::Events::Rule").values()
        if "ScheduleExpression" in r["Properties"]
    ]
    targets = [(r["ScheduleExpression"], t["Arn"]) for r in rules for t in r["Targets"]]
    assert (definitions.AUDIT_DIGEST_SCHEDULE, get_att(digest_function, "Arn")) in targets


# --- alarms ------------------------------------------------------------------------------------------------
def _metrics(alarm: dict[str, Any]) -> list[tuple[str, str, dict[str, Any], str | None]]:
    """(namespace, metric, dimensions, statistic) of every metric an alarm reads (plain or in a math expression)."""
    properties = alarm["Properties"]
    if "MetricName" in properties:
        dims = {d["Name"]: d["Value"] for d in properties.get("Dimensions", [])}
        statistic = properties.get("Statistic") or properties.get("ExtendedStatistic")
        return [(properties["Namespace"], properties["MetricName"], dims, statistic)]
    found = []
    for query in properties["Metrics"]:
        if "MetricStat" in query:
            stat = query["MetricStat"]
            metric = stat["Metric"]
            dims = {d["Name"]: d["Value"] for d in metric.get("Dimensions", [])}
            found.append((metric["Namespace"], metric["MetricName"], dims, stat["Stat"]))
    return found


@pytest.fixture(scope="module")
def alarms(synth: Synth, service_template: Template) -> dict[str, dict[str, Any]]:
    """Alarm construct name (Monitoring/<name>) -> the alarm resource."""
    found = {}
    for logical_id, resource in resources_of_type(service_template, "AWS::CloudWatch::Alarm").items():
        path = next(
            p for p, entries in synth.stack_metadata(names.SERVICE_STACK).items()
            if any(e.get("data") == logical_id for e in entries if e.get("type") == "aws:cdk:logicalId")
        )  # fmt: skip
        found[path.split("/Monitoring/")[1].split("/")[0]] = resource
    return found


def _queue_named(service_template: Template, name: str) -> str:
    return next(
        logical_id
        for logical_id, queue in resources_of_type(service_template, "AWS::SQS::Queue").items()
        if queue["Properties"].get("QueueName") == name
    )


def test_every_alarm_notifies_the_one_encrypted_topic(service_template: Template, alarms: dict[str, Any]) -> None:
    topics = [
        (logical_id, topic)
        for logical_id, topic in resources_of_type(service_template, "AWS::SNS::Topic").items()
        if topic["Properties"].get("DisplayName") == "Selfcare alarms"
    ]
    ((topic_id, topic),) = topics
    assert "KmsMasterKeyId" in topic["Properties"]
    assert alarms
    for name, alarm in alarms.items():
        assert alarm["Properties"]["AlarmActions"] == [ref(topic_id)], name
    assert len(resources_of_type(service_template, "AWS::CloudWatch::Dashboard")) == 1


@pytest.mark.parametrize(
    ("alarm", "queue"),
    [
        ("DeadLettersProjection", definitions.PROJECTION_DEAD_LETTER_QUEUE_NAME),
        ("DeadLettersCrmOutbox", definitions.CRM_OUTBOX_DEAD_LETTER_QUEUE_NAME),
        ("DeadLettersSmsCampaigns", definitions.SMS_CAMPAIGN_DEAD_LETTER_QUEUE_NAME),
    ],
)
def test_dead_letter_queues_alarm_on_a_visible_message(
    service_template: Template, alarms: dict[str, Any], alarm: str, queue: str
) -> None:
    queue_id = _queue_named(service_template, queue)
    assert _metrics(alarms[alarm]) == [
        ("AWS/SQS", "ApproximateNumberOfMessagesVisible", {"QueueName": get_att(queue_id, "QueueName")}, "Maximum")
    ]
    assert alarms[alarm]["Properties"]["Threshold"] == 0


def test_state_machines_alarm_on_failed_and_timed_out_executions(
    service_template: Template, alarms: dict[str, Any]
) -> None:
    machines = {
        m["Properties"]["StateMachineName"]: logical_id
        for logical_id, m in resources_of_type(service_template, "AWS::StepFunctions::StateMachine").items()
    }
    assert set(machines) >= {m.name for m in definitions.STATE_MACHINES}
    for name, logical_id in machines.items():
        watched = {
            metric
            for alarm in alarms.values()
            for _, metric, dims, _ in _metrics(alarm)
            if dims.get("StateMachineArn") == ref(logical_id)
        }
        assert watched == {"ExecutionsFailed", "ExecutionsTimedOut"}, name


def test_api_alarms_on_5xx_rate_and_p99_latency(service_template: Template, alarms: dict[str, Any]) -> None:
    api_name = single(service_template, "AWS::ApiGateway::RestApi")[1]["Properties"]["Name"]
    rate = _metrics(alarms["Api5xxRate"])
    assert sorted((m, s) for _, m, _, s in rate) == [("5XXError", "Sum"), ("Count", "Sum")]
    assert all(ns == "AWS/ApiGateway" and dims["ApiName"] == api_name for ns, _, dims, _ in rate)
    assert alarms["Api5xxRate"]["Properties"]["Threshold"] == monitoring.API_5XX_RATE_THRESHOLD
    ((namespace, metric, dims, statistic),) = _metrics(alarms["ApiLatencyP99"])
    assert (namespace, metric, statistic, dims["ApiName"]) == ("AWS/ApiGateway", "Latency", "p99", api_name)


def test_authorizer_and_digest_errors_alarm(synth: Synth, alarms: dict[str, Any]) -> None:
    ids = function_ids(synth)
    for alarm, function in (
        ("AuthorizerErrors", definitions.AUTHORIZER),
        ("AuditDigestErrors", definitions.AUDIT_DIGEST),
    ):
        assert _metrics(alarms[alarm]) == [("AWS/Lambda", "Errors", {"FunctionName": ref(ids[function.name])}, "Sum")]


@pytest.mark.parametrize("table", definitions.TABLES, ids=lambda t: t.logical_id)
def test_every_table_alarms_on_throttles(
    alarms: dict[str, Any], exports: dict[str, Any], table: definitions.Table
) -> None:
    metrics = _metrics(alarms[f"{table.logical_id}Throttles"])
    assert sorted(m for _, m, _, _ in metrics) == ["ReadThrottleEvents", "WriteThrottleEvents"]
    for namespace, _, dims, _ in metrics:
        assert namespace == "AWS/DynamoDB" and imported(dims["TableName"], exports) == ref(table.logical_id)


def test_reconciliation_catches_alarm(alarms: dict[str, Any]) -> None:
    assert _metrics(alarms["ReconciliationCaught"]) == [
        ("Selfcare", "RetentionStepsCaught", {"service": definitions.SERVICE}, "Sum")
    ]
