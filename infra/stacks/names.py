"""CDK-only names and settings. Everything shared with the local stack lives in infra/definitions.py."""

from __future__ import annotations

import re

from infra.definitions import SERVICE

DEFAULT_REGION = "eu-west-3"

DATA_STACK = "SelfcareData"
SERVICE_STACK = "SelfcareService"

# Context key (cdk.json or `-c`) naming the address notification emails come from, and its default.
NOTIFICATION_SENDER_CONTEXT = "notification_sender"
DEFAULT_NOTIFICATION_SENDER = "no-reply@selfcare.example"

# Logical ids of the stateful resources, fixed so that refactoring the construct tree never replaces them.
# (Tables use definitions.Table.logical_id.)
DATA_KEY_LOGICAL_ID = "DataKey"
DATA_KEY_ALIAS = f"alias/{SERVICE}-data"
SIGNING_KEY_SECRET_LOGICAL_ID = "SigningKeySecret"  # noqa: S105 (a logical id, not a secret)
PUBLIC_KEYS_PARAMETER_LOGICAL_ID = "PublicKeysParameter"
PROVISIONING_CREDENTIALS_SECRET_LOGICAL_ID = "ProvisioningCredentialsSecret"  # noqa: S105 (a logical id)
VOD_HASH_KEY_SECRET_LOGICAL_ID = "VodHashKeySecret"  # noqa: S105 (a logical id)
INVOICES_BUCKET_LOGICAL_ID = "InvoicesBucket"
PAYMENT_PROVIDER_API_KEY_SECRET_LOGICAL_ID = "PaymentProviderApiKeySecret"  # noqa: S105 (a logical id)
PAYMENT_WEBHOOK_SECRET_LOGICAL_ID = "PaymentWebhookSecret"  # noqa: S105 (a logical id)
BILLING_CURSOR_KEY_SECRET_LOGICAL_ID = "BillingCursorKeySecret"  # noqa: S105 (a logical id)
# The JWKS the parameter holds until infra/scripts/rotate_signing_key.py writes the first key.
EMPTY_JWKS = '{"keys": []}'

# Powertools for AWS Lambda (Python) managed layer, resolved at deploy time from its public SSM parameter
# (version: the one pinned in pyproject.toml).
POWERTOOLS_LAYER_PARAMETER = "/aws/service/powertools/python/{architecture}/python{python_version}/{version}"
# Powertools settings every function gets on top of definitions.COMMON_ENV: personal data stays out of
# traces and logs (STYLE.md 2 and 10).
POWERTOOLS_ENV: dict[str, str] = {
    "POWERTOOLS_TRACER_CAPTURE_RESPONSE": "false",
    "POWERTOOLS_LOGGER_LOG_EVENT": "false",
    "POWERTOOLS_DEV": "false",
}

# API
API_NAME = f"{SERVICE}-api"
STAGE_NAME = "v1"
THROTTLE_RATE_LIMIT = 100  # requests per second, whole stage
THROTTLE_BURST_LIMIT = 200
# Public entry points (login, refresh, password recovery, staff login): a lower stage-wide limit per
# method on top of the WAF per-IP rate rule.
PUBLIC_THROTTLE_RATE_LIMIT = 20
PUBLIC_THROTTLE_BURST_LIMIT = 40
# Fields of the JSON access log (no request body, no headers, no identity beyond the source IP).
ACCESS_LOG_FIELDS: dict[str, str] = {
    "requestId": "$context.requestId",
    "ip": "$context.identity.sourceIp",
    "httpMethod": "$context.httpMethod",
    "resourcePath": "$context.resourcePath",
    "status": "$context.status",
    "responseLength": "$context.responseLength",
    "requestTime": "$context.requestTime",
    "integrationLatency": "$context.integrationLatency",
}
# API Gateway writes its execution logs to log groups it names itself.
EXECUTION_LOG_GROUP_PREFIX = "API-Gateway-Execution-Logs_"

# WAF
WAF_RATE_LIMIT_PER_IP = 300  # requests per source IP per evaluation window, on the auth paths
WAF_RATE_WINDOW_SECONDS = 300
# Paths the per-IP rate rule covers (as routes write them; the stage-prefixed form is added too).
# The SMS provider API is public too (providers authenticate in the function): rate-limited per IP as well.
WAF_RATE_LIMITED_PREFIXES: tuple[str, ...] = ("/auth/", "/staff/auth/", "/billing/payments/webhook", "/sms/provider/")


def construct_name(name: str) -> str:
    """Construct id from a definitions name: `send_email` -> `SendEmail` (functions' scopes use it)."""
    return "".join(part[:1].upper() + part[1:] for part in re.split(r"[_\-]", name))


# Context key naming the network provisioning system's endpoint (https), and its default.
PROVISIONING_ENDPOINT_CONTEXT = "provisioning_endpoint"
DEFAULT_PROVISIONING_ENDPOINT = "https://provisioning.operator.example/v1"

# Step Functions' logging to CloudWatch Logs goes through log delivery, whose actions support no
# resource-level permission: AWS requires Resource "*" for them (and for X-Ray's).
STATE_MACHINE_LOG_DELIVERY_ACTIONS: tuple[str, ...] = (
    "logs:CreateLogDelivery",
    "logs:GetLogDelivery",
    "logs:UpdateLogDelivery",
    "logs:DeleteLogDelivery",
    "logs:ListLogDeliveries",
    "logs:PutResourcePolicy",
    "logs:DescribeResourcePolicies",
    "logs:DescribeLogGroups",
)
STATE_MACHINE_XRAY_ACTIONS: tuple[str, ...] = (
    "xray:PutTraceSegments",
    "xray:PutTelemetryRecords",
    "xray:GetSamplingRules",
    "xray:GetSamplingTargets",
)
# Step Functions' own log groups: the /aws/vendedlogs/ prefix keeps CloudWatch's resource policy small.
STATE_MACHINE_LOG_GROUP_PREFIX = "/aws/vendedlogs/states/"
