"""SelfcareService: the stateless stack (shared layer, functions, REST API, WAF). Safe to replace."""

from __future__ import annotations

from typing import Any

from aws_cdk import CfnOutput, Stack
from constructs import Construct

from infra import definitions
from infra.stacks import names
from infra.stacks.constructs.api import Api
from infra.stacks.constructs.crm_outbox import CrmOutbox
from infra.stacks.constructs.data import Data
from infra.stacks.constructs.functions import Functions, Grantable, lambda_architecture, lambda_runtime
from infra.stacks.constructs.layer import SharedLayer
from infra.stacks.constructs.projection import Projection
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
        **kwargs: Any,
    ) -> None:
        super().__init__(
            scope,
            construct_id,
            description="Selfcare stateless resources: Lambda functions and layer, REST API, WAF, workflows",
            **kwargs,
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
        self.api = Api(self, "Api", functions=self.functions.functions)
        stage = self.api.api.deployment_stage
        self.waf = Waf(self, "Waf", stage_arn=stage.stage_arn, stage_name=names.STAGE_NAME)
        CfnOutput(self, "ApiUrl", value=self.api.api.url, description="Selfcare API base URL (stage included)")
