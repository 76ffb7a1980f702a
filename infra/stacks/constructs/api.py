"""The REST API: one resource and method per definitions.ROUTES, the Lambda authorizer, the stage and its
logs, and gateway responses in Selfcare's one error shape."""

from __future__ import annotations

import json
from collections.abc import Mapping

from aws_cdk import ArnFormat, Duration, Stack, aws_apigateway, aws_iam, aws_lambda, aws_logs
from constructs import Construct

from infra import definitions
from infra.stacks import names
from infra.stacks.acknowledge import acknowledge
from infra.stacks.retention import retention

AUTHORIZATION_HEADER = "Authorization"

PUBLIC_ROUTE_REASON = (
    "login/recovery entry point, protected by WAF rate limiting and per-account/per-address throttling "
    "in the auth capability"
)
COGNITO_REASON = (
    "Selfcare does not use Cognito: protected routes use a Lambda REQUEST authorizer that verifies our own "
    "EdDSA JWT and the server-side session (revocable; authorizer cache TTL "
    f"{definitions.AUTHORIZER_CACHE_TTL_SECONDS}s)"
)


def path_parameters(path: str) -> list[str]:
    """`/auth/sessions/{session_id}` -> `["session_id"]`."""
    return [segment[1:-1] for segment in path.split("/") if segment.startswith("{") and segment.endswith("}")]


def method_path(route: definitions.Route) -> str:
    """Stage method-settings key of a route: `/auth/login/POST`."""
    return f"{route.path}/{route.method}"


def gateway_response_template(response: definitions.GatewayResponse) -> str:
    """The VTL body of a gateway response: exactly definitions.error_body with API Gateway's request id."""
    return json.dumps(definitions.error_body(response.code, response.message, "$context.requestId"))


def nag_arn(stack: Stack, arn: str) -> str:
    """An ARN as cdk-nag writes it in a finding id: pseudo parameters as `<AWS::...>`."""
    rendered = stack.resolve(arn)
    if isinstance(rendered, str):
        return rendered
    parts = rendered["Fn::Join"][1]
    return "".join(part if isinstance(part, str) else f"<{part['Ref']}>" for part in parts)


def access_log_format() -> str:
    return json.dumps(names.ACCESS_LOG_FIELDS)


