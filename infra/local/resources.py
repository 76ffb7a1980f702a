"""The local stack's AWS resources, created on moto from infra/definitions.py (as the CDK stack is).

Used by `make run` (moto server) and by the integration tests (moto in-process): the same tables,
keys, indexes and TTL attributes as the synthesized template, the signing key generated here and
never committed, the SES sender verified so that moto keeps every message sent (the outbox).
"""

from __future__ import annotations

import contextlib
import io
import json
import secrets
import zipfile
from dataclasses import dataclass, field
from typing import Any

from infra import definitions as d
from infra.scripts.rotate_signing_key import rotate

LOCAL_SENDER = "no-reply@selfcare.local"
# Until a provisioning simulator is started (python -m infra.local, the workflow tests), nothing listens here.
UNREACHABLE_PROVISIONING = "http://127.0.0.1:9"
LOCAL_ROLE_NAME = "selfcare-local"
# The OpenID Connect clients the local provider knows Selfcare by (customers, staff).
LOCAL_DIGITAL_IDENTITY_CLIENT_ID = "selfcare-customers"
LOCAL_STAFF_DIRECTORY_CLIENT_ID = "selfcare-staff"


@dataclass(frozen=True)
class LocalResources:
    table_names: dict[str, str]  # logical id -> table name
    signing_key_secret: str
    public_keys_parameter: str
    sender: str
    provisioning_endpoint: str = UNREACHABLE_PROVISIONING
    provisioning_api_key: str = ""
    state_machine_arns: dict[str, str] = field(default_factory=dict)  # name -> ARN
    incident_bus: str = d.INCIDENT_BUS_NAME
    dead_letter_queue_url: str = ""
    anonymisation_scheduler_role_arn: str = ""
    crm_delivery_queue_url: str = ""  # the local stand-in for the rule's Lambda target (infra/local/emulation.py)
    # Bills and payments: the invoices bucket, and the payment provider (the sandbox served by `make run`).
    invoices_bucket: str = "selfcare-local-invoices"
    payment_provider_endpoint: str = UNREACHABLE_PROVISIONING
    payment_provider_api_key: str = ""
    payment_webhook_secret: str = ""
    # Digital-identity login and staff sign-in: the OpenID Connect provider (infra/local/oidc_provider.py, served by
    # `make run`; the tests start their own) and the API's base URL (the callbacks registered with it).
    oidc_discovery_url: str = f"{UNREACHABLE_PROVISIONING}/.well-known/openid-configuration"
    api_base_url: str = "http://127.0.0.1:3000"
    # Audit trail: the digest bucket (Object Lock) and the digest signing key (issue 9).
    audit_digest_bucket: str = ""
    audit_digest_key_id: str = ""
    # Commercial SMS: the campaign queue (drained into the worker by infra/local/emulation.py) and inbound topic.
    sms_campaign_queue_url: str = ""
    sms_inbound_topic_arn: str = ""
    # Data-subject rights (issue 10): the rights bucket and the export queue (drained into the worker by
    # infra/local/emulation.py, as the SMS campaign queue).
    rights_bucket: str = "selfcare-local-rights"
    rights_export_queue_url: str = ""
    # Staff grants bound to an open incident (issue 8): the incident tracker (infra/local/incident_tracker.py).
    incident_tracker_url: str = UNREACHABLE_PROVISIONING

    def environment(self, function: d.Function) -> dict[str, str]:
        return d.environment_for(function, self.table_names, self.grant_values())

    def grant_values(self) -> dict[str, str]:
        return {
            "SIGNING_KEY_SECRET_ID": self.signing_key_secret,
            "PUBLIC_KEYS_PARAMETER": self.public_keys_parameter,
            "NOTIFICATION_SENDER": self.sender,
            "PROVISIONING_ENDPOINT": self.provisioning_endpoint,
            "PROVISIONING_CREDENTIALS_SECRET_ID": d.PROVISIONING_CREDENTIALS_SECRET_NAME,
            "INCIDENT_BUS_NAME": self.incident_bus,
            "VOD_HASH_KEY_SECRET_ID": d.VOD_HASH_KEY_SECRET_NAME,
            "CRM_EVENT_BUS_NAME": d.CRM_OUTBOUND_BUS_NAME,
            "PROJECTION_DEAD_LETTER_QUEUE_URL": self.dead_letter_queue_url,
            "ANONYMISATION_SCHEDULE_GROUP": d.ANONYMISATION_SCHEDULE_GROUP,
            "ANONYMISATION_SCHEDULER_ROLE_ARN": self.anonymisation_scheduler_role_arn,
            "INVOICES_BUCKET_NAME": self.invoices_bucket,
            "PAYMENT_PROVIDER_ENDPOINT": self.payment_provider_endpoint,
            "PAYMENT_PROVIDER_API_KEY_SECRET_ID": d.PAYMENT_PROVIDER_API_KEY_SECRET_NAME,
            "PAYMENT_WEBHOOK_SECRET_ID": d.PAYMENT_WEBHOOK_SECRET_NAME,
            "BILLING_CURSOR_KEY_SECRET_ID": d.BILLING_CURSOR_KEY_SECRET_NAME,
            "CAPTCHA_KEY_SECRET_ID": d.CAPTCHA_KEY_SECRET_NAME,  # identity (issue 8)
            **d.DEMO_OPERATOR_IDENTITY,  # the notice's controller (issue 10)
            "DIGITAL_IDENTITY_DISCOVERY_URL": self.oidc_discovery_url,
            "DIGITAL_IDENTITY_CLIENT_ID": LOCAL_DIGITAL_IDENTITY_CLIENT_ID,
            "DIGITAL_IDENTITY_CLIENT_SECRET_ID": d.DIGITAL_IDENTITY_CLIENT_SECRET_NAME,
            "DIGITAL_IDENTITY_REDIRECT_URI": self.api_base_url + d.DIGITAL_IDENTITY_CALLBACK_PATH,
            "STAFF_DIRECTORY_DISCOVERY_URL": self.oidc_discovery_url,
            "STAFF_DIRECTORY_CLIENT_ID": LOCAL_STAFF_DIRECTORY_CLIENT_ID,
            "STAFF_DIRECTORY_CLIENT_SECRET_ID": d.STAFF_DIRECTORY_CLIENT_SECRET_NAME,
            "STAFF_DIRECTORY_REDIRECT_URI": self.api_base_url + d.STAFF_DIRECTORY_CALLBACK_PATH,
            "AUDIT_DIGEST_BUCKET_NAME": self.audit_digest_bucket,
            "AUDIT_DIGEST_KEY_ID": self.audit_digest_key_id,
            "SMS_CAMPAIGN_QUEUE_URL": self.sms_campaign_queue_url,
            "RIGHTS_BUCKET_NAME": self.rights_bucket,
            "RIGHTS_EXPORT_QUEUE_URL": self.rights_export_queue_url,
            "INCIDENT_TRACKER_URL": self.incident_tracker_url,  # issue 8
            "INCIDENT_TRACKER_TOKEN_SECRET_ID": d.INCIDENT_TRACKER_TOKEN_SECRET_NAME,
        } | {machine.env: self.state_machine_arns[machine.name] for machine in d.STATE_MACHINES}

    def merged_environment(self) -> dict[str, str]:
        """Every function's variables at once (the local stack runs all handlers in one process)."""
        env: dict[str, str] = {}
        for function in d.FUNCTIONS:
            env |= self.environment(function)
        return env


