"""One Lambda function per definitions.FUNCTIONS, each with its own log group and least-privilege role."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from aws_cdk import ArnFormat, Duration, Stack, aws_dynamodb, aws_iam, aws_kms, aws_lambda, aws_logs, aws_ssm
from constructs import Construct

from infra import definitions, layer
from infra.stacks import names
from infra.stacks.acknowledge import acknowledge
from infra.stacks.retention import retention

DIGEST_PREFIX = "audit-digests/"  # selfcare.audit.digest.DIGEST_PREFIX (the CDK app does not import the package)

READ_ACTIONS = ("dynamodb:GetItem", "dynamodb:BatchGetItem", "dynamodb:Query")
# Transactions (TransactWriteItems) are authorised per item with these actions: there is no IAM action
# for the transaction itself.
WRITE_ACTIONS = (
    "dynamodb:PutItem",
    "dynamodb:UpdateItem",
    "dynamodb:DeleteItem",
    "dynamodb:BatchWriteItem",
    "dynamodb:ConditionCheckItem",
)
# DynamoDB calls KMS on the caller's behalf for a table encrypted with a customer-managed key.
KMS_READ_ACTIONS = ("kms:Decrypt",)
KMS_WRITE_ACTIONS = ("kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey")
LOG_ACTIONS = ("logs:CreateLogStream", "logs:PutLogEvents")
XRAY_ACTIONS = ("xray:PutTraceSegments", "xray:PutTelemetryRecords")

# Append-only (the audit trail): put new items, check conditions in a transaction; never update or delete.
APPEND_ACTIONS = ("dynamodb:PutItem", "dynamodb:ConditionCheckItem")
# The chain tip's Query (selfcare.dal.logs.LogsRepository.tip) may name these attributes and no others.
CHAIN_TIP_ATTRIBUTES = ("subject", "sk", "seq", "hash", "expires_at")

_READS = {definitions.Access.READ, definitions.Access.READ_WRITE, definitions.Access.READ_APPEND}
_WRITES = {definitions.Access.WRITE, definitions.Access.READ_WRITE}
_APPENDS = {definitions.Access.APPEND, definitions.Access.READ_APPEND}

_ARCHITECTURES = {"arm64": aws_lambda.Architecture.ARM_64, "x86_64": aws_lambda.Architecture.X86_64}

# Cold start (issue 12): the API functions (routes and the authorizer) run with SnapStart. Each publishes a
# version on deploy (a snapshot of its initialised environment) behind this alias, which API Gateway invokes.
LIVE_ALIAS = "live"


def uses_snapstart(spec: definitions.Function) -> bool:
    """The functions on the API's request path: behind a route, or the authorizer."""
    return definitions.has_routes(spec) or spec.name == definitions.AUTHORIZER.name


def lambda_runtime() -> aws_lambda.Runtime:
    wanted = f"python{definitions.LAMBDA_PYTHON_VERSION}"
    for runtime in aws_lambda.Runtime.ALL:
        if runtime.name == wanted:
            return runtime
    raise ValueError(f"aws-cdk-lib does not know the Lambda runtime {wanted}")


def lambda_architecture() -> aws_lambda.Architecture:
    return _ARCHITECTURES[definitions.LAMBDA_ARCHITECTURE]


def state_machine_arn(stack: Stack, name: str) -> str:
    return stack.format_arn(
        service="states", resource="stateMachine", resource_name=name, arn_format=ArnFormat.COLON_RESOURCE_NAME
    )


def execution_arns(stack: Stack, state_machine_name: str) -> str:
    """Every execution of one state machine (names are the workflows' handles, known at run time only)."""
    return stack.format_arn(
        service="states",
        resource="execution",
        resource_name=f"{state_machine_name}:*",
        arn_format=ArnFormat.COLON_RESOURCE_NAME,
    )


def event_bus_arn(stack: Stack, name: str) -> str:
    return stack.format_arn(
        service="events", resource="event-bus", resource_name=name, arn_format=ArnFormat.SLASH_RESOURCE_NAME
    )


def invoice_objects_arn(stack: Stack) -> str:
    """The invoice PDFs of the invoices bucket (named in definitions: no dependency on the data stack's token)."""
    bucket = definitions.invoices_bucket_name(stack.account, stack.region)
    return f"arn:{stack.partition}:s3:::{bucket}/invoices/*"


def rights_exports_arn(stack: Stack) -> str:
    """The access-request exports of the rights bucket (named in definitions: no token of the data stack)."""
    bucket = definitions.rights_bucket_name(stack.account, stack.region)
    return f"arn:{stack.partition}:s3:::{bucket}/{definitions.RIGHTS_EXPORTS_PREFIX}*"


