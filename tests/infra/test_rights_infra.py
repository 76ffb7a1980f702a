"""Data-subject rights infrastructure (issue 10), by property: the rights bucket (KMS-encrypted with the data key,
private, TLS only, not versioned, lifecycle: exports 7 days, identity documents 30 days), the export queue
(encrypted, dead letters, the worker's mapping), the due-soon schedule and alarm, the grants (prefix-scoped)."""

from __future__ import annotations

import json
from typing import Any

from selfcare.privacy import registry

from infra import definitions as d
from infra.stacks import names
from tests.infra.conftest import Synth, Template, iam_statements, resources_of_type

SERVICE = names.SERVICE_STACK


def _bucket(data_template: Template) -> dict[str, Any]:
    return dict(resources_of_type(data_template, "AWS::S3::Bucket")[names.RIGHTS_BUCKET_LOGICAL_ID])


def test_rights_bucket_is_kms_encrypted_private_tls_only_and_unversioned(data_template: Template) -> None:
    bucket = _bucket(data_template)
    properties = bucket["Properties"]
    (rule,) = properties["BucketEncryption"]["ServerSideEncryptionConfiguration"]
    assert rule["ServerSideEncryptionByDefault"]["SSEAlgorithm"] == "aws:kms"
    assert rule["ServerSideEncryptionByDefault"]["KMSMasterKeyID"] == {"Fn::GetAtt": [names.DATA_KEY_LOGICAL_ID, "Arn"]}
    assert properties["PublicAccessBlockConfiguration"] == {
        "BlockPublicAcls": True,
        "BlockPublicPolicy": True,
        "IgnorePublicAcls": True,
        "RestrictPublicBuckets": True,
    }
    # a deletion is a deletion: no noncurrent version of an identity document survives its verification
    assert "VersioningConfiguration" not in properties
    policies = resources_of_type(data_template, "AWS::S3::BucketPolicy")
    deny = [
        s
        for p in policies.values()
        if p["Properties"]["Bucket"] == {"Ref": names.RIGHTS_BUCKET_LOGICAL_ID}
        for s in p["Properties"]["PolicyDocument"]["Statement"]
        if s["Effect"] == "Deny"
    ]
    assert any(s["Condition"] == {"Bool": {"aws:SecureTransport": "false"}} for s in deny)


def test_rights_bucket_expires_exports_after_7_days_and_identity_documents_after_30(data_template: Template) -> None:
    rules = {r["Id"]: r for r in _bucket(data_template)["Properties"]["LifecycleConfiguration"]["Rules"]}
    assert rules["exports"]["Prefix"] == "exports/" and rules["exports"]["ExpirationInDays"] == 7
    assert rules["identity-documents"]["Prefix"] == "identity-documents/"
    assert rules["identity-documents"]["ExpirationInDays"] == 30
    assert all(r["Status"] == "Enabled" for r in rules.values())
    # the registry (the notice, the export) says the same
    assert d.RIGHTS_EXPORT_DAYS == registry.RIGHTS_EXPORT_DAYS
    assert d.IDENTITY_DOCUMENT_DAYS == registry.IDENTITY_DOCUMENT_DAYS


def test_export_queue_is_encrypted_with_dead_letters_and_drives_the_worker(
    synth: Synth, service_template: Template
) -> None:
    queues = {
        r["Properties"].get("QueueName"): (logical_id, r["Properties"])
        for logical_id, r in resources_of_type(service_template, "AWS::SQS::Queue").items()
    }
    queue_id, queue = queues[d.RIGHTS_EXPORT_QUEUE_NAME]
    dead_id, dead = queues[d.RIGHTS_EXPORT_DEAD_LETTER_QUEUE_NAME]
    assert queue["SqsManagedSseEnabled"] is True and dead["SqsManagedSseEnabled"] is True
    assert queue["RedrivePolicy"]["maxReceiveCount"] == d.RIGHTS_EXPORT_MAX_RECEIVES
    worker_id = synth.logical_id(SERVICE, f"Functions/{names.construct_name(d.RIGHTS_EXPORT.name)}/Function/Resource")
    (mapping,) = [
        r["Properties"]
        for r in resources_of_type(service_template, "AWS::Lambda::EventSourceMapping").values()
        if r["Properties"].get("EventSourceArn") == {"Fn::GetAtt": [queue_id, "Arn"]}
    ]
    assert mapping["FunctionName"] == {"Ref": worker_id}
    assert mapping["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    # the due-soon schedule invokes the worker daily; the alarm watches its metric and the dead letters
    (schedule,) = [
        r["Properties"]
        for r in resources_of_type(service_template, "AWS::Scheduler::Schedule").values()
        if r["Properties"].get("Name") == d.RIGHTS_DUE_SOON_SCHEDULE_NAME
    ]
    assert json.loads(schedule["Target"]["Input"]) == d.RIGHTS_DUE_SOON_COMMAND
    assert schedule["Target"]["Arn"] == {"Fn::GetAtt": [worker_id, "Arn"]}
    alarms = [r["Properties"] for r in resources_of_type(service_template, "AWS::CloudWatch::Alarm").values()]
    assert [a for a in alarms if a.get("MetricName") == d.RIGHTS_DUE_SOON_METRIC and a["Threshold"] == 0]
    assert [
        a
        for a in alarms
        if a.get("Dimensions") == [{"Name": "QueueName", "Value": {"Fn::GetAtt": [dead_id, "QueueName"]}}]
    ]


def test_grants_are_scoped_to_their_prefix(service_template: Template) -> None:
    by_sid: dict[str, list[dict[str, Any]]] = {}
    for _, statement in iam_statements(service_template):
        by_sid.setdefault(str(statement.get("Sid")), []).append(statement)
    text = json.dumps
    (read,) = by_sid["ReadAccessExports"]
    assert read["Action"] == "s3:GetObject" and "/exports/*" in text(read["Resource"])
    (write,) = by_sid["WriteAccessExports"]
    assert write["Action"] == "s3:PutObject" and "/exports/*" in text(write["Resource"])
    (documents,) = by_sid["IdentityDocuments"]
    assert sorted(documents["Action"]) == ["s3:DeleteObject", "s3:GetObject", "s3:PutObject"]
    assert "/identity-documents/*" in text(documents["Resource"])
    (listing,) = by_sid["ListInvoicePdfsForExport"]
    assert listing["Condition"] == {"StringLike": {"s3:prefix": ["invoices/*"]}}