def table_name(table: d.Table, prefix: str = "selfcare-local") -> str:
    return f"{prefix}-{table.logical_id}"


def create_table_request(table: d.Table, name: str) -> dict[str, Any]:
    """CreateTable arguments for one definition (on-demand, like the CDK stack)."""
    keys = [table.partition_key] + ([table.sort_key] if table.sort_key else [])
    attributes: dict[str, str] = {k.name: k.type.value for k in keys}
    for index in table.indexes:
        attributes[index.partition_key.name] = index.partition_key.type.value
        if index.sort_key:
            attributes[index.sort_key.name] = index.sort_key.type.value
    request: dict[str, Any] = {
        "TableName": name,
        "BillingMode": "PAY_PER_REQUEST",
        "AttributeDefinitions": [{"AttributeName": n, "AttributeType": t} for n, t in attributes.items()],
        "KeySchema": [{"AttributeName": table.partition_key.name, "KeyType": "HASH"}]
        + ([{"AttributeName": table.sort_key.name, "KeyType": "RANGE"}] if table.sort_key else []),
    }
    if table.indexes:
        request["GlobalSecondaryIndexes"] = [
            {
                "IndexName": index.name,
                "KeySchema": [{"AttributeName": index.partition_key.name, "KeyType": "HASH"}]
                + ([{"AttributeName": index.sort_key.name, "KeyType": "RANGE"}] if index.sort_key else []),
                "Projection": {"ProjectionType": "ALL"},
            }
            for index in table.indexes
        ]
    if table.stream:
        request["StreamSpecification"] = {"StreamEnabled": True, "StreamViewType": table.stream}
    return request


