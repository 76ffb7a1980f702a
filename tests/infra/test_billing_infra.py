"""Infrastructure of the billing capability: the invoices bucket (encrypted, public access blocked,
TLS only), the payment secrets, the function's grants (GetObject on invoices only, its secrets)."""

from __future__ import annotations

import json
from typing import Any

from infra import definitions
from infra.stacks import names
from tests.infra.conftest import Template, iam_statements, resources_of_type


def _bucket(data_template: Template) -> tuple[str, dict[str, Any]]:
    buckets = resources_of_type(data_template, "AWS::S3::Bucket")
    return names.INVOICES_BUCKET_LOGICAL_ID, buckets[names.INVOICES_BUCKET_LOGICAL_ID]


def test_invoices_bucket_is_encrypted_and_blocks_public_access(data_template: Template) -> None:
    _, bucket = _bucket(data_template)
    properties = bucket["Properties"]
    rules = properties["BucketEncryption"]["ServerSideEncryptionConfiguration"]
    assert rules[0]["ServerSideEncryptionByDefault"]["SSEAlgorithm"] == "AES256"
    assert properties["PublicAccessBlockConfiguration"] == {
        "BlockPublicAcls": True,
        "BlockPublicPolicy": True,
        "IgnorePublicAcls": True,
        "RestrictPublicBuckets": True,
    }
    assert bucket["DeletionPolicy"] == "Retain"
    assert properties["LifecycleConfiguration"]["Rules"][0]["ExpirationInDays"] >= 366


def test_invoices_bucket_refuses_plain_http(data_template: Template) -> None:
    logical_id, _ = _bucket(data_template)
    policies = resources_of_type(data_template, "AWS::S3::BucketPolicy")
    statements = [
        s
        for p in policies.values()
        if p["Properties"]["Bucket"] == {"Ref": logical_id}
        for s in p["Properties"]["PolicyDocument"]["Statement"]
    ]
    deny = [s for s in statements if s["Effect"] == "Deny"]
    assert any(s["Condition"] == {"Bool": {"aws:SecureTransport": "false"}} and s["Action"] == "s3:*" for s in deny)


def test_payment_secrets_webhook_generated_api_key_empty(data_template: Template) -> None:
    secrets = {
        r["Properties"]["Name"]: r["Properties"]
        for r in resources_of_type(data_template, "AWS::SecretsManager::Secret").values()
    }
    assert "GenerateSecretString" in secrets[definitions.PAYMENT_WEBHOOK_SECRET_NAME]
    assert "GenerateSecretString" in secrets[definitions.BILLING_CURSOR_KEY_SECRET_NAME]
    api_key = secrets[definitions.PAYMENT_PROVIDER_API_KEY_SECRET_NAME]
    assert "SecretString" not in api_key and "GenerateSecretString" not in api_key
    assert all("KmsKeyId" in secrets[name] for name in secrets)


def test_billing_function_reads_invoice_objects_only(service_template: Template) -> None:
    statements = [s for _, s in iam_statements(service_template) if s.get("Sid") == "ReadInvoicePdfs"]
    assert len(statements) == 1
    (statement,) = statements
    assert statement["Action"] == "s3:GetObject"
    assert json.dumps(statement["Resource"]).endswith('/invoices/*"]]}'), statement["Resource"]
    assert any(s.get("Sid") == "ReadPaymentSecrets" for _, s in iam_statements(service_template))