def rights_identity_documents_arn(stack: Stack) -> str:
    bucket = definitions.rights_bucket_name(stack.account, stack.region)
    return f"arn:{stack.partition}:s3:::{bucket}/{definitions.RIGHTS_IDENTITY_DOCUMENTS_PREFIX}*"


def audit_digest_bucket(stack: Stack) -> str:
    return definitions.audit_digest_bucket_name(stack.account, stack.region)


def audit_digest_objects_arn(stack: Stack) -> str:
    return f"arn:{stack.partition}:s3:::{audit_digest_bucket(stack)}/{DIGEST_PREFIX}*"


def _nag_tokens(text: str) -> str:
    """Pseudo parameters inside a string, as cdk-nag names them (the account in a bucket name)."""
    for token, name in (("AWS.AccountId", "<AWS::AccountId>"), ("AWS.Region", "<AWS::Region>")):
        text = re.sub(r"\$\{Token\[" + re.escape(token) + r"\.\d+\]\}", name, text)
    return text


def queue_arn(stack: Stack, name: str) -> str:
    return stack.format_arn(service="sqs", resource=name, arn_format=ArnFormat.NO_RESOURCE_NAME)


def queue_url(stack: Stack, name: str) -> str:
    return f"https://sqs.{stack.region}.{stack.url_suffix}/{stack.account}/{name}"


def dead_letter_queue_url(stack: Stack) -> str:
    name = definitions.PROJECTION_DEAD_LETTER_QUEUE_NAME
    return f"https://sqs.{stack.region}.{stack.url_suffix}/{stack.account}/{name}"


def scheduler_role_arn(stack: Stack) -> str:
    return role_arn(stack, definitions.ANONYMISATION_SCHEDULER_ROLE_NAME)


def anonymisation_schedule_arns(stack: Stack) -> str:
    """Every schedule of the retention group (hide-<id> and anonymise-<id>, per terminated customer, named at run
    time; the daily reconciliation's schedule is in the default group, out of reach)."""
    return stack.format_arn(
        service="scheduler",
        resource="schedule",
        resource_name=f"{definitions.ANONYMISATION_SCHEDULE_GROUP}/*",
        arn_format=ArnFormat.SLASH_RESOURCE_NAME,
    )


def role_arn(stack: Stack, name: str) -> str:
    return stack.format_arn(
        service="iam", region="", resource="role", resource_name=name, arn_format=ArnFormat.SLASH_RESOURCE_NAME
    )


def _nag_form(arn: str) -> str:
    """An ARN as cdk-nag names it in a finding: pseudo parameters as <AWS::...>, known values as they are."""
    stack_tokens = {
        "${Token[AWS.Partition": "<AWS::Partition>",
        "${Token[AWS.Region": "<AWS::Region>",
        "${Token[AWS.AccountId": "<AWS::AccountId>",
    }
    parts = []
    for part in arn.split(":"):
        replaced = next((name for prefix, name in stack_tokens.items() if part.startswith(prefix)), part)
        parts.append(replaced)
    return ":".join(parts)


@dataclass(frozen=True)
class Grantable:
    """The stateful resources the functions may be granted, from the data stack."""

    tables: Mapping[str, aws_dynamodb.ITable]
    key: aws_kms.IKey
    signing_key_secret_arn: str
    public_keys_parameter_arn: str
    notification_sender: str
    provisioning_credentials_secret_arn: str
    provisioning_endpoint: str
    vod_hash_key_secret_arn: str
    # Bills and payments (capability `billing`).
    payment_provider_api_key_secret_arn: str = ""
    payment_webhook_secret_arn: str = ""
    billing_cursor_key_secret_arn: str = ""
    # Identity (issue 8).
    captcha_key_secret_arn: str = ""
    # Digital-identity login and staff sign-in (OpenID Connect): the client secrets, and the providers (context).
    digital_identity_client_secret_arn: str = ""
    staff_directory_client_secret_arn: str = ""
    oidc_values: Mapping[str, str] | None = None  # the grants' variables (DIGITAL_IDENTITY_*, STAFF_DIRECTORY_*)
    # The notice's controller (issue 10): OPERATOR_* (CDK context `operator_identity`; demo values when unset).
    operator_identity: Mapping[str, str] | None = None
    # Audit trail (issue 9): the digests' signing key, the targets' pseudonym key.
    audit_digest_key_arn: str = ""
    audit_pseudonym_key_secret_arn: str = ""
    # Staff grants bound to an open incident (issue 8): the incident tracker (CDK context; empty when unset) and its
    # token's secret (the operator's, referenced by name: Secret.from_secret_name_v2).
    incident_tracker_url: str = ""
    incident_tracker_token_secret_name: str = ""
    incident_tracker_token_secret_arn: str = ""