def create_resources(
    session: Any,
    prefix: str = "selfcare-local",
    *,
    provisioning_endpoint: str = UNREACHABLE_PROVISIONING,
    provisioning_api_key: str | None = None,
    retry: d.Retry = d.LOCAL_WORKFLOW_RETRY,
    payment_provider_endpoint: str = UNREACHABLE_PROVISIONING,
    payment_provider_api_key: str | None = None,
    payment_webhook_secret: str | None = None,
    oidc_discovery_url: str | None = None,
    oidc_client_secrets: tuple[str, str] | None = None,
    api_base_url: str = "http://127.0.0.1:3000",
    incident_tracker: tuple[str, str] | None = None,
) -> LocalResources:
    """Create every resource on the moto endpoint that `session` (a boto3 Session) points at.

    `provisioning_endpoint` and `provisioning_api_key`: the provisioning simulator the workflows call
    (its key goes into the credentials secret; a random one when None). `retry`: the workflows' retry
    policy (the local one waits 1 s between attempts, moto really sleeps). `payment_provider_endpoint`,
    `payment_provider_api_key`, `payment_webhook_secret`: the payment sandbox (infra/local/payment_sandbox.py)
    and its secrets, stored as the billing secrets (random ones when None). `oidc_discovery_url`,
    `oidc_client_secrets` (customers', staff's), `api_base_url`: the OpenID Connect provider
    (infra/local/oidc_provider.py), the client secrets it knows Selfcare by (stored as the data stack's secrets;
    random when None), and where the API listens (the callbacks registered with the provider). `incident_tracker`:
    (URL, token) of the incident tracker (issue 8), the token stored as the tracker's secret; None: this process's
    shared simulator (infra/local/incident_tracker.shared(), started on first use, with the demo incidents)."""
    dynamodb = session.client("dynamodb")
    names: dict[str, str] = {}
    for table in d.TABLES:
        name = table_name(table, prefix)
        names[table.logical_id] = name
        dynamodb.create_table(**create_table_request(table, name))
        if table.ttl_attribute:
            dynamodb.update_time_to_live(
                TableName=name, TimeToLiveSpecification={"Enabled": True, "AttributeName": table.ttl_attribute}
            )
    # As the CDK stack creates them (an empty secret, an empty JWKS), then the same key generation
    # as `make deploy` runs: the key is generated here, at each start, and never committed.
    secretsmanager, ssm = session.client("secretsmanager"), session.client("ssm")
    secretsmanager.create_secret(Name=d.SIGNING_KEY_SECRET_NAME)
    ssm.put_parameter(Name=d.PUBLIC_KEYS_PARAMETER_NAME, Type="String", Value=json.dumps({"keys": []}))
    rotate(secretsmanager, ssm)
    session.client("ses").verify_email_identity(EmailAddress=LOCAL_SENDER)
    api_key = provisioning_api_key or secrets.token_urlsafe(24)
    secretsmanager.create_secret(
        Name=d.PROVISIONING_CREDENTIALS_SECRET_NAME, SecretString=json.dumps({"api_key": api_key})
    )
    # The VOD references' HMAC key: random at each start, as CloudFormation generates it once.
    secretsmanager.create_secret(Name=d.VOD_HASH_KEY_SECRET_NAME, SecretString=secrets.token_urlsafe(48))
    session.client("events").create_event_bus(Name=d.INCIDENT_BUS_NAME)
    state_machine_arns = create_workflows(session, prefix, retry)
    crm = create_crm_resources(session)
    billing = create_billing_resources(
        session, prefix, api_key=payment_provider_api_key, webhook_secret=payment_webhook_secret
    )
    customer_secret, staff_secret = oidc_client_secrets or (secrets.token_urlsafe(32), secrets.token_urlsafe(32))
    secretsmanager.create_secret(
        Name=d.DIGITAL_IDENTITY_CLIENT_SECRET_NAME, SecretString=json.dumps({"client_secret": customer_secret})
    )
    secretsmanager.create_secret(
        Name=d.STAFF_DIRECTORY_CLIENT_SECRET_NAME, SecretString=json.dumps({"client_secret": staff_secret})
    )
    if incident_tracker is None:  # issue 8: the process's simulator (the demo incidents)
        from infra.local.incident_tracker import shared

        tracker = shared()
        incident_tracker = (tracker.url, tracker.token)
    secretsmanager.create_secret(
        Name=d.INCIDENT_TRACKER_TOKEN_SECRET_NAME, SecretString=json.dumps({"token": incident_tracker[1]})
    )
    audit = create_audit_resources(session, prefix)
    sms = create_sms_resources(session)
    rights = create_rights_resources(session, prefix)
    return LocalResources(
        rights_bucket=rights.bucket,
        rights_export_queue_url=rights.export_queue_url,
        audit_digest_bucket=audit.digest_bucket,
        audit_digest_key_id=audit.digest_key_id,
        table_names=names,
        signing_key_secret=d.SIGNING_KEY_SECRET_NAME,
        public_keys_parameter=d.PUBLIC_KEYS_PARAMETER_NAME,
        sender=LOCAL_SENDER,
        provisioning_endpoint=provisioning_endpoint,
        provisioning_api_key=api_key,
        state_machine_arns=state_machine_arns,
        dead_letter_queue_url=crm.dead_letter_queue_url,
        anonymisation_scheduler_role_arn=crm.scheduler_role_arn,
        crm_delivery_queue_url=crm.delivery_queue_url,
        invoices_bucket=billing.invoices_bucket,
        payment_provider_endpoint=payment_provider_endpoint,
        payment_provider_api_key=billing.api_key,
        payment_webhook_secret=billing.webhook_secret,
        oidc_discovery_url=oidc_discovery_url or LocalResources.oidc_discovery_url,
        api_base_url=api_base_url,
        sms_campaign_queue_url=sms.campaign_queue_url,
        sms_inbound_topic_arn=sms.inbound_topic_arn,
        incident_tracker_url=incident_tracker[0],
    )


