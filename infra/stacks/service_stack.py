"""SelfcareService: the stateless stack (shared layer, functions, REST API, WAF). Safe to replace."""

from __future__ import annotations

from typing import Any

from aws_cdk import CfnOutput, Stack, aws_secretsmanager
from constructs import Construct

from infra import definitions
from infra.stacks import names
from infra.stacks.constructs.api import Api
from infra.stacks.constructs.audit import AuditDigests
from infra.stacks.constructs.crm_outbox import CrmOutbox
from infra.stacks.constructs.data import Data
from infra.stacks.constructs.functions import Functions, Grantable, lambda_architecture, lambda_runtime
from infra.stacks.constructs.layer import SharedLayer
from infra.stacks.constructs.monitoring import Monitoring
from infra.stacks.constructs.projection import Projection
from infra.stacks.constructs.rights import Rights
from infra.stacks.constructs.sms import Sms
from infra.stacks.constructs.waf import Waf
from infra.stacks.constructs.workflows import Workflows


class ServiceStack(Stack):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        data: Data,
        notification_sender: str,
        provisioning_endpoint: str = names.DEFAULT_PROVISIONING_ENDPOINT,
        oidc_values: dict[str, str] | None = None,
        operator_identity: dict[str, str] | None = None,
        incident_tracker_url: str = "",
        incident_tracker_token_secret_name: str = "",
        **kwargs: Any,
    ) -> None:
        super().__init__(
            scope,
            construct_id,
            description="Selfcare stateless resources: Lambda functions and layer, REST API, WAF, workflows",
            **kwargs,
        )
        # The incident tracker's token (issue 8): the operator's secret, referenced by name (no resource created).
        # Its ARN ends with a suffix Secrets Manager adds: "-??????" matches it, as Secret.grant_read writes it.
        incident_tracker_token_secret_arn = (
            aws_secretsmanager.Secret.from_secret_name_v2(
                self, "IncidentTrackerToken", incident_tracker_token_secret_name
            ).secret_arn
            + "-??????"
            if incident_tracker_token_secret_name
            else ""
        )
        shared_layer = SharedLayer(self, "SharedLayer", runtime=lambda_runtime(), architecture=lambda_architecture())
        self.functions = Functions(
            self,
            "Functions",
            grantable=Grantable(
                tables=data.tables,
                key=data.key,
                signing_key_secret_arn=data.signing_key_secret_arn,
                public_keys_parameter_arn=data.public_keys_parameter.parameter_arn,
                notification_sender=notification_sender,
                provisioning_credentials_secret_arn=data.provisioning_credentials_secret_arn,
                provisioning_endpoint=provisioning_endpoint,
                vod_hash_key_secret_arn=data.vod_hash_key_secret.secret_arn,
                payment_provider_api_key_secret_arn=data.payment_provider_api_key_secret.ref,
                payment_webhook_secret_arn=data.payment_webhook_secret.secret_arn,
                billing_cursor_key_secret_arn=data.billing_cursor_key_secret.secret_arn,
                captcha_key_secret_arn=data.captcha_key_secret.secret_arn,  # identity (issue 8)
                digital_identity_client_secret_arn=data.oidc_client_secrets[
                    names.DIGITAL_IDENTITY_CLIENT_SECRET_LOGICAL_ID
                ].ref,
                staff_directory_client_secret_arn=data.oidc_client_secrets[
                    names.STAFF_DIRECTORY_CLIENT_SECRET_LOGICAL_ID
                ].ref,
                oidc_values=oidc_values if oidc_values is not None else oidc_grant_values(),
                operator_identity=operator_identity,
                audit_digest_key_arn=data.audit_digest_key.key_arn,
                audit_pseudonym_key_secret_arn=data.audit_pseudonym_key_secret.secret_arn,
                incident_tracker_url=incident_tracker_url,  # issue 8: staff grants bound to an open incident
                incident_tracker_token_secret_name=incident_tracker_token_secret_name,
                incident_tracker_token_secret_arn=incident_tracker_token_secret_arn,
            ),
            shared_layer=shared_layer.layer,
        )
        self.workflows = Workflows(
            self, "Workflows", tasks_function=self.functions.functions[definitions.WORKFLOW_TASKS_FUNCTION]
        )
        self.projection = Projection(self, "Projection", function=self.functions.functions[definitions.PROJECTION.name])
        self.crm_outbox = CrmOutbox(
            self,
            "CrmOutbox",
            function=self.functions.functions[definitions.CRM_OUTBOX.name],
            table=data.tables[definitions.CUSTOMERS.logical_id],
        )
        # Commercial SMS: the campaign queue -> the worker, the inbound SMS topic -> the inbound function.
        self.sms = Sms(
            self,
            "Sms",
            worker=self.functions.functions[definitions.SMS_CAMPAIGNS.name],
            inbound=self.functions.functions[definitions.SMS_INBOUND.name],
        )
        # Data-subject rights (issue 10): the export queue -> the export worker.
        self.rights = Rights(self, "Rights", worker=self.functions.functions[definitions.RIGHTS_EXPORT.name])
        # The API functions' aliases (SnapStart, issue 12), the other functions as they are.
        self.api = Api(self, "Api", functions=self.functions.invocation_targets)
        stage = self.api.api.deployment_stage
        self.waf = Waf(self, "Waf", stage_arn=stage.stage_arn, stage_name=names.STAGE_NAME)
        # Audit trail and alarms (issue 9).
        self.audit_digests = AuditDigests(
            self, "AuditDigests", function=self.functions.functions[definitions.AUDIT_DIGEST.name]
        )
        self.monitoring = Monitoring(
            self,
            "Monitoring",
            dead_letter_queues={
                "Projection": self.projection.dead_letters,
                "CrmOutbox": self.crm_outbox.dead_letters,
                "SmsCampaigns": self.sms.dead_letters,
                "RightsExports": self.rights.dead_letters,  # data-subject rights (issue 10)
            },
            state_machines=dict(self.workflows.state_machines),
            api=self.api.api,
            authorizer=self.functions.functions[definitions.AUTHORIZER.name],
            tables=data.tables,
            audit_digest=self.functions.functions[definitions.AUDIT_DIGEST.name],
        )
        CfnOutput(self, "AlarmTopicArn", value=self.monitoring.topic.topic_arn, description="Subscribe operators here")
        CfnOutput(self, "ApiUrl", value=self.api.api.url, description="Selfcare API base URL (stage included)")


