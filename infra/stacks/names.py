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
# Audit trail (issue 9): digest key and bucket, the targets' pseudonym key.
AUDIT_DIGEST_KEY_LOGICAL_ID = "AuditDigestKey"
AUDIT_DIGEST_BUCKET_LOGICAL_ID = "AuditDigestBucket"
AUDIT_PSEUDONYM_KEY_SECRET_LOGICAL_ID = "AuditPseudonymKeySecret"  # noqa: S105 (a logical id)
INVOICES_BUCKET_LOGICAL_ID = "InvoicesBucket"
PAYMENT_PROVIDER_API_KEY_SECRET_LOGICAL_ID = "PaymentProviderApiKeySecret"  # noqa: S105 (a logical id)
PAYMENT_WEBHOOK_SECRET_LOGICAL_ID = "PaymentWebhookSecret"  # noqa: S105 (a logical id)
BILLING_CURSOR_KEY_SECRET_LOGICAL_ID = "BillingCursorKeySecret"  # noqa: S105 (a logical id)
CAPTCHA_KEY_SECRET_LOGICAL_ID = "CaptchaKeySecret"  # noqa: S105 (a logical id) - identity (issue 8)
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
    # No client address (issue 9): API Gateway's access log format cannot truncate or hash a value, so the
    # address is left out; WAF and the login throttle (a digest of it) see it, the logs do not.
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
# Privacy (issue 10): the public notice, rate-limited per IP like every public route.
WAF_RATE_LIMITED_PREFIXES = (*WAF_RATE_LIMITED_PREFIXES, "/privacy/notice")


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


# Digital-identity login (customers) and staff sign-in (the operator's identity provider), OpenID Connect: context
# keys (cdk.json or `-c`) and their defaults. The client secrets are in the data stack's secrets (operators).
DIGITAL_IDENTITY_DISCOVERY_URL_CONTEXT = "digital_identity_discovery_url"
DEFAULT_DIGITAL_IDENTITY_DISCOVERY_URL = "https://identity.gouv.example/.well-known/openid-configuration"
DIGITAL_IDENTITY_CLIENT_ID_CONTEXT = "digital_identity_client_id"
DEFAULT_DIGITAL_IDENTITY_CLIENT_ID = "selfcare"
STAFF_DIRECTORY_DISCOVERY_URL_CONTEXT = "staff_directory_discovery_url"
DEFAULT_STAFF_DIRECTORY_DISCOVERY_URL = "https://login.operator.example/.well-known/openid-configuration"
STAFF_DIRECTORY_CLIENT_ID_CONTEXT = "staff_directory_client_id"
DEFAULT_STAFF_DIRECTORY_CLIENT_ID = "selfcare-staff"
# The API's public base URL (its custom domain): the callbacks registered with both providers are under it.
PUBLIC_API_URL_CONTEXT = "public_api_url"
DEFAULT_PUBLIC_API_URL = "https://api.selfcare.example"
# The controller named by the data-protection notice (issue 10): {"name", "address", "privacy_email",
# "postal_contact"}; the demonstration values (definitions.DEMO_OPERATOR_IDENTITY) when unset.
OPERATOR_IDENTITY_CONTEXT = "operator_identity"
DIGITAL_IDENTITY_CLIENT_SECRET_LOGICAL_ID = "DigitalIdentityClientSecret"  # noqa: S105 (a logical id)
STAFF_DIRECTORY_CLIENT_SECRET_LOGICAL_ID = "StaffDirectoryClientSecret"  # noqa: S105 (a logical id)

# Data-subject rights (issue 10): the rights bucket (exports, identity documents), in the data stack.
RIGHTS_BUCKET_LOGICAL_ID = "RightsBucket"

# Staff grants bound to an open incident (issue 8): the operator's incident tracker. Context keys (cdk.json or `-c`):
# its base URL (https) and the NAME of the Secrets Manager secret holding its bearer token (created by the
# operator; the stack only references it). No default: unset, the functions refuse incident grants with 503.
INCIDENT_TRACKER_URL_CONTEXT = "incident_tracker_url"
INCIDENT_TRACKER_TOKEN_SECRET_NAME_CONTEXT = "incident_tracker_token_secret_name"  # noqa: S105 (a context key)