@dataclass(frozen=True)
class AuditResources:
    digest_bucket: str
    digest_key_id: str


def create_audit_resources(session: Any, prefix: str = "selfcare-local") -> AuditResources:
    """The audit digests' bucket (Object Lock, compliance retention, as the data stack makes it) and their
    asymmetric signing key (ECC_NIST_P256, SIGN_VERIFY) with its alias."""
    bucket = f"{prefix}-audit-digests"
    s3 = session.client("s3")
    region = s3.meta.region_name
    create: dict[str, Any] = {"Bucket": bucket, "ObjectLockEnabledForBucket": True}
    if region != "us-east-1":
        create["CreateBucketConfiguration"] = {"LocationConstraint": region}
    s3.create_bucket(**create)
    s3.put_object_lock_configuration(
        Bucket=bucket,
        ObjectLockConfiguration={
            "ObjectLockEnabled": "Enabled",
            "Rule": {"DefaultRetention": {"Mode": "COMPLIANCE", "Days": d.AUDIT_DIGEST_RETENTION_DAYS}},
        },
    )
    # The audit targets' pseudonym key: random at each start, as CloudFormation generates it once.
    session.client("secretsmanager").create_secret(
        Name=d.AUDIT_PSEUDONYM_KEY_SECRET_NAME, SecretString=secrets.token_urlsafe(48)
    )
    kms = session.client("kms")
    key_id = kms.create_key(
        KeySpec="ECC_NIST_P256", KeyUsage="SIGN_VERIFY", Description="Selfcare audit digests (local)"
    )["KeyMetadata"]["KeyId"]
    with contextlib.suppress(kms.exceptions.AlreadyExistsException):
        kms.create_alias(AliasName=d.AUDIT_DIGEST_KEY_ALIAS, TargetKeyId=key_id)
    return AuditResources(bucket, key_id)