class Api(Construct):
    def __init__(self, scope: Construct, construct_id: str, *, functions: Mapping[str, aws_lambda.IFunction]) -> None:
        super().__init__(scope, construct_id)
        stack = Stack.of(self)

        self.access_log_group = aws_logs.LogGroup(
            self, "AccessLogs", retention=retention(definitions.LOG_RETENTION_DAYS)
        )
        execution_logging = self._execution_logging_account_setting(stack)

        # Execution logs at ERROR only and no data trace: request and response bodies carry personal data.
        logging = {
            "logging_level": aws_apigateway.MethodLoggingLevel.ERROR,
            "data_trace_enabled": False,
            "metrics_enabled": True,
        }
        public_method_options = {
            method_path(route): aws_apigateway.MethodDeploymentOptions(
                throttling_rate_limit=names.PUBLIC_THROTTLE_RATE_LIMIT,
                throttling_burst_limit=names.PUBLIC_THROTTLE_BURST_LIMIT,
                **logging,
            )
            for route in definitions.ROUTES
            if route.public
        }
        self.api = aws_apigateway.RestApi(
            self,
            "RestApi",
            rest_api_name=names.API_NAME,
            description="Selfcare customer-space API",
            endpoint_types=[aws_apigateway.EndpointType.REGIONAL],
            binary_media_types=list(definitions.BINARY_MEDIA_TYPES),
            cloud_watch_role=False,  # the account-level logging role is ours, without a managed policy
            deploy_options=aws_apigateway.StageOptions(
                stage_name=names.STAGE_NAME,
                access_log_destination=aws_apigateway.LogGroupLogDestination(self.access_log_group),
                access_log_format=aws_apigateway.AccessLogFormat.custom(access_log_format()),
                tracing_enabled=True,
                throttling_rate_limit=names.THROTTLE_RATE_LIMIT,
                throttling_burst_limit=names.THROTTLE_BURST_LIMIT,
                method_options=public_method_options,
                **logging,
            ),
        )
        # Created here rather than by API Gateway on first error, so that it has a retention period too.
        self.execution_log_group = aws_logs.LogGroup(
            self,
            "ExecutionLogs",
            log_group_name=f"{names.EXECUTION_LOG_GROUP_PREFIX}{self.api.rest_api_id}/{names.STAGE_NAME}",
            retention=retention(definitions.LOG_RETENTION_DAYS),
        )
        self.api.deployment_stage.node.add_dependency(execution_logging, self.execution_log_group)

        self.validator = self.api.add_request_validator(
            "BodyAndParameters",
            request_validator_name="body-and-parameters",
            validate_request_body=True,
            validate_request_parameters=True,
        )
        self.authorizer = aws_apigateway.RequestAuthorizer(
            self,
            "Authorizer",
            handler=functions[definitions.AUTHORIZER.name],
            identity_sources=[aws_apigateway.IdentitySource.header(AUTHORIZATION_HEADER)],
            results_cache_ttl=Duration.seconds(definitions.AUTHORIZER_CACHE_TTL_SECONDS),
        )
        # One invoke permission per function, scoped to this API (not one per method): with ~130 routes the
        # per-method permissions alone took the service stack past CloudFormation's 500 resources. The API's
        # routes are the function's routes; API Gateway of this API is the only principal allowed.
        integrations = {
            name: aws_apigateway.LambdaIntegration(function, proxy=True, scope_permission_to_method=False)
            for name, function in functions.items()
            if definitions.has_routes(definitions.function_named(name))
        }
        self.methods: dict[tuple[str, str], aws_apigateway.Method] = {}
        for route in definitions.ROUTES:
            self.methods[(route.method, route.path)] = self._method(route, integrations[route.function])

        for response_type, response in definitions.GATEWAY_RESPONSES.items():
            self.api.add_gateway_response(
                f"GatewayResponse{response_type}",
                type=aws_apigateway.ResponseType.of(response_type),
                status_code=str(response.status) if response.status is not None else None,
                templates={"application/json": gateway_response_template(response)},
                # Security: the functions' security headers on API Gateway's own answers too (static values).
                response_headers={name: f"'{value}'" for name, value in definitions.GATEWAY_RESPONSE_HEADERS.items()},
            )

    def _method(self, route: definitions.Route, integration: aws_apigateway.Integration) -> aws_apigateway.Method:
        resource = self.api.root.resource_for_path(route.path)
        request_parameters = {f"method.request.path.{name}": True for name in path_parameters(route.path)}
        method = resource.add_method(
            route.method,
            integration,
            request_validator=self.validator,
            request_parameters=request_parameters or None,
            authorization_type=aws_apigateway.AuthorizationType.NONE
            if route.public
            else aws_apigateway.AuthorizationType.CUSTOM,
            authorizer=None if route.public else self.authorizer,
        )
        if route.public:
            acknowledge(method, "AwsSolutions-APIG4", PUBLIC_ROUTE_REASON)
            acknowledge(method, "AwsSolutions-COG4", PUBLIC_ROUTE_REASON)
        else:
            acknowledge(method, "AwsSolutions-COG4", COGNITO_REASON)
        return method

    def _execution_logging_account_setting(self, stack: Stack) -> aws_apigateway.CfnAccount:
        """API Gateway's account-level CloudWatch role (needed for execution logs), with an inline policy
        on API Gateway's own execution log groups instead of the AWS managed policy
        AmazonAPIGatewayPushToCloudWatchLogs.
        """
        execution_log_groups = stack.format_arn(
            service="logs",
            resource="log-group",
            resource_name=f"{names.EXECUTION_LOG_GROUP_PREFIX}*",
            arn_format=ArnFormat.COLON_RESOURCE_NAME,
        )
        role = aws_iam.Role(
            self,
            "ExecutionLogsRole",
            assumed_by=aws_iam.ServicePrincipal("apigateway.amazonaws.com"),
            description="API Gateway account setting: execution logs to API-Gateway-Execution-Logs_* groups",
            inline_policies={
                "execution-logs": aws_iam.PolicyDocument(
                    statements=[
                        aws_iam.PolicyStatement(
                            actions=[
                                "logs:CreateLogGroup",
                                "logs:CreateLogStream",
                                "logs:DescribeLogGroups",
                                "logs:DescribeLogStreams",
                                "logs:PutLogEvents",
                            ],
                            resources=[execution_log_groups],
                        )
                    ]
                )
            },
        )
        acknowledge(
            role,
            f"AwsSolutions-IAM5[Resource::{nag_arn(stack, execution_log_groups)}]",
            "API Gateway names its execution log groups API-Gateway-Execution-Logs_{rest-api-id}/{stage} "
            "itself; the wildcard covers only those groups and their streams, for the account-level logging "
            "role.",
        )
        account = aws_apigateway.CfnAccount(self, "Account", cloud_watch_role_arn=role.role_arn)
        return account