def oidc_grant_values(
    digital_identity_discovery_url: str = names.DEFAULT_DIGITAL_IDENTITY_DISCOVERY_URL,
    digital_identity_client_id: str = names.DEFAULT_DIGITAL_IDENTITY_CLIENT_ID,
    staff_directory_discovery_url: str = names.DEFAULT_STAFF_DIRECTORY_DISCOVERY_URL,
    staff_directory_client_id: str = names.DEFAULT_STAFF_DIRECTORY_CLIENT_ID,
    public_api_url: str = names.DEFAULT_PUBLIC_API_URL,
) -> dict[str, str]:
    """The variables of the `digital_identity` and `staff_directory` grants (definitions.GRANT_ENV)."""
    base = public_api_url.rstrip("/")
    return {
        "DIGITAL_IDENTITY_DISCOVERY_URL": digital_identity_discovery_url,
        "DIGITAL_IDENTITY_CLIENT_ID": digital_identity_client_id,
        "DIGITAL_IDENTITY_CLIENT_SECRET_ID": definitions.DIGITAL_IDENTITY_CLIENT_SECRET_NAME,
        "DIGITAL_IDENTITY_REDIRECT_URI": base + definitions.DIGITAL_IDENTITY_CALLBACK_PATH,
        "STAFF_DIRECTORY_DISCOVERY_URL": staff_directory_discovery_url,
        "STAFF_DIRECTORY_CLIENT_ID": staff_directory_client_id,
        "STAFF_DIRECTORY_CLIENT_SECRET_ID": definitions.STAFF_DIRECTORY_CLIENT_SECRET_NAME,
        "STAFF_DIRECTORY_REDIRECT_URI": base + definitions.STAFF_DIRECTORY_CALLBACK_PATH,
    }