@dataclass(frozen=True)
class SmsResources:
    campaign_queue_url: str
    inbound_topic_arn: str


def create_sms_resources(session: Any) -> SmsResources:
    """Commercial SMS (as infra/stacks/constructs/sms.py builds them): the campaign queue with its dead-letter
    queue, and the inbound SMS topic. moto invokes no Lambda from either: infra/local/emulation.py drains the
    queue into the worker and hands inbound SMS to the inbound handler (its section 6)."""
    sqs = session.client("sqs")
    dead_letters = sqs.create_queue(QueueName=d.SMS_CAMPAIGN_DEAD_LETTER_QUEUE_NAME)["QueueUrl"]
    dead_letters_arn = sqs.get_queue_attributes(QueueUrl=dead_letters, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    queue_url = sqs.create_queue(
        QueueName=d.SMS_CAMPAIGN_QUEUE_NAME,
        Attributes={
            "VisibilityTimeout": str(d.SMS_CAMPAIGN_VISIBILITY_SECONDS),
            "RedrivePolicy": json.dumps(
                {"deadLetterTargetArn": dead_letters_arn, "maxReceiveCount": str(d.SMS_CAMPAIGN_MAX_RECEIVES)}
            ),
        },
    )["QueueUrl"]
    topic_arn = session.client("sns").create_topic(Name=d.SMS_INBOUND_TOPIC_NAME)["TopicArn"]
    return SmsResources(str(queue_url), str(topic_arn))


@dataclass(frozen=True)
class RightsResources:
    bucket: str
    export_queue_url: str


def create_rights_resources(session: Any, prefix: str = "selfcare-local") -> RightsResources:
    """Data-subject rights (as the data stack and infra/stacks/constructs/rights.py build them): the rights
    bucket (KMS-encrypted, public access blocked, the two lifecycle rules) and the export queue with its
    dead-letter queue."""
    bucket = f"{prefix}-rights"
    s3 = session.client("s3")
    region = s3.meta.region_name
    create: dict[str, Any] = {"Bucket": bucket}
    if region != "us-east-1":
        create["CreateBucketConfiguration"] = {"LocationConstraint": region}
    s3.create_bucket(**create)
    key_id = session.client("kms").create_key(Description="Selfcare rights bucket (local)")["KeyMetadata"]["KeyId"]
    s3.put_bucket_encryption(
        Bucket=bucket,
        ServerSideEncryptionConfiguration={
            "Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": key_id}}]
        },
    )
    s3.put_public_access_block(
        Bucket=bucket,
        PublicAccessBlockConfiguration={
            "BlockPublicAcls": True,
            "IgnorePublicAcls": True,
            "BlockPublicPolicy": True,
            "RestrictPublicBuckets": True,
        },
    )
    s3.put_bucket_lifecycle_configuration(
        Bucket=bucket,
        LifecycleConfiguration={
            "Rules": [
                {
                    "ID": "exports",
                    "Filter": {"Prefix": d.RIGHTS_EXPORTS_PREFIX},
                    "Status": "Enabled",
                    "Expiration": {"Days": d.RIGHTS_EXPORT_DAYS},
                },
                {
                    "ID": "identity-documents",
                    "Filter": {"Prefix": d.RIGHTS_IDENTITY_DOCUMENTS_PREFIX},
                    "Status": "Enabled",
                    "Expiration": {"Days": d.IDENTITY_DOCUMENT_DAYS},
                },
            ]
        },
    )
    sqs = session.client("sqs")
    dead_letters = sqs.create_queue(QueueName=d.RIGHTS_EXPORT_DEAD_LETTER_QUEUE_NAME)["QueueUrl"]
    dead_letters_arn = sqs.get_queue_attributes(QueueUrl=dead_letters, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    queue_url = sqs.create_queue(
        QueueName=d.RIGHTS_EXPORT_QUEUE_NAME,
        Attributes={
            "VisibilityTimeout": str(d.RIGHTS_EXPORT_VISIBILITY_SECONDS),
            "RedrivePolicy": json.dumps(
                {"deadLetterTargetArn": dead_letters_arn, "maxReceiveCount": str(d.RIGHTS_EXPORT_MAX_RECEIVES)}
            ),
        },
    )["QueueUrl"]
    return RightsResources(bucket, str(queue_url))


@dataclass(frozen=True)
class BillingResources:
    invoices_bucket: str
    api_key: str
    webhook_secret: str


def create_billing_resources(
    session: Any, prefix: str = "selfcare-local", *, api_key: str | None = None, webhook_secret: str | None = None
) -> BillingResources:
    """The invoices bucket (encrypted, public access blocked, as the CDK stack makes it) and the billing
    secrets: the provider's API key and the webhook signing secret (the payment sandbox's, or random ones
    when None), the usage cursors' HMAC key (random, as CloudFormation generates it)."""
    bucket = f"{prefix}-invoices"
    s3 = session.client("s3")
    region = s3.meta.region_name
    create: dict[str, Any] = {"Bucket": bucket}
    if region != "us-east-1":
        create["CreateBucketConfiguration"] = {"LocationConstraint": region}
    s3.create_bucket(**create)
    s3.put_public_access_block(
        Bucket=bucket,
        PublicAccessBlockConfiguration={
            "BlockPublicAcls": True,
            "IgnorePublicAcls": True,
            "BlockPublicPolicy": True,
            "RestrictPublicBuckets": True,
        },
    )
    s3.put_bucket_encryption(
        Bucket=bucket,
        ServerSideEncryptionConfiguration={
            "Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]
        },
    )
    secretsmanager = session.client("secretsmanager")
    api_key, webhook_secret = api_key or secrets.token_urlsafe(24), webhook_secret or secrets.token_urlsafe(48)
    secretsmanager.create_secret(
        Name=d.PAYMENT_PROVIDER_API_KEY_SECRET_NAME, SecretString=json.dumps({"api_key": api_key})
    )
    secretsmanager.create_secret(Name=d.PAYMENT_WEBHOOK_SECRET_NAME, SecretString=webhook_secret)
    secretsmanager.create_secret(Name=d.BILLING_CURSOR_KEY_SECRET_NAME, SecretString=secrets.token_urlsafe(48))
    # Identity (issue 8): the CAPTCHA challenges' HMAC key, generated at each start (never committed).
    secretsmanager.create_secret(Name=d.CAPTCHA_KEY_SECRET_NAME, SecretString=secrets.token_urlsafe(48))
    return BillingResources(bucket, api_key, webhook_secret)


@dataclass(frozen=True)
class CrmResources:
    dead_letter_queue_url: str
    scheduler_role_arn: str
    delivery_queue_url: str


def create_crm_resources(session: Any) -> CrmResources:
    """The CRM buses, the projection's rule and dead-letter queue, the anonymisation schedule group and role
    (as infra/stacks/constructs/projection.py builds them). moto cannot deliver an event to a Lambda target:
    the rule targets a local delivery queue instead, which infra/local/emulation.py drains into the
    projection handler (its section 3)."""
    from infra.local.emulation import create_crm_delivery_queue

    events, sqs, iam = session.client("events"), session.client("sqs"), session.client("iam")
    events.create_event_bus(Name=d.CRM_INBOUND_BUS_NAME)
    events.create_event_bus(Name=d.CRM_OUTBOUND_BUS_NAME)
    dead_letter_queue_url = sqs.create_queue(
        QueueName=d.PROJECTION_DEAD_LETTER_QUEUE_NAME,
        Attributes={
            "SqsManagedSseEnabled": "true",
            "MessageRetentionPeriod": str(d.DEAD_LETTER_RETENTION_DAYS * 24 * 3600),
        },
    )["QueueUrl"]
    events.put_rule(
        Name=d.PROJECTION_RULE_NAME,
        EventBusName=d.CRM_INBOUND_BUS_NAME,
        EventPattern=json.dumps(d.CRM_EVENT_PATTERN),
        State="ENABLED",
    )
    delivery_queue_url, delivery_queue_arn = create_crm_delivery_queue(session)
    events.put_targets(
        Rule=d.PROJECTION_RULE_NAME,
        EventBusName=d.CRM_INBOUND_BUS_NAME,
        Targets=[{"Id": "projection", "Arn": delivery_queue_arn}],
    )
    session.client("scheduler").create_schedule_group(Name=d.ANONYMISATION_SCHEDULE_GROUP)
    with contextlib.suppress(iam.exceptions.EntityAlreadyExistsException):
        iam.create_role(RoleName=d.ANONYMISATION_SCHEDULER_ROLE_NAME, AssumeRolePolicyDocument="{}")
    role_arn = iam.get_role(RoleName=d.ANONYMISATION_SCHEDULER_ROLE_NAME)["Role"]["Arn"]
    return CrmResources(dead_letter_queue_url, role_arn, delivery_queue_url)


def _placeholder_code() -> bytes:
    """The Lambda function's code on moto: never run (the task runner of infra/local/emulation.py runs the
    in-process handler instead)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("handler.py", "def lambda_handler(event, context):\n    raise RuntimeError('not run')\n")
    return buffer.getvalue()


def local_function_name(function: d.Function) -> str:
    """How the local stack names a function on moto (the task runner maps these names to handlers)."""
    return f"{d.SERVICE}-{function.name}"


def create_workflows(session: Any, prefix: str, retry: d.Retry) -> dict[str, str]:
    """The workflows' Lambda function and state machines, from infra/workflows (as the CDK stack builds them)."""
    from infra.workflows.suspension import INCIDENT_BUS, TASKS_FUNCTION, definitions_for, render

    iam = session.client("iam")
    with contextlib.suppress(iam.exceptions.EntityAlreadyExistsException):
        iam.create_role(RoleName=LOCAL_ROLE_NAME, AssumeRolePolicyDocument="{}")
    role_arn = iam.get_role(RoleName=LOCAL_ROLE_NAME)["Role"]["Arn"]
    tasks = d.function_named(d.WORKFLOW_TASKS_FUNCTION)
    function_arn = session.client("lambda").create_function(
        FunctionName=local_function_name(tasks),
        Runtime="python3.13",
        Role=role_arn,
        Handler=tasks.handler,
        Code={"ZipFile": _placeholder_code()},
        Timeout=tasks.timeout_seconds,
        MemorySize=tasks.memory_mb,
    )["FunctionArn"]
    substitutions = {TASKS_FUNCTION: function_arn, INCIDENT_BUS: d.INCIDENT_BUS_NAME}
    stepfunctions = session.client("stepfunctions")
    arns = {}
    for name, asl in definitions_for(retry, retry).items():
        created = stepfunctions.create_state_machine(
            name=name, definition=render(asl, substitutions), roleArn=role_arn, type="STANDARD"
        )
        arns[name] = created["stateMachineArn"]
    return arns
