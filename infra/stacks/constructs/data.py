"""Stateful data: the customer-managed key, one DynamoDB table per definitions.TABLES, JWT key material."""

from __future__ import annotations

from aws_cdk import Duration, RemovalPolicy, Stack, aws_dynamodb, aws_kms, aws_s3, aws_secretsmanager, aws_ssm
from constructs import Construct

from infra import definitions
from infra.stacks import names
from infra.stacks.acknowledge import acknowledge

_ATTRIBUTE_TYPES = {
    definitions.KeyType.S: aws_dynamodb.AttributeType.STRING,
    definitions.KeyType.N: aws_dynamodb.AttributeType.NUMBER,
}


def _attribute(key: definitions.Key) -> aws_dynamodb.Attribute:
    return aws_dynamodb.Attribute(name=key.name, type=_ATTRIBUTE_TYPES[key.type])


def _optional_attribute(key: definitions.Key | None) -> aws_dynamodb.Attribute | None:
    return _attribute(key) if key is not None else None


class Data(Construct):
    """The KMS key, the tables (by Table.logical_id), the signing key secret and the public keys parameter."""

    def __init__(self, scope: Construct, construct_id: str) -> None:
        super().__init__(scope, construct_id)

        self.key = aws_kms.Key(
            self,
            "Key",
            description="Selfcare data: DynamoDB tables and the JWT signing key secret",
            enable_key_rotation=True,
            alias=names.DATA_KEY_ALIAS,
            removal_policy=RemovalPolicy.RETAIN,
        )
        self._pin_logical_id(self.key, names.DATA_KEY_LOGICAL_ID)

        self.tables: dict[str, aws_dynamodb.Table] = {
            table.logical_id: self._table(table) for table in definitions.TABLES
        }

        # The secret is created empty: its value, an Ed25519 private key in PEM with its kid, is written by
        # infra/scripts/rotate_signing_key.py. An L1 resource, because the L2 Secret generates a random
        # string when given no value, and the script's --if-missing would then never write a key.
        self.signing_key_secret = aws_secretsmanager.CfnSecret(
            self,
            "SigningKeySecret",
            name=definitions.SIGNING_KEY_SECRET_NAME,
            description="JWT signing key (Ed25519 private key, PEM, with its kid); written by "
            "infra/scripts/rotate_signing_key.py",
            kms_key_id=self.key.key_arn,
        )
        self.signing_key_secret.apply_removal_policy(RemovalPolicy.RETAIN)
        self.signing_key_secret.override_logical_id(names.SIGNING_KEY_SECRET_LOGICAL_ID)
        acknowledge(
            self.signing_key_secret,
            "AwsSolutions-SMG4",
            "Secrets Manager rotation cannot generate an Ed25519 key pair and publish its public half: "
            "infra/scripts/rotate_signing_key.py rotates the key and keeps the previous public key in the "
            "JWKS parameter so that tokens signed before rotation still verify.",
        )

        # The JWKS (public keys) the authorizer verifies tokens with. CloudFormation writes the initial empty
        # set; the rotation script owns the value afterwards. Changing this resource's properties in the
        # template makes CloudFormation write EMPTY_JWKS again: `make deploy` runs the script with
        # --if-missing right after, which publishes the current public key again.
        self.public_keys_parameter = aws_ssm.StringParameter(
            self,
            "PublicKeysParameter",
            parameter_name=definitions.PUBLIC_KEYS_PARAMETER_NAME,
            string_value=names.EMPTY_JWKS,
            description="JWKS of the JWT signing keys (current and previous); written by "
            "infra/scripts/rotate_signing_key.py",
            tier=aws_ssm.ParameterTier.STANDARD,
        )
        self._pin_logical_id(self.public_keys_parameter, names.PUBLIC_KEYS_PARAMETER_LOGICAL_ID)

        # The network provisioning system's credentials ({"api_key": ...}): issued by its operators and
        # written by ours; created empty (L1, as the signing key) so that no made-up value is ever sent.
        self.provisioning_credentials_secret = aws_secretsmanager.CfnSecret(
            self,
            "ProvisioningCredentialsSecret",
            name=definitions.PROVISIONING_CREDENTIALS_SECRET_NAME,
            description='Credentials of the network provisioning system ({"api_key": ...}); written by the operators',
            kms_key_id=self.key.key_arn,
        )
        self.provisioning_credentials_secret.apply_removal_policy(RemovalPolicy.RETAIN)
        self.provisioning_credentials_secret.override_logical_id(names.PROVISIONING_CREDENTIALS_SECRET_LOGICAL_ID)
        acknowledge(
            self.provisioning_credentials_secret,
            "AwsSolutions-SMG4",
            "The provisioning system's operators issue and rotate its API key on their schedule; our operators "
            "write the new key into this secret, and the adapter reads it again when the old one is refused (401).",
        )

        # Digital-identity login and staff sign-in: each OpenID Connect provider's client secret
        # ({"client_secret": ...}), issued by the provider at registration and written by the operators.
        self.oidc_client_secrets: dict[str, aws_secretsmanager.CfnSecret] = {}
        for logical_id, name, provider in (
            (
                names.DIGITAL_IDENTITY_CLIENT_SECRET_LOGICAL_ID,
                definitions.DIGITAL_IDENTITY_CLIENT_SECRET_NAME,
                "the government digital identity",
            ),
            (
                names.STAFF_DIRECTORY_CLIENT_SECRET_LOGICAL_ID,
                definitions.STAFF_DIRECTORY_CLIENT_SECRET_NAME,
                "the operator's identity provider (staff)",
            ),
        ):
            secret = aws_secretsmanager.CfnSecret(
                self,
                logical_id,
                name=name,
                description=f'OpenID Connect client secret at {provider} ({{"client_secret": ...}}); written by the '
                "operators",
                kms_key_id=self.key.key_arn,
            )
            secret.apply_removal_policy(RemovalPolicy.RETAIN)
            secret.override_logical_id(logical_id)
            acknowledge(
                secret,
                "AwsSolutions-SMG4",
                f"The client secret is issued by {provider} when the client is registered; rotating it is a change "
                "made in the provider's console, which a rotation Lambda cannot make: the operators write the new one.",
            )
            self.oidc_client_secrets[logical_id] = secret

        # The HMAC key that anonymises the VOD titles' references: generated once by CloudFormation, never
        # known to anyone, never rotated (a new key would give every title a new pseudonym).
        self.vod_hash_key_secret = aws_secretsmanager.Secret(
            self,
            "VodHashKeySecret",
            secret_name=definitions.VOD_HASH_KEY_SECRET_NAME,
            description="HMAC key of the anonymised VOD references (generated, never rotated)",
            encryption_key=self.key,
            generate_secret_string=aws_secretsmanager.SecretStringGenerator(
                password_length=64, exclude_punctuation=True
            ),
            removal_policy=RemovalPolicy.RETAIN,
        )
        self._pin_logical_id(self.vod_hash_key_secret, names.VOD_HASH_KEY_SECRET_LOGICAL_ID)
        acknowledge(
            self.vod_hash_key_secret,
            "AwsSolutions-SMG4",
            "Rotating the VOD anonymisation key would give every watched title a new pseudonym and break the "
            "consistency of the customers' VOD history; the key never leaves the TV function.",
        )

        self._billing()
        self._audit()
        self._rights()  # data-subject rights (issue 10)

    def _audit(self) -> None:
        """Audit trail (issue 9): the digests' signing key and bucket, the targets' pseudonym key."""
        # Asymmetric: the digest function signs (kms:Sign), anyone holding the public key verifies; the private
        # key never leaves KMS.
        self.audit_digest_key = aws_kms.Key(
            self,
            "AuditDigestKey",
            description="Signs the audit trail's hourly digests (ECDSA P-256)",
            key_spec=aws_kms.KeySpec.ECC_NIST_P256,
            key_usage=aws_kms.KeyUsage.SIGN_VERIFY,
            alias=definitions.AUDIT_DIGEST_KEY_ALIAS,
            removal_policy=RemovalPolicy.RETAIN,
        )
        self._pin_logical_id(self.audit_digest_key, names.AUDIT_DIGEST_KEY_LOGICAL_ID)
        acknowledge(
            self.audit_digest_key,
            "AwsSolutions-KMS5",
            "KMS cannot rotate asymmetric keys automatically; the digests name the key that signed them, so a new "
            "key can replace this one by hand and the old digests still verify with the old public key.",
        )
        # Object Lock in compliance mode: no one, the account's root included, can delete or overwrite a digest
        # before its retention ends. The entries it vouches for live 12 months; the digest a little longer.
        self.audit_digest_bucket = aws_s3.Bucket(
            self,
            "AuditDigestBucket",
            bucket_name=definitions.audit_digest_bucket_name(Stack.of(self).account, Stack.of(self).region),
            encryption=aws_s3.BucketEncryption.S3_MANAGED,
            block_public_access=aws_s3.BlockPublicAccess.BLOCK_ALL,
            enforce_ssl=True,
            versioned=True,
            object_lock_enabled=True,
            object_lock_default_retention=aws_s3.ObjectLockRetention.compliance(
                Duration.days(definitions.AUDIT_DIGEST_RETENTION_DAYS)
            ),
            object_ownership=aws_s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            removal_policy=RemovalPolicy.RETAIN,
            lifecycle_rules=[
                aws_s3.LifecycleRule(
                    expiration=Duration.days(definitions.AUDIT_DIGEST_RETENTION_DAYS + 1),
                    noncurrent_version_expiration=Duration.days(definitions.AUDIT_DIGEST_RETENTION_DAYS + 1),
                )
            ],
        )
        self._pin_logical_id(self.audit_digest_bucket, names.AUDIT_DIGEST_BUCKET_LOGICAL_ID)
        acknowledge(
            self.audit_digest_bucket,
            "AwsSolutions-S1",
            "Only the digest function writes here (one object an hour, never overwritten: Object Lock); reads are "
            "the verifier's. Server access logs would add a second bucket recording those same writes.",
        )
        # The audit targets' pseudonym key (HMAC): generated once, never known to anyone, never rotated (a new
        # key would give every line a new pseudonym within the trail).
        self.audit_pseudonym_key_secret = aws_secretsmanager.Secret(
            self,
            "AuditPseudonymKeySecret",
            secret_name=definitions.AUDIT_PSEUDONYM_KEY_SECRET_NAME,
            description="HMAC key of the pseudonymous targets in the audit trail (generated, never rotated)",
            encryption_key=self.key,
            generate_secret_string=aws_secretsmanager.SecretStringGenerator(
                password_length=64, exclude_punctuation=True
            ),
            removal_policy=RemovalPolicy.RETAIN,
        )
        self._pin_logical_id(self.audit_pseudonym_key_secret, names.AUDIT_PSEUDONYM_KEY_SECRET_LOGICAL_ID)
        acknowledge(
            self.audit_pseudonym_key_secret,
            "AwsSolutions-SMG4",
            "Rotating the audit pseudonym key would give every line a new pseudonym and split its history in the "
            "append-only trail; the key only ever leaves Secrets Manager into the functions that append entries.",
        )

    def _billing(self) -> None:
        """Bills and payments: the invoices bucket and the payment secrets."""
        # Invoice PDFs, downloaded through short-lived presigned URLs only: no public access, TLS only,
        # encrypted at rest (SSE-S3: a presigned GET then needs no kms:Decrypt by the customer's browser's
        # signer, and the objects hold no more than the invoices the customer receives anyway).
        self.invoices_bucket = aws_s3.Bucket(
            self,
            "InvoicesBucket",
            bucket_name=definitions.invoices_bucket_name(Stack.of(self).account, Stack.of(self).region),
            encryption=aws_s3.BucketEncryption.S3_MANAGED,
            block_public_access=aws_s3.BlockPublicAccess.BLOCK_ALL,
            enforce_ssl=True,
            versioned=True,
            object_ownership=aws_s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            removal_policy=RemovalPolicy.RETAIN,
            lifecycle_rules=[
                # SPEC.md: invoices shown 12 months; the read model's items expire then too (13: a margin).
                aws_s3.LifecycleRule(expiration=Duration.days(396), noncurrent_version_expiration=Duration.days(30))
            ],
        )
        self._pin_logical_id(self.invoices_bucket, names.INVOICES_BUCKET_LOGICAL_ID)
        acknowledge(
            self.invoices_bucket,
            "AwsSolutions-S1",
            "Who downloads which invoice is recorded by the billing function when it issues the presigned URL "
            "(staff accesses in the audit trail); server access logs would add a second bucket for the same facts.",
        )
        # The provider's API key ({"api_key": ...}): issued by the provider, written by the operators; created
        # empty so that no made-up value is ever sent (as the provisioning credentials).
        self.payment_provider_api_key_secret = aws_secretsmanager.CfnSecret(
            self,
            "PaymentProviderApiKeySecret",
            name=definitions.PAYMENT_PROVIDER_API_KEY_SECRET_NAME,
            description='API key of the payment provider ({"api_key": ...}); written by the operators',
            kms_key_id=self.key.key_arn,
        )
        self.payment_provider_api_key_secret.apply_removal_policy(RemovalPolicy.RETAIN)
        self.payment_provider_api_key_secret.override_logical_id(names.PAYMENT_PROVIDER_API_KEY_SECRET_LOGICAL_ID)
        acknowledge(
            self.payment_provider_api_key_secret,
            "AwsSolutions-SMG4",
            "The payment provider issues and rotates its API key in its dashboard; our operators write the new key "
            "here, and the adapter reads it again when the old one is refused (401).",
        )
        # The webhook signing secret: generated here (never typed by anyone) and handed to the provider once.
        self.payment_webhook_secret = aws_secretsmanager.Secret(
            self,
            "PaymentWebhookSecret",
            secret_name=definitions.PAYMENT_WEBHOOK_SECRET_NAME,
            description="HMAC-SHA256 secret the payment provider signs its webhooks with (generated)",
            encryption_key=self.key,
            generate_secret_string=aws_secretsmanager.SecretStringGenerator(
                password_length=64, exclude_punctuation=True
            ),
            removal_policy=RemovalPolicy.RETAIN,
        )
        self._pin_logical_id(self.payment_webhook_secret, names.PAYMENT_WEBHOOK_SECRET_LOGICAL_ID)
        acknowledge(
            self.payment_webhook_secret,
            "AwsSolutions-SMG4",
            "The webhook secret is shared with the payment provider: rotating it is a coordinated change in the "
            "provider's dashboard, which a rotation Lambda cannot make.",
        )
        # The usage cursors' HMAC key: generated, known to the billing function only.
        self.billing_cursor_key_secret = aws_secretsmanager.Secret(
            self,
            "BillingCursorKeySecret",
            secret_name=definitions.BILLING_CURSOR_KEY_SECRET_NAME,
            description="HMAC key of the usage listing's cursors (generated)",
            encryption_key=self.key,
            generate_secret_string=aws_secretsmanager.SecretStringGenerator(
                password_length=64, exclude_punctuation=True
            ),
            removal_policy=RemovalPolicy.RETAIN,
        )
        self._pin_logical_id(self.billing_cursor_key_secret, names.BILLING_CURSOR_KEY_SECRET_LOGICAL_ID)
        acknowledge(
            self.billing_cursor_key_secret,
            "AwsSolutions-SMG4",
            "Cursors live for one listing session; the key is read once per cold start, so a rotation would only "
            "invalidate open cursors, and it never leaves the billing function.",
        )
        # Identity (issue 8): the CAPTCHA challenges' HMAC key: generated, known to the auth function only.
        self.captcha_key_secret = aws_secretsmanager.Secret(
            self,
            "CaptchaKeySecret",
            secret_name=definitions.CAPTCHA_KEY_SECRET_NAME,
            description="HMAC key of the CAPTCHA (ALTCHA) challenges (generated)",
            encryption_key=self.key,
            generate_secret_string=aws_secretsmanager.SecretStringGenerator(
                password_length=64, exclude_punctuation=True
            ),
            removal_policy=RemovalPolicy.RETAIN,
        )
        self._pin_logical_id(self.captcha_key_secret, names.CAPTCHA_KEY_SECRET_LOGICAL_ID)
        acknowledge(
            self.captcha_key_secret,
            "AwsSolutions-SMG4",
            "Challenges live 5 minutes and the key is read once per cold start: a rotation would only void the "
            "challenges being solved; it never leaves the auth function.",
        )

    @property
    def signing_key_secret_arn(self) -> str:
        return self.signing_key_secret.ref  # Ref of AWS::SecretsManager::Secret is its ARN

    @property
    def provisioning_credentials_secret_arn(self) -> str:
        return self.provisioning_credentials_secret.ref

    def _table(self, table: definitions.Table) -> aws_dynamodb.Table:
        construct = aws_dynamodb.Table(
            self,
            table.logical_id,
            partition_key=_attribute(table.partition_key),
            sort_key=_optional_attribute(table.sort_key),
            billing_mode=aws_dynamodb.BillingMode.PAY_PER_REQUEST,
            encryption=aws_dynamodb.TableEncryption.CUSTOMER_MANAGED,
            encryption_key=self.key,
            point_in_time_recovery_specification=aws_dynamodb.PointInTimeRecoverySpecification(
                point_in_time_recovery_enabled=True
            ),
            time_to_live_attribute=table.ttl_attribute,
            stream=aws_dynamodb.StreamViewType[table.stream] if table.stream else None,
            deletion_protection=True,
            removal_policy=RemovalPolicy.RETAIN,
        )
        for index in table.indexes:
            construct.add_global_secondary_index(
                index_name=index.name,
                partition_key=_attribute(index.partition_key),
                sort_key=_optional_attribute(index.sort_key),
                projection_type=aws_dynamodb.ProjectionType.ALL,
            )
        self._pin_logical_id(construct, table.logical_id)
        return construct

    def _rights(self) -> None:
        """Data-subject rights (issue 10): the rights bucket. Private (public access blocked, TLS only), encrypted
        with the data key (SSE-KMS: the functions that sign the presigned links hold kms:Decrypt on it), not
        versioned (a deletion is a deletion: the identity documents are gone once verified). Lifecycle: the exports
        (exports/) expire after RIGHTS_EXPORT_DAYS, the identity documents (identity-documents/) after
        IDENTITY_DOCUMENT_DAYS at the latest; incomplete uploads are aborted after a day."""
        self.rights_bucket = aws_s3.Bucket(
            self,
            "RightsBucket",
            bucket_name=definitions.rights_bucket_name(Stack.of(self).account, Stack.of(self).region),
            encryption=aws_s3.BucketEncryption.KMS,
            encryption_key=self.key,
            bucket_key_enabled=True,
            block_public_access=aws_s3.BlockPublicAccess.BLOCK_ALL,
            enforce_ssl=True,
            versioned=False,
            object_ownership=aws_s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            removal_policy=RemovalPolicy.RETAIN,
            lifecycle_rules=[
                aws_s3.LifecycleRule(
                    id="exports",
                    prefix=definitions.RIGHTS_EXPORTS_PREFIX,
                    expiration=Duration.days(definitions.RIGHTS_EXPORT_DAYS),
                    abort_incomplete_multipart_upload_after=Duration.days(1),
                ),
                aws_s3.LifecycleRule(
                    id="identity-documents",
                    prefix=definitions.RIGHTS_IDENTITY_DOCUMENTS_PREFIX,
                    expiration=Duration.days(definitions.IDENTITY_DOCUMENT_DAYS),
                    abort_incomplete_multipart_upload_after=Duration.days(1),
                ),
            ],
        )
        self._pin_logical_id(self.rights_bucket, names.RIGHTS_BUCKET_LOGICAL_ID)
        acknowledge(
            self.rights_bucket,
            "AwsSolutions-S1",
            "Every issue of a download link and every identity-document upload or display is recorded in the audit "
            "trail by the rights functions; server access logs would add a second bucket for the same facts.",
        )

    @staticmethod
    def _pin_logical_id(construct: Construct, logical_id: str) -> None:
        child = construct.node.default_child
        assert child is not None
        child.override_logical_id(logical_id)  # type: ignore[attr-defined]