class Functions(Construct):
    """The function factory: `functions[name]` for every definitions.FUNCTIONS entry."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        grantable: Grantable,
        shared_layer: aws_lambda.ILayerVersion,
    ) -> None:
        super().__init__(scope, construct_id)
        self._grantable = grantable
        self.runtime = lambda_runtime()
        self.architecture = lambda_architecture()
        powertools_version = layer.declared_version("aws-lambda-powertools")
        if powertools_version is None:
            raise ValueError("pyproject.toml must pin aws-lambda-powertools with ==")
        self.powertools_layer_parameter = names.POWERTOOLS_LAYER_PARAMETER.format(
            architecture=definitions.LAMBDA_ARCHITECTURE,
            python_version=definitions.LAMBDA_PYTHON_VERSION,
            version=powertools_version,
        )
        # Resolved by CloudFormation at deploy time (an SSM parameter type), so synth stays offline.
        self.powertools_layer = aws_lambda.LayerVersion.from_layer_version_arn(
            self,
            "PowertoolsLayer",
            aws_ssm.StringParameter.value_for_string_parameter(self, self.powertools_layer_parameter),
        )
        self._layers = [self.powertools_layer, shared_layer]
        self.log_groups: dict[str, aws_logs.LogGroup] = {}
        self.roles: dict[str, aws_iam.Role] = {}
        self.aliases: dict[str, aws_lambda.Alias] = {}  # SnapStart: the API functions' published versions
        self.functions: dict[str, aws_lambda.Function] = {
            spec.name: self._function(spec) for spec in definitions.FUNCTIONS
        }

    @property
    def invocation_targets(self) -> dict[str, aws_lambda.IFunction]:
        """What the API invokes for each function: the alias of its published version where SnapStart is on."""
        return {name: self.aliases.get(name, function) for name, function in self.functions.items()}

    def _grant_values(self) -> dict[str, str]:
        """Each grant variable's value (definitions.GRANT_ENV). Names, not tokens, where the name is fixed:
        the state machines and the bus are named in definitions, which keeps the functions free of any
        dependency on the constructs that create them."""
        return {
            "SIGNING_KEY_SECRET_ID": definitions.SIGNING_KEY_SECRET_NAME,
            "PUBLIC_KEYS_PARAMETER": definitions.PUBLIC_KEYS_PARAMETER_NAME,
            "NOTIFICATION_SENDER": self._grantable.notification_sender,
            "PROVISIONING_ENDPOINT": self._grantable.provisioning_endpoint,
            "PROVISIONING_CREDENTIALS_SECRET_ID": definitions.PROVISIONING_CREDENTIALS_SECRET_NAME,
            "INCIDENT_BUS_NAME": definitions.INCIDENT_BUS_NAME,
            "CRM_EVENT_BUS_NAME": definitions.CRM_OUTBOUND_BUS_NAME,
            "PROJECTION_DEAD_LETTER_QUEUE_URL": dead_letter_queue_url(Stack.of(self)),
            "ANONYMISATION_SCHEDULE_GROUP": definitions.ANONYMISATION_SCHEDULE_GROUP,
            "ANONYMISATION_SCHEDULER_ROLE_ARN": scheduler_role_arn(Stack.of(self)),
            "VOD_HASH_KEY_SECRET_ID": definitions.VOD_HASH_KEY_SECRET_NAME,
            "INVOICES_BUCKET_NAME": definitions.invoices_bucket_name(Stack.of(self).account, Stack.of(self).region),
            "PAYMENT_PROVIDER_ENDPOINT": definitions.PAYMENT_PROVIDER_ENDPOINT,
            "PAYMENT_PROVIDER_API_KEY_SECRET_ID": definitions.PAYMENT_PROVIDER_API_KEY_SECRET_NAME,
            "PAYMENT_WEBHOOK_SECRET_ID": definitions.PAYMENT_WEBHOOK_SECRET_NAME,
            "BILLING_CURSOR_KEY_SECRET_ID": definitions.BILLING_CURSOR_KEY_SECRET_NAME,
            "SMS_CAMPAIGN_QUEUE_URL": queue_url(Stack.of(self), definitions.SMS_CAMPAIGN_QUEUE_NAME),
            # Data-subject rights (issue 10).
            "RIGHTS_EXPORT_QUEUE_URL": queue_url(Stack.of(self), definitions.RIGHTS_EXPORT_QUEUE_NAME),
            "RIGHTS_BUCKET_NAME": definitions.rights_bucket_name(Stack.of(self).account, Stack.of(self).region),
            "CAPTCHA_KEY_SECRET_ID": definitions.CAPTCHA_KEY_SECRET_NAME,  # identity (issue 8)
            # Digital-identity login and staff sign-in (OpenID Connect): the providers, from the CDK context.
            **dict(self._grantable.oidc_values or {}),
            **definitions.DEMO_OPERATOR_IDENTITY,
            **dict(self._grantable.operator_identity or {}),
            "AUDIT_DIGEST_BUCKET_NAME": audit_digest_bucket(Stack.of(self)),
            "AUDIT_DIGEST_KEY_ID": self._grantable.audit_digest_key_arn,
            # Issue 8: the incident tracker (empty when the context is unset: incident grants answer 503).
            "INCIDENT_TRACKER_URL": self._grantable.incident_tracker_url,
            "INCIDENT_TRACKER_TOKEN_SECRET_ID": self._grantable.incident_tracker_token_secret_name,
        } | {machine.env: state_machine_arn(Stack.of(self), machine.name) for machine in definitions.STATE_MACHINES}

    def _function(self, spec: definitions.Function) -> aws_lambda.Function:
        scope = Construct(self, names.construct_name(spec.name))
        log_group = aws_logs.LogGroup(scope, "LogGroup", retention=retention(definitions.LOG_RETENTION_DAYS))
        role = aws_iam.Role(
            scope,
            "Role",
            assumed_by=aws_iam.ServicePrincipal("lambda.amazonaws.com"),
            description=f"Selfcare {spec.name} function: its log group, X-Ray, its tables, its grants",
            inline_policies={"least-privilege": aws_iam.PolicyDocument(statements=self._statements(spec, log_group))},
        )
        acknowledge(
            role,
            "AwsSolutions-IAM5[Resource::*]",
            f"X-Ray PutTraceSegments/PutTelemetryRecords (tracing of the {spec.name} function) support no "
            "resource-level permission: AWS requires Resource '*'. "
            + (
                "SNS Publish of an SMS to a phone number has no resource ARN either: AWS requires Resource '*' "
                "(sending to topics is denied by ARN in the same policy). "
                if "send_sms" in spec.grants
                else ""
            )
            + (
                "DynamoDB ListStreams (checked by Lambda when the stream's event source mapping is created) has no "
                "resource-level permission: AWS requires Resource '*'; reading records is scoped to the stream. "
                if "crm_outbox_stream" in spec.grants
                else ""
            )
            + "Every other statement of this role is scoped to named resources.",
        )
        if "start_workflows" in spec.grants:
            for machine in definitions.STATE_MACHINES:
                acknowledge(
                    role,
                    f"AwsSolutions-IAM5[Resource::{_nag_form(execution_arns(Stack.of(self), machine.name))}]",
                    f"DescribeExecution on the executions of {machine.name} only: their names are the workflows' "
                    "handles, made at request time, so no narrower ARN can be written in advance.",
                )
        if "invoices_bucket" in spec.grants or "invoices_erase" in spec.grants:
            acknowledge(
                role,
                f"AwsSolutions-IAM5[Resource::{_nag_tokens(_nag_form(invoice_objects_arn(Stack.of(self))))}]",
                "GetObject (billing) or DeleteObject (the anonymisation) on the invoice PDFs only (the invoices/ "
                "prefix of the invoices bucket): their keys name the customer and the invoice, known at run time only.",
            )
        if "rights_bucket_read" in spec.grants or "rights_bucket_write" in spec.grants:
            acknowledge(
                role,
                f"AwsSolutions-IAM5[Resource::{_nag_tokens(_nag_form(rights_exports_arn(Stack.of(self))))}]",
                "Get (presigned links) or Put (the worker) the access-request exports only (the exports/ prefix of "
                "the rights bucket): their keys name the request, made at run time, so no narrower ARN exists.",
            )
        if "rights_identity_documents" in spec.grants:
            acknowledge(
                role,
                f"AwsSolutions-IAM5[Resource::{_nag_tokens(_nag_form(rights_identity_documents_arn(Stack.of(self))))}]",
                "Put/Get/Delete the identity documents only (the identity-documents/ prefix of the rights bucket): "
                "one object per request, named by the request id made at run time.",
            )
        if "audit_digests" in spec.grants:
            acknowledge(
                role,
                f"AwsSolutions-IAM5[Resource::{_nag_tokens(_nag_form(audit_digest_objects_arn(Stack.of(self))))}]",
                "Put/Get the audit digests only (the audit-digests/ prefix of the digest bucket): one object per "
                "run, named by its time, so no narrower ARN exists in advance; Object Lock forbids overwriting.",
            )
        if "anonymisation_schedules" in spec.grants:
            acknowledge(
                role,
                f"AwsSolutions-IAM5[Resource::{_nag_form(anonymisation_schedule_arns(Stack.of(self)))}]",
                "Create/update/delete the retention schedules of the retention group only: two per terminated "
                "customer, named hide-<customer id> and anonymise-<customer id> at run time, so no narrower ARN "
                "exists in advance.",
            )
        environment = definitions.environment_for(
            spec,
            table_names={table_id: table.table_name for table_id, table in self._grantable.tables.items()},
            grant_values=self._grant_values(),
        )
        function = aws_lambda.Function(
            scope,
            "Function",
            description=spec.description or f"Selfcare {spec.name}",
            runtime=self.runtime,
            architecture=self.architecture,
            handler=spec.handler,
            code=aws_lambda.Code.from_asset(str(spec.code_dir), exclude=["__pycache__", "*.pyc"]),
            memory_size=spec.memory_mb,
            timeout=Duration.seconds(spec.timeout_seconds),
            environment={**environment, **names.POWERTOOLS_ENV},
            layers=self._layers,
            tracing=aws_lambda.Tracing.ACTIVE,
            logging_format=aws_lambda.LoggingFormat.JSON,
            log_group=log_group,
            # Immutable for CDK: nothing (tracing, integrations) may add statements or managed policies
            # behind the inline least-privilege policy above.
            role=role.without_policy_updates(),
            # Cold start (issue 12): snapshots of the initialised environment, on published versions only.
            snap_start=aws_lambda.SnapStartConf.ON_PUBLISHED_VERSIONS if uses_snapstart(spec) else None,
        )
        if uses_snapstart(spec):
            # A new version whenever the function's code or configuration changes (current_version hashes them).
            self.aliases[spec.name] = aws_lambda.Alias(
                scope, "Live", alias_name=LIVE_ALIAS, version=function.current_version
            )
        self.log_groups[spec.name] = log_group
        self.roles[spec.name] = role
        return function

    def _statements(self, spec: definitions.Function, log_group: aws_logs.ILogGroup) -> list[aws_iam.PolicyStatement]:
        grantable = self._grantable
        statements = [
            aws_iam.PolicyStatement(sid="OwnLogGroup", actions=list(LOG_ACTIONS), resources=[log_group.log_group_arn]),
            aws_iam.PolicyStatement(sid="XRayWrite", actions=list(XRAY_ACTIONS), resources=["*"]),
        ]
        kms_actions: set[str] = set()
        for table in definitions.tables_of(spec):
            access = spec.tables.get(table.logical_id)  # None: the usage counter only (below)
            table_arn = grantable.tables[table.logical_id].table_arn
            sid = table.logical_id
            if table.logical_id == definitions.USAGE_STATS.logical_id and definitions.counts_usage(spec):
                # Usage statistics (issue 10): one UpdateItem (ADD) per answered request, nothing else.
                statements.append(
                    aws_iam.PolicyStatement(sid="CountUsage", actions=["dynamodb:UpdateItem"], resources=[table_arn])
                )
                kms_actions.update(KMS_WRITE_ACTIONS)
            if access in _READS:
                index_arns = [f"{table_arn}/index/{index.name}" for index in table.indexes]
                statements.append(
                    aws_iam.PolicyStatement(
                        sid=f"Read{sid}", actions=list(READ_ACTIONS), resources=[table_arn, *index_arns]
                    )
                )
                kms_actions.update(KMS_READ_ACTIONS)
            if access in _WRITES:
                statements.append(
                    aws_iam.PolicyStatement(sid=f"Write{sid}", actions=list(WRITE_ACTIONS), resources=[table_arn])
                )
                kms_actions.update(KMS_WRITE_ACTIONS)
            if access in _APPENDS:
                statements.append(
                    aws_iam.PolicyStatement(sid=f"Append{sid}", actions=list(APPEND_ACTIONS), resources=[table_arn])
                )
                if access not in _READS:
                    statements.append(
                        aws_iam.PolicyStatement(
                            sid=f"ChainTip{sid}",
                            actions=["dynamodb:Query"],
                            resources=[table_arn],
                            conditions={
                                "ForAllValues:StringEquals": {"dynamodb:Attributes": list(CHAIN_TIP_ATTRIBUTES)},
                                "StringEquals": {"dynamodb:Select": "SPECIFIC_ATTRIBUTES"},
                            },
                        )
                    )
                kms_actions.update(KMS_WRITE_ACTIONS)
        if "signing_key" in spec.grants:
            statements.append(
                aws_iam.PolicyStatement(
                    sid="ReadSigningKey",
                    actions=["secretsmanager:GetSecretValue"],
                    resources=[grantable.signing_key_secret_arn],
                )
            )
            kms_actions.update(KMS_READ_ACTIONS)
        if "public_keys" in spec.grants:
            statements.append(
                aws_iam.PolicyStatement(
                    sid="ReadPublicKeys",
                    actions=["ssm:GetParameter"],
                    resources=[grantable.public_keys_parameter_arn],
                )
            )
        if "send_email" in spec.grants:
            statements.append(self._send_email_statement())
        if "send_sms" in spec.grants:
            # SMS to phone numbers: SNS gives them no ARN, so Resource "*"; topics (which have ARNs) are denied.
            statements.append(aws_iam.PolicyStatement(sid="SendSms", actions=["sns:Publish"], resources=["*"]))
            statements.append(
                aws_iam.PolicyStatement(
                    sid="NoTopicPublish",
                    effect=aws_iam.Effect.DENY,
                    actions=["sns:Publish"],
                    resources=[f"arn:{Stack.of(self).partition}:sns:*:*:*"],
                )
            )
        stack = Stack.of(self)
        if "provisioning" in spec.grants:
            statements.append(
                aws_iam.PolicyStatement(
                    sid="ReadProvisioningCredentials",
                    actions=["secretsmanager:GetSecretValue"],
                    resources=[grantable.provisioning_credentials_secret_arn],
                )
            )
            kms_actions.update(KMS_READ_ACTIONS)
        if "vod_key" in spec.grants:
            statements.append(
                aws_iam.PolicyStatement(
                    sid="ReadVodHashKey",
                    actions=["secretsmanager:GetSecretValue"],
                    resources=[grantable.vod_hash_key_secret_arn],
                )
            )
            kms_actions.update(KMS_READ_ACTIONS)
        if "payments" in spec.grants:
            statements.append(
                aws_iam.PolicyStatement(
                    sid="ReadPaymentSecrets",
                    actions=["secretsmanager:GetSecretValue"],
                    resources=[grantable.payment_provider_api_key_secret_arn, grantable.payment_webhook_secret_arn],
                )
            )
            kms_actions.update(KMS_READ_ACTIONS)
        if "billing_cursor_key" in spec.grants:
            statements.append(
                aws_iam.PolicyStatement(
                    sid="ReadBillingCursorKey",
                    actions=["secretsmanager:GetSecretValue"],
                    resources=[grantable.billing_cursor_key_secret_arn],
                )
            )
            kms_actions.update(KMS_READ_ACTIONS)
        if "captcha_key" in spec.grants:  # identity (issue 8)
            statements.append(
                aws_iam.PolicyStatement(
                    sid="ReadCaptchaKey",
                    actions=["secretsmanager:GetSecretValue"],
                    resources=[grantable.captcha_key_secret_arn],
                )
            )
            kms_actions.update(KMS_READ_ACTIONS)
        if "invoices_bucket" in spec.grants:
            # The presigned download URLs are signed with the function's credentials: GetObject is all they need.
            statements.append(
                aws_iam.PolicyStatement(
                    sid="ReadInvoicePdfs",
                    actions=["s3:GetObject"],
                    resources=[invoice_objects_arn(stack)],
                )
            )
        for grant, sid, secret_arn in (
            ("digital_identity", "ReadDigitalIdentityClientSecret", grantable.digital_identity_client_secret_arn),
            ("staff_directory", "ReadStaffDirectoryClientSecret", grantable.staff_directory_client_secret_arn),
        ):
            if grant in spec.grants:
                statements.append(
                    aws_iam.PolicyStatement(sid=sid, actions=["secretsmanager:GetSecretValue"], resources=[secret_arn])
                )
                kms_actions.update(KMS_READ_ACTIONS)
        if "invoices_erase" in spec.grants:
            # Retention: the anonymisation lists a customer's PDFs (invoices/<id>/) and deletes them.
            statements.append(
                aws_iam.PolicyStatement(
                    sid="DeleteInvoicePdfs", actions=["s3:DeleteObject"], resources=[invoice_objects_arn(stack)]
                )
            )
            bucket = definitions.invoices_bucket_name(stack.account, stack.region)
            statements.append(
                aws_iam.PolicyStatement(
                    sid="ListInvoicePdfs",
                    actions=["s3:ListBucket"],
                    resources=[f"arn:{stack.partition}:s3:::{bucket}"],
                    conditions={"StringLike": {"s3:prefix": ["invoices/*"]}},
                )
            )
        if "events" in spec.grants:
            statements.append(
                aws_iam.PolicyStatement(
                    sid="PutIncidentEvents",
                    actions=["events:PutEvents"],
                    resources=[event_bus_arn(stack, definitions.INCIDENT_BUS_NAME)],
                )
            )
        if "crm_events" in spec.grants:
            statements.append(
                aws_iam.PolicyStatement(
                    sid="PutCrmEvents",
                    actions=["events:PutEvents"],
                    resources=[event_bus_arn(stack, definitions.CRM_OUTBOUND_BUS_NAME)],
                )
            )
        if "crm_outbox_stream" in spec.grants:
            customers = grantable.tables[definitions.CUSTOMERS.logical_id]
            assert customers.table_stream_arn is not None, "the customers table needs its stream (definitions)"
            statements.append(
                aws_iam.PolicyStatement(
                    sid="ReadCustomersStream",
                    actions=["dynamodb:DescribeStream", "dynamodb:GetRecords", "dynamodb:GetShardIterator"],
                    resources=[customers.table_stream_arn],
                )
            )
            # Lambda checks the role may list streams when the mapping is created; ListStreams has no resource ARN.
            statements.append(
                aws_iam.PolicyStatement(sid="ListStreams", actions=["dynamodb:ListStreams"], resources=["*"])
            )
            # The event source mapping's on-failure destination (the records it gave up on).
            statements.append(
                aws_iam.PolicyStatement(
                    sid="SendOutboxDeadLetters",
                    actions=["sqs:SendMessage"],
                    resources=[queue_arn(stack, definitions.CRM_OUTBOX_DEAD_LETTER_QUEUE_NAME)],
                )
            )
            kms_actions.update(KMS_READ_ACTIONS)  # the stream's records are encrypted with the table's key
        if "dead_letters" in spec.grants:
            statements.append(
                aws_iam.PolicyStatement(
                    sid="SendDeadLetters",
                    actions=["sqs:SendMessage"],
                    resources=[queue_arn(stack, definitions.PROJECTION_DEAD_LETTER_QUEUE_NAME)],
                )
            )
        if "anonymisation_schedules" in spec.grants:
            statements.append(
                aws_iam.PolicyStatement(
                    sid="AnonymisationSchedules",
                    actions=["scheduler:CreateSchedule", "scheduler:UpdateSchedule", "scheduler:DeleteSchedule"],
                    resources=[anonymisation_schedule_arns(stack)],
                )
            )
            statements.append(
                aws_iam.PolicyStatement(
                    sid="PassSchedulerRole",
                    actions=["iam:PassRole"],
                    resources=[role_arn(stack, definitions.ANONYMISATION_SCHEDULER_ROLE_NAME)],
                    conditions={"StringEquals": {"iam:PassedToService": "scheduler.amazonaws.com"}},
                )
            )
        if "start_workflows" in spec.grants:
            machines = [machine.name for machine in definitions.STATE_MACHINES]
            statements.append(
                aws_iam.PolicyStatement(
                    sid="StartLineWorkflows",
                    actions=["states:StartExecution"],
                    resources=[state_machine_arn(stack, name) for name in machines],
                )
            )
            statements.append(
                aws_iam.PolicyStatement(
                    sid="DescribeLineWorkflows",
                    actions=["states:DescribeExecution"],
                    resources=[execution_arns(stack, name) for name in machines],
                )
            )
        if definitions.appends_to_audit_trail(spec):
            statements.append(
                aws_iam.PolicyStatement(
                    sid="ReadAuditPseudonymKey",
                    actions=["secretsmanager:GetSecretValue"],
                    resources=[grantable.audit_pseudonym_key_secret_arn],
                )
            )
        if "audit_digests" in spec.grants:
            statements.append(
                aws_iam.PolicyStatement(
                    sid="SignAuditDigests", actions=["kms:Sign"], resources=[grantable.audit_digest_key_arn]
                )
            )
            statements.append(
                aws_iam.PolicyStatement(
                    sid="WriteAuditDigests",
                    actions=["s3:PutObject", "s3:GetObject"],
                    resources=[audit_digest_objects_arn(stack)],
                )
            )
            statements.append(
                aws_iam.PolicyStatement(
                    sid="ListAuditDigests",
                    actions=["s3:ListBucket"],
                    resources=[f"arn:{stack.partition}:s3:::{audit_digest_bucket(stack)}"],
                    conditions={"StringLike": {"s3:prefix": [f"{DIGEST_PREFIX}*"]}},
                )
            )
        # Commercial SMS: the provider API queues campaign batches; the worker consumes them (event source mapping).
        if "sms_campaign_queue" in spec.grants:
            statements.append(
                aws_iam.PolicyStatement(
                    sid="QueueSmsBatches",
                    actions=["sqs:SendMessage"],
                    resources=[queue_arn(stack, definitions.SMS_CAMPAIGN_QUEUE_NAME)],
                )
            )
        if "sms_campaign_consumer" in spec.grants:
            statements.append(
                aws_iam.PolicyStatement(
                    sid="ConsumeSmsBatches",
                    actions=[
                        "sqs:ReceiveMessage",
                        "sqs:DeleteMessage",
                        "sqs:ChangeMessageVisibility",
                        "sqs:GetQueueAttributes",
                    ],
                    resources=[queue_arn(stack, definitions.SMS_CAMPAIGN_QUEUE_NAME)],
                )
            )
        # Data-subject rights (issue 10): the export queue (the API sends, the worker consumes), the rights bucket.
        if "rights_export_queue" in spec.grants:
            statements.append(
                aws_iam.PolicyStatement(
                    sid="QueueAccessExports",
                    actions=["sqs:SendMessage"],
                    resources=[queue_arn(stack, definitions.RIGHTS_EXPORT_QUEUE_NAME)],
                )
            )
        if "rights_export_consumer" in spec.grants:
            statements.append(
                aws_iam.PolicyStatement(
                    sid="ConsumeAccessExports",
                    actions=[
                        "sqs:ReceiveMessage",
                        "sqs:DeleteMessage",
                        "sqs:ChangeMessageVisibility",
                        "sqs:GetQueueAttributes",
                    ],
                    resources=[queue_arn(stack, definitions.RIGHTS_EXPORT_QUEUE_NAME)],
                )
            )
        if "rights_bucket_read" in spec.grants:
            # The presigned download links are signed with the function's credentials: GetObject (and the key).
            statements.append(
                aws_iam.PolicyStatement(
                    sid="ReadAccessExports", actions=["s3:GetObject"], resources=[rights_exports_arn(stack)]
                )
            )
            kms_actions.update(KMS_READ_ACTIONS)
        if "rights_bucket_write" in spec.grants:
            statements.append(
                aws_iam.PolicyStatement(
                    sid="WriteAccessExports", actions=["s3:PutObject"], resources=[rights_exports_arn(stack)]
                )
            )
            kms_actions.update(KMS_WRITE_ACTIONS)
        if "rights_identity_documents" in spec.grants:
            # Presigned PUT (upload) and GET (shown once) are signed with the function's credentials; deleted on
            # verification.
            statements.append(
                aws_iam.PolicyStatement(
                    sid="IdentityDocuments",
                    actions=["s3:PutObject", "s3:GetObject", "s3:DeleteObject"],
                    resources=[rights_identity_documents_arn(stack)],
                )
            )
            kms_actions.update(KMS_WRITE_ACTIONS)
        if "invoices_list" in spec.grants:
            bucket = definitions.invoices_bucket_name(stack.account, stack.region)
            statements.append(
                aws_iam.PolicyStatement(
                    sid="ListInvoicePdfsForExport",
                    actions=["s3:ListBucket"],
                    resources=[f"arn:{stack.partition}:s3:::{bucket}"],
                    conditions={"StringLike": {"s3:prefix": ["invoices/*"]}},
                )
            )
        if "incident_tracker" in spec.grants and grantable.incident_tracker_token_secret_arn:
            # Issue 8: the incident tracker's bearer token, in the operator's secret (named by CDK context).
            statements.append(
                aws_iam.PolicyStatement(
                    sid="ReadIncidentTrackerToken",
                    actions=["secretsmanager:GetSecretValue"],
                    resources=[grantable.incident_tracker_token_secret_arn],
                )
            )
        if kms_actions:
            statements.append(
                aws_iam.PolicyStatement(sid="DataKey", actions=sorted(kms_actions), resources=[grantable.key.key_arn])
            )
        unknown = set(spec.grants) - set(definitions.GRANT_ENV)
        if unknown:
            raise ValueError(f"function {spec.name}: unknown grants {sorted(unknown)}")
        return statements

    def _send_email_statement(self) -> aws_iam.PolicyStatement:
        """ses:SendEmail from the notification sender only: its address identity, or its domain identity when
        the domain is what SES verified."""
        sender = self._grantable.notification_sender
        stack = Stack.of(self)
        identities = [sender, sender.rsplit("@", 1)[-1]]
        return aws_iam.PolicyStatement(
            sid="SendEmailAsSender",
            actions=["ses:SendEmail"],
            resources=[
                stack.format_arn(
                    service="ses",
                    resource="identity",
                    resource_name=identity,
                    arn_format=ArnFormat.SLASH_RESOURCE_NAME,
                )
                for identity in identities
            ],
            conditions={"StringEquals": {"ses:FromAddress": sender}},
        )
