"""The one definition of Selfcare's resources.

Both the CDK stack (infra/stacks) and the local stack (infra/local) build their tables, functions
and routes from this module, so the two cannot drift: tests/infra/test_local_matches_template.py
compares what each of them produces. Pure data: no CDK or boto3 import here.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from selfcare.api.headers import SECURITY_HEADERS

ROOT = Path(__file__).resolve().parent.parent
FUNCTIONS_DIR = ROOT / "functions"
LAYER_SOURCE_DIR = ROOT / "layers" / "selfcare"

SERVICE = "selfcare"
LAMBDA_PYTHON_VERSION = "3.14"
LAMBDA_ARCHITECTURE = "arm64"
LOG_RETENTION_DAYS = 30
# Connection logs and the audit trail: 12 months from collection (SPEC.md, Retention).
LOG_RETENTION_MONTHS = 12
# API Gateway caches an authorizer's answer for this many seconds. 0: every request reaches the
# authorizer, so a revoked session's access token is refused at once (README, Sessions).
AUTHORIZER_CACHE_TTL_SECONDS = 0
# Largest request body a handler accepts; larger bodies answer 413.
MAX_BODY_BYTES = 16 * 1024
# Media types API Gateway returns as binary (the handler answers base64 with isBase64Encoded).
BINARY_MEDIA_TYPES: tuple[str, ...] = ("application/pdf",)
# Header with which staff name the assisted-access grant they act under.
ASSISTED_ACCESS_HEADER = "X-Assisted-Access"


class KeyType(StrEnum):
    S = "S"
    N = "N"


@dataclass(frozen=True)
class Key:
    name: str
    type: KeyType = KeyType.S


@dataclass(frozen=True)
class Index:
    name: str
    partition_key: Key
    sort_key: Key | None = None


@dataclass(frozen=True)
class Table:
    """A DynamoDB table. `env` is the environment variable that carries its name to a function."""

    logical_id: str
    env: str
    partition_key: Key
    sort_key: Key | None = None
    indexes: tuple[Index, ...] = ()
    ttl_attribute: str | None = None
    holds_logs: bool = False
    # DynamoDB stream view type ("NEW_IMAGE"...), None: no stream.
    stream: str | None = None


SESSIONS = Table(
    logical_id="SessionsTable",
    env="SESSIONS_TABLE",
    partition_key=Key("pk"),
    indexes=(
        Index("by_principal", Key("principal"), Key("created_at")),
        # Retention: the assisted-access grants naming a customer (sparse: only grants carry `customer_id`).
        Index("by_customer", Key("customer_id"), Key("created_at")),
    ),
    ttl_attribute="expires_at",
)
CREDENTIALS = Table(
    logical_id="CredentialsTable",
    env="CREDENTIALS_TABLE",
    partition_key=Key("pk"),
    ttl_attribute="expires_at",
)
CONNECTION_LOG = Table(
    logical_id="ConnectionLogTable",
    env="CONNECTION_LOG_TABLE",
    partition_key=Key("principal"),
    sort_key=Key("sk"),
    ttl_attribute="expires_at",
    holds_logs=True,
)
AUDIT_LOG = Table(
    logical_id="AuditLogTable",
    env="AUDIT_LOG_TABLE",
    partition_key=Key("subject"),
    sort_key=Key("sk"),
    # by_hour (audit trail): the entries of one hour, whose chains' heads the hourly digest signs.
    indexes=(Index("by_actor", Key("actor"), Key("sk")), Index("by_hour", Key("hour"), Key("sk"))),
    ttl_attribute="expires_at",
    holds_logs=True,
)
CUSTOMERS = Table(
    logical_id="CustomersTable",
    env="CUSTOMERS_TABLE",
    partition_key=Key("pk"),
    sort_key=Key("sk"),
    # The CRM outbox travels on the stream (CRM_OUTBOX_FILTER); expired items (outbox, display-only bills) go by TTL.
    ttl_attribute="expires_at",
    stream="NEW_IMAGE",
    # Identity (issue 8): activation finds a record by its account number or a line number (sparse indexes).
    # Retention: the post-termination steps not yet completed, by due time (sparse: only `RETENTION#<step>`
    # items carry `retention_queue`); the daily reconciliation's one Query (selfcare.dal.retention).
    indexes=(
        Index("by_account_number", Key("account_number")),
        Index("by_line_number", Key("number")),
        Index("by_retention_due", Key("retention_queue"), Key("due_at")),
        # Rights (issue 10): the open data-subject requests by due time (sparse: only open `RIGHTS#` items carry
        # `rights_queue`); the staff queue and the daily due-soon count (selfcare.dal.rights).
        Index("by_rights_due", Key("rights_queue"), Key("due_at")),
    ),
)

# Powertools idempotency records (TV pack subscriptions): key `id`, TTL `expiration`, as Powertools expects.
IDEMPOTENCY = Table(
    logical_id="IdempotencyTable",
    env="IDEMPOTENCY_TABLE",
    partition_key=Key("id"),
    ttl_attribute="expiration",
)

TABLES: tuple[Table, ...] = (SESSIONS, CREDENTIALS, CONNECTION_LOG, AUDIT_LOG, CUSTOMERS, IDEMPOTENCY)


class Access(StrEnum):
    READ = "read"
    WRITE = "write"
    READ_WRITE = "read_write"
    # Audit trail: PutItem (+ the transaction's ConditionCheckItem) and the chain tip's Query restricted to
    # the chain's attributes; never UpdateItem or DeleteItem (append-only; selfcare.dal.logs).
    APPEND = "append"
    READ_APPEND = "read_append"


@dataclass(frozen=True)
class Function:
    """One Lambda function per capability; its code is functions/<name>/handler.py."""

    name: str
    tables: dict[str, Access]  # Table.logical_id -> access
    # Other grants, by name: "signing_key" (read the JWT signing key secret), "public_keys"
    # (read the SSM parameter with the JWT public keys), "send_email" (SES).
    grants: tuple[str, ...] = ()
    memory_mb: int = 512
    timeout_seconds: int = 10
    description: str = ""

    @property
    def code_dir(self) -> Path:
        return FUNCTIONS_DIR / self.name

    @property
    def handler(self) -> str:
        return "handler.lambda_handler"


AUTHORIZER = Function(
    name="authorizer",
    tables={SESSIONS.logical_id: Access.READ},
    grants=("public_keys",),
    memory_mb=512,
    timeout_seconds=5,
    description="API Gateway REQUEST authorizer: JWT, session and assisted-access grant",
)
AUTH = Function(
    name="auth",
    tables={
        SESSIONS.logical_id: Access.READ_WRITE,
        CREDENTIALS.logical_id: Access.READ_WRITE,
        CONNECTION_LOG.logical_id: Access.WRITE,
        AUDIT_LOG.logical_id: Access.APPEND,
        # Write: account unification's link items (LINK#...), served here because it needs credentials and sessions.
        CUSTOMERS.logical_id: Access.READ_WRITE,
    },
    # send_sms: account unification's link codes to the other account's contact mobile.
    # incident_tracker: a production / test-team grant names an open incident (issue 8).
    grants=("signing_key", "send_email", "send_sms", "captcha_key", "incident_tracker"),
    # argon2id with 64 MiB per hash: memory also buys CPU on Lambda.
    memory_mb=1024,
    timeout_seconds=15,
    description="Login, tokens, sessions, passwords, staff login and assisted access",
)
ACCOUNT = Function(
    name="account",
    # No "crm_events": changes reach the CRM through the outbox (written in the change's transaction).
    tables={CUSTOMERS.logical_id: Access.READ_WRITE, AUDIT_LOG.logical_id: Access.APPEND},
    grants=("send_email", "send_sms"),
    description="Account view, contact details and address, consents, support tickets",
)

SUSPENSION = Function(
    name="suspension",
    tables={CUSTOMERS.logical_id: Access.READ, AUDIT_LOG.logical_id: Access.APPEND},
    grants=("start_workflows",),
    description="Suspension (loss or theft) and reactivation of mobile lines: requests and workflow status",
)
LINE_TASKS = Function(
    name="line_tasks",
    tables={CUSTOMERS.logical_id: Access.READ_WRITE, AUDIT_LOG.logical_id: Access.APPEND},
    grants=("provisioning", "send_email"),
    # Provisioning: connect 3 s + read 8 s at most per call (selfcare.config.ProvisioningSettings).
    timeout_seconds=30,
    description="Steps of the suspension and reactivation workflows (Step Functions tasks; no route)",
)

# Lines and services: reads from the read model, changes through the provisioning port, audited.
_LINES_TABLES = {CUSTOMERS.logical_id: Access.READ_WRITE, AUDIT_LOG.logical_id: Access.APPEND}
MOBILE = Function(
    name="mobile",
    tables=_LINES_TABLES,
    grants=("provisioning",),
    timeout_seconds=15,
    description="Mobile lines: offer, options, dates, usage, out-of-bundle charges, PUK, SIM activation, roaming",
)
FIXED = Function(
    name="fixed",
    tables={CUSTOMERS.logical_id: Access.READ, AUDIT_LOG.logical_id: Access.APPEND},
    description="Fixed lines: offer, number, current month's usage",
)
INTERNET = Function(
    name="internet",
    tables=_LINES_TABLES,
    grants=("provisioning",),
    timeout_seconds=15,
    description="Internet access (boxes, nomadic access, drive, settings, mailboxes) and VoIP settings",
)
TV = Function(
    name="tv",
    tables={**_LINES_TABLES, IDEMPOTENCY.logical_id: Access.READ_WRITE},
    # No "vod_key": the titles' references are anonymised at ingestion (selfcare.tv.vod), never here.
    grants=("provisioning",),
    timeout_seconds=15,
    description="TV: offer, boxes, login and password, packs (idempotent), VOD consumption and PDF export",
)
SERVICES = Function(
    name="services",
    tables={CUSTOMERS.logical_id: Access.READ, AUDIT_LOG.logical_id: Access.APPEND},
    description="Other services: the subscribed offers (safety, password manager, device insurance)",
)
BILLING = Function(
    name="billing",
    tables={CUSTOMERS.logical_id: Access.READ_WRITE, AUDIT_LOG.logical_id: Access.APPEND},
    grants=("payments", "billing_cursor_key", "invoices_bucket"),
    # The payment provider: 8 s at most per call (selfcare.config.BillingSettings).
    timeout_seconds=15,
    description="Bills and payments: amount due, paying it (hosted page, webhook), settings, invoices, usage",
)

PROJECTION = Function(
    name="projection",
    tables={
        CUSTOMERS.logical_id: Access.READ_WRITE,
        IDEMPOTENCY.logical_id: Access.READ_WRITE,
        # Anonymisation deletes the customer's credential and login keys (selfcare.dal.erasure).
        CREDENTIALS.logical_id: Access.READ_WRITE,
        # Retention: the hide step revokes and flags the sessions and grants, the anonymisation deletes them.
        SESSIONS.logical_id: Access.READ_WRITE,
        # Retention: the anonymisation removes the direct identifiers of the customer's connection-log entries.
        CONNECTION_LOG.logical_id: Access.READ_WRITE,
        # Retention: termination, reinstatement, hide and anonymisation are audited (append only).
        AUDIT_LOG.logical_id: Access.APPEND,
    },
    # vod_key: the inventory's VOD views are stored with their title references hashed (selfcare.tv.vod).
    # send_email: the customer is told when the CRM answers a rectification (selfcare.rights.crm).
    grants=("dead_letters", "anonymisation_schedules", "vod_key", "invoices_erase", "send_email"),
    timeout_seconds=30,
    description="CRM and inventory events -> the read model (rule of the inbound bus; no route); anonymisation",
)

# The transactional outbox's relay: the customers table's stream (outbox items only) -> the outbound CRM bus.
CRM_OUTBOX = Function(
    name="crm_outbox",
    # Write: deletes each outbox item once published (the payload may hold an IBAN: kept no longer than needed).
    tables={CUSTOMERS.logical_id: Access.WRITE},
    grants=("crm_events", "crm_outbox_stream"),
    timeout_seconds=30,
    description="CRM outbox relay: changes made in the space (outbox items on the table's stream) -> the CRM bus",
)

# Digital-identity login (OpenID Connect, customers) and staff sign-in through the operator's identity provider.
DIGITAL_IDENTITY = Function(
    name="digital_identity",
    tables={
        # The flows' state and the link tickets (OIDC#..., DILINK#...), and the sessions opened.
        SESSIONS.logical_id: Access.READ_WRITE,
        # The links (DIGITAL_IDENTITY#<subject>) and the credentials naming them.
        CREDENTIALS.logical_id: Access.READ_WRITE,
        CONNECTION_LOG.logical_id: Access.WRITE,
        AUDIT_LOG.logical_id: Access.APPEND,
    },
    grants=("signing_key", "digital_identity", "staff_directory"),
    # The providers: discovery, JWKS and token calls, 5 s at most each (selfcare.ports.oidc_https).
    timeout_seconds=15,
    description="Digital-identity login (OpenID Connect), staff sign-in from the directory, the customer's link",
)

FUNCTIONS: tuple[Function, ...] = (
    AUTHORIZER,
    AUTH,
    ACCOUNT,
    SUSPENSION,
    LINE_TASKS,
    MOBILE,
    FIXED,
    INTERNET,
    TV,
    SERVICES,
    BILLING,
    PROJECTION,
    CRM_OUTBOX,
    DIGITAL_IDENTITY,
)


@dataclass(frozen=True)
class Route:
    method: str
    path: str  # API Gateway form: /auth/sessions/{session_id}
    function: str  # Function.name
    public: bool = False


ROUTES: tuple[Route, ...] = (
    Route("POST", "/auth/login", AUTH.name, public=True),
    Route("POST", "/auth/refresh", AUTH.name, public=True),
    Route("POST", "/auth/password/forgot", AUTH.name, public=True),
    Route("POST", "/auth/password/reset", AUTH.name, public=True),
    Route("POST", "/staff/auth/login", AUTH.name, public=True),
    Route("POST", "/auth/logout", AUTH.name),
    Route("POST", "/auth/reauthenticate", AUTH.name),
    Route("GET", "/auth/sessions", AUTH.name),
    Route("DELETE", "/auth/sessions/{session_id}", AUTH.name),
    Route("PUT", "/auth/password", AUTH.name),
    Route("PUT", "/auth/login-id", AUTH.name),
    Route("POST", "/staff/assisted-access", AUTH.name),
    Route("GET", "/staff/assisted-access", AUTH.name),
    Route("DELETE", "/staff/assisted-access/{grant_id}", AUTH.name),
    Route("GET", "/account", ACCOUNT.name),
    Route("GET", "/accounts/{account_number}", ACCOUNT.name),
    Route("PUT", "/account/contact/email", ACCOUNT.name),
    Route("POST", "/account/contact/email/confirmation", ACCOUNT.name),
    Route("PUT", "/account/contact/mobile", ACCOUNT.name),
    Route("POST", "/account/contact/mobile/confirmation", ACCOUNT.name),
    Route("PUT", "/account/contact/landline", ACCOUNT.name),
    Route("PUT", "/account/address", ACCOUNT.name),
    Route("GET", "/account/consents", ACCOUNT.name),
    Route("GET", "/account/consents/history", ACCOUNT.name),
    Route("PUT", "/account/consents/{purpose}", ACCOUNT.name),
    Route("POST", "/account/tickets", ACCOUNT.name),
    Route("GET", "/account/tickets", ACCOUNT.name),
    Route("GET", "/account/tickets/{ticket_id}", ACCOUNT.name),
    # Account unification: capability `account`, served by the auth function (credentials, sessions, tokens).
    Route("POST", "/account/links/codes", AUTH.name),
    Route("POST", "/account/links", AUTH.name),
    Route("GET", "/account/links", AUTH.name),
    Route("POST", "/account/links/{account_number}/switch", AUTH.name),
    Route("DELETE", "/account/links/{account_number}", AUTH.name),
    Route("POST", "/mobile/lines/{line_id}/suspension", SUSPENSION.name),
    Route("POST", "/mobile/lines/{line_id}/reactivation", SUSPENSION.name),
    Route("GET", "/mobile/lines/{line_id}/workflows/{handle}", SUSPENSION.name),
    Route("GET", "/mobile/lines", MOBILE.name),
    Route("GET", "/mobile/lines/{line_id}", MOBILE.name),
    Route("GET", "/mobile/lines/{line_id}/usage", MOBILE.name),
    Route("GET", "/mobile/lines/{line_id}/out-of-bundle", MOBILE.name),
    Route("GET", "/mobile/lines/{line_id}/puk", MOBILE.name),
    Route("POST", "/mobile/lines/{line_id}/sim", MOBILE.name),
    Route("GET", "/mobile/lines/{line_id}/roaming", MOBILE.name),
    Route("GET", "/fixed/lines", FIXED.name),
    Route("GET", "/fixed/lines/{line_id}", FIXED.name),
    Route("GET", "/fixed/lines/{line_id}/usage", FIXED.name),
    Route("GET", "/internet/lines", INTERNET.name),
    Route("GET", "/internet/lines/{line_id}", INTERNET.name),
    Route("GET", "/internet/lines/{line_id}/boxes", INTERNET.name),
    Route("PATCH", "/internet/lines/{line_id}/boxes/{box_id}", INTERNET.name),
    Route("GET", "/internet/lines/{line_id}/usage", INTERNET.name),
    Route("GET", "/internet/lines/{line_id}/access-settings", INTERNET.name),
    Route("POST", "/internet/lines/{line_id}/nomadic-access", INTERNET.name),
    Route("PUT", "/internet/lines/{line_id}/nomadic-access/password", INTERNET.name),
    Route("GET", "/internet/lines/{line_id}/drive", INTERNET.name),
    Route("POST", "/internet/lines/{line_id}/drive", INTERNET.name),
    Route("GET", "/internet/lines/{line_id}/mailboxes", INTERNET.name),
    Route("POST", "/internet/lines/{line_id}/mailboxes", INTERNET.name),
    Route("PUT", "/internet/lines/{line_id}/mailboxes/{mailbox_id}/password", INTERNET.name),
    Route("DELETE", "/internet/lines/{line_id}/mailboxes/{mailbox_id}", INTERNET.name),
    Route("GET", "/voip/lines", INTERNET.name),
    Route("GET", "/voip/lines/{line_id}", INTERNET.name),
    Route("PUT", "/voip/lines/{line_id}/call-waiting", INTERNET.name),
    Route("PUT", "/voip/lines/{line_id}/caller-id-hiding", INTERNET.name),
    Route("PUT", "/voip/lines/{line_id}/forwarding", INTERNET.name),
    Route("DELETE", "/voip/lines/{line_id}/forwarding", INTERNET.name),
    Route("PUT", "/voip/lines/{line_id}/restrictions", INTERNET.name),
    Route("GET", "/voip/lines/{line_id}/pin", INTERNET.name),
    Route("PUT", "/voip/lines/{line_id}/pin", INTERNET.name),
    Route("GET", "/tv/lines", TV.name),
    Route("GET", "/tv/lines/{line_id}", TV.name),
    Route("GET", "/tv/lines/{line_id}/boxes", TV.name),
    Route("PATCH", "/tv/lines/{line_id}/boxes/{box_id}", TV.name),
    Route("PUT", "/tv/lines/{line_id}/password", TV.name),
    Route("GET", "/tv/lines/{line_id}/packs", TV.name),
    Route("POST", "/tv/lines/{line_id}/packs", TV.name),
    Route("DELETE", "/tv/lines/{line_id}/packs/{pack_id}", TV.name),
    Route("GET", "/tv/lines/{line_id}/vod", TV.name),
    Route("GET", "/tv/lines/{line_id}/vod/export", TV.name),
    Route("GET", "/services", SERVICES.name),
    Route("GET", "/services/{service_id}", SERVICES.name),
    Route("GET", "/billing", BILLING.name),
    Route("GET", "/billing/settings", BILLING.name),
    Route("PUT", "/billing/settings/address", BILLING.name),
    Route("PUT", "/billing/settings/invoice-type", BILLING.name),
    Route("PUT", "/billing/settings/payment-method", BILLING.name),
    Route("GET", "/billing/invoices", BILLING.name),
    Route("GET", "/billing/invoices/{invoice_id}/pdf", BILLING.name),
    Route("GET", "/billing/payments", BILLING.name),
    Route("POST", "/billing/payments", BILLING.name),
    # The payment provider's webhook: no authorizer, its HMAC signature is verified by the function.
    Route("POST", "/billing/payments/webhook", BILLING.name, public=True),
    Route("GET", "/billing/usage", BILLING.name),
    Route("GET", "/billing/usage/export", BILLING.name),
    # Identity (issue 8): the CAPTCHA challenge and the activation of the web account (public).
    Route("GET", "/auth/captcha", AUTH.name, public=True),
    Route("POST", "/auth/activation", AUTH.name, public=True),
    Route("POST", "/auth/activation/confirm", AUTH.name, public=True),
    # Digital-identity login (customers) and staff sign-in from the directory (OpenID Connect).
    Route("POST", "/auth/digital-identity/authorizations", DIGITAL_IDENTITY.name, public=True),
    Route("GET", "/auth/digital-identity/callback", DIGITAL_IDENTITY.name, public=True),
    # The link is a login (credentials checked and counted): served by the auth function.
    Route("POST", "/auth/digital-identity/link", AUTH.name, public=True),
    Route("GET", "/account/digital-identity", DIGITAL_IDENTITY.name),
    Route("DELETE", "/account/digital-identity", DIGITAL_IDENTITY.name),
    Route("POST", "/staff/auth/directory/authorizations", DIGITAL_IDENTITY.name, public=True),
    Route("GET", "/staff/auth/directory/callback", DIGITAL_IDENTITY.name, public=True),
)

# Names of the non-table resources, shared by the CDK stack and the local stack.
SIGNING_KEY_SECRET_NAME = "selfcare/jwt-signing-key"  # noqa: S105 - a name, not a secret
PUBLIC_KEYS_PARAMETER_NAME = "/selfcare/jwt-public-keys"
JWT_ISSUER = "selfcare"
JWT_AUDIENCE = "selfcare-api"

# Environment common to every function (values that are not resource names).
COMMON_ENV: dict[str, str] = {
    "POWERTOOLS_SERVICE_NAME": SERVICE,
    "POWERTOOLS_METRICS_NAMESPACE": "Selfcare",
    "POWERTOOLS_LOG_LEVEL": "INFO",
    "JWT_ISSUER": JWT_ISSUER,
    "JWT_AUDIENCE": JWT_AUDIENCE,
}


def tables_of(function: Function) -> list[Table]:
    by_id = {t.logical_id: t for t in TABLES}
    listed = [by_id[logical_id] for logical_id in function.tables]
    # Usage statistics (issue 10): every function with a route also counts its answers in USAGE_STATS.
    if counts_usage(function) and USAGE_STATS.logical_id not in function.tables:
        listed.append(USAGE_STATS)
    return listed


def function_named(name: str) -> Function:
    return next(f for f in FUNCTIONS if f.name == name)


# Environment variables that carry the non-table resources to the functions that hold a grant (a grant may
# need several: the provisioning endpoint and its credentials).
GRANT_ENV: dict[str, tuple[str, ...]] = {
    "signing_key": ("SIGNING_KEY_SECRET_ID",),
    "public_keys": ("PUBLIC_KEYS_PARAMETER",),
    "send_email": ("NOTIFICATION_SENDER",),
    # sns:Publish to phone numbers (SMS): no variable, SNS needs no topic for a direct SMS.
    "send_sms": (),
    # Call the network provisioning system: its endpoint, and the secret holding its credentials.
    "provisioning": ("PROVISIONING_ENDPOINT", "PROVISIONING_CREDENTIALS_SECRET_ID"),
    # events:PutEvents on the outbound CRM bus only (changes made in the space, for the CRM).
    "crm_events": ("CRM_EVENT_BUS_NAME",),
    # Read the customers table's stream (the outbox relay's event source mapping), and send what it gives up on
    # to the outbox's dead-letter queue: no variable, Lambda reads the stream for the function.
    "crm_outbox_stream": (),
    # sqs:SendMessage to the projection's dead-letter queue.
    "dead_letters": ("PROJECTION_DEAD_LETTER_QUEUE_URL",),
    # scheduler:CreateSchedule/UpdateSchedule/DeleteSchedule in the retention (anonymisation) group, iam:PassRole
    # of its role: the hide and anonymise steps' one-time schedules, deleted by a reinstatement.
    "anonymisation_schedules": ("ANONYMISATION_SCHEDULE_GROUP", "ANONYMISATION_SCHEDULER_ROLE_ARN"),
    # events:PutEvents on the incident bus only.
    "events": ("INCIDENT_BUS_NAME",),
    # states:StartExecution on the line workflows, states:DescribeExecution on their executions.
    "start_workflows": ("SUSPENSION_STATE_MACHINE_ARN", "REACTIVATION_STATE_MACHINE_ARN"),
    # Read the HMAC key that anonymises the VOD titles' references.
    "vod_key": ("VOD_HASH_KEY_SECRET_ID",),
    # The payment provider: its endpoint, the secret of its API key, the secret its webhooks are signed with.
    "payments": ("PAYMENT_PROVIDER_ENDPOINT", "PAYMENT_PROVIDER_API_KEY_SECRET_ID", "PAYMENT_WEBHOOK_SECRET_ID"),
    # Read the HMAC key that signs the usage listing's cursors.
    "billing_cursor_key": ("BILLING_CURSOR_KEY_SECRET_ID",),
    # s3:GetObject on the invoices bucket's objects (presigned download URLs signed by the function).
    "invoices_bucket": ("INVOICES_BUCKET_NAME",),
    # Identity (issue 8): read the HMAC key that signs the CAPTCHA challenges.
    "captcha_key": ("CAPTCHA_KEY_SECRET_ID",),
    # The government digital identity (OpenID Connect): discovery URL and client id (CDK context), the secret
    # holding the client secret (written by the operators), our callback URL.
    "digital_identity": (
        "DIGITAL_IDENTITY_DISCOVERY_URL",
        "DIGITAL_IDENTITY_CLIENT_ID",
        "DIGITAL_IDENTITY_CLIENT_SECRET_ID",
        "DIGITAL_IDENTITY_REDIRECT_URI",
    ),
    # The operator's identity provider (staff), likewise.
    "staff_directory": (
        "STAFF_DIRECTORY_DISCOVERY_URL",
        "STAFF_DIRECTORY_CLIENT_ID",
        "STAFF_DIRECTORY_CLIENT_SECRET_ID",
        "STAFF_DIRECTORY_REDIRECT_URI",
    ),
    # Retention: s3:ListBucket (prefix invoices/) and s3:DeleteObject on the invoices bucket (the anonymisation).
    "invoices_erase": ("INVOICES_BUCKET_NAME",),
    # The controller the data-protection notice names (issue 10): no permission, the values come from the CDK
    # context `operator_identity` (DEMO_OPERATOR_IDENTITY when unset, the local stack's values).
    "operator_identity": ("OPERATOR_NAME", "OPERATOR_ADDRESS", "OPERATOR_PRIVACY_EMAIL", "OPERATOR_POSTAL_CONTACT"),
}
DEMO_OPERATOR_IDENTITY: dict[str, str] = {
    "OPERATOR_NAME": "Selfcare demonstration operator",
    "OPERATOR_ADDRESS": "1 avenue de la Démonstration, 98000 Monaco",
    "OPERATOR_PRIVACY_EMAIL": "privacy@selfcare.example",
    "OPERATOR_POSTAL_CONTACT": "Data protection, 1 avenue de la Démonstration, 98000 Monaco",
}


def grant_variables(function: Function) -> list[str]:
    return [variable for grant in function.grants for variable in GRANT_ENV[grant]]


def environment_for(function: Function, table_names: dict[str, str], grant_values: dict[str, str]) -> dict[str, str]:
    """The environment of one function: common values, its tables' names, its grants' values.

    `table_names` maps Table.logical_id to the table's name (a CDK token or a local name);
    `grant_values` maps each grant's variable (GRANT_ENV: "SIGNING_KEY_SECRET_ID", ...) to its value.
    """
    env = dict(COMMON_ENV)
    for table in tables_of(function):
        env[table.env] = table_names[table.logical_id]
    for variable in grant_variables(function):
        env[variable] = grant_values[variable]
    if appends_to_audit_trail(function):
        env["AUDIT_PSEUDONYM_KEY_SECRET_ID"] = AUDIT_PSEUDONYM_KEY_SECRET_NAME
    return env


def appends_to_audit_trail(function: Function) -> bool:
    """It writes audit entries: it also reads the audit pseudonym key (lines in targets as keyed hashes)."""
    return function.tables.get(AUDIT_LOG.logical_id) in (Access.APPEND, Access.READ_APPEND)


def has_routes(function: Function) -> bool:
    """Behind API Gateway (else invoked by other services: Step Functions tasks)."""
    return any(route.function == function.name for route in ROUTES)


@dataclass(frozen=True)
class GatewayResponse:
    """A response API Gateway itself gives (no Lambda reached), in Selfcare's one error shape.

    `status` None keeps the status API Gateway chose (the DEFAULT_* families cover several)."""

    status: int | None
    code: str
    message: str


# API Gateway response type -> our error body. The local stack gives the same bodies.
GATEWAY_RESPONSES: dict[str, GatewayResponse] = {
    "UNAUTHORIZED": GatewayResponse(401, "unauthorized", "Missing or invalid credentials."),
    "ACCESS_DENIED": GatewayResponse(403, "forbidden", "Access denied."),
    "BAD_REQUEST_BODY": GatewayResponse(400, "bad_request", "The request body is not valid."),
    "REQUEST_TOO_LARGE": GatewayResponse(413, "payload_too_large", "The request body is too large."),
    "THROTTLED": GatewayResponse(429, "too_many_requests", "Too many requests."),
    "WAF_FILTERED": GatewayResponse(403, "forbidden", "The request was blocked."),
    "MISSING_AUTHENTICATION_TOKEN": GatewayResponse(404, "not_found", "No such route."),
    "DEFAULT_4XX": GatewayResponse(None, "request_refused", "The request was refused."),
    "DEFAULT_5XX": GatewayResponse(None, "internal_error", "Internal error."),
}


# Security: API Gateway's own answers carry the same security headers as the functions' (one list, in the package).
GATEWAY_RESPONSE_HEADERS: dict[str, str] = dict(SECURITY_HEADERS)


def error_body(code: str, message: str, request_id: str) -> dict[str, object]:
    """Selfcare's one error shape (declared in the OpenAPI document as `Error`)."""
    return {"error": {"code": code, "message": message, "request_id": request_id}}


# --- Lines' suspension and reactivation workflows (Step Functions) --------------------------------------
SUSPENSION_STATE_MACHINE_NAME = f"{SERVICE}-line-suspension"
REACTIVATION_STATE_MACHINE_NAME = f"{SERVICE}-line-reactivation"
# Incidents (compensated workflows, failed notifications) go to this bus; operators subscribe to it.
INCIDENT_BUS_NAME = f"{SERVICE}-incidents"
INCIDENT_SOURCE = f"{SERVICE}.workflows"
INCIDENT_COMPENSATED = "LineWorkflowCompensated"
INCIDENT_COMPENSATION_FAILED = "LineWorkflowCompensationFailed"
INCIDENT_NOTIFICATION_FAILED = "LineNotificationFailed"
# Secrets of the data stack: the provisioning system's credentials ({"api_key": ...}, written by the
# operators), and the HMAC key of the VOD references' anonymisation (generated by CloudFormation).
PROVISIONING_CREDENTIALS_SECRET_NAME = f"{SERVICE}/provisioning-credentials"
VOD_HASH_KEY_SECRET_NAME = f"{SERVICE}/vod-hash-key"
# Bills and payments: the payment provider's API key ({"api_key": ...}, issued by the provider), the
# secret its webhooks are signed with (generated here, handed to the provider), the usage cursors' key.
PAYMENT_PROVIDER_API_KEY_SECRET_NAME = f"{SERVICE}/payment-provider-api-key"
PAYMENT_WEBHOOK_SECRET_NAME = f"{SERVICE}/payment-webhook-secret"
BILLING_CURSOR_KEY_SECRET_NAME = f"{SERVICE}/billing-cursor-key"
# The provider's API (production); the local stack serves a sandbox instead (infra/local/payment_sandbox.py).
PAYMENT_PROVIDER_ENDPOINT = "https://api.payments.example/v1"
INVOICES_BUCKET_PREFIX = f"{SERVICE}-invoices"
# Identity (issue 8): the HMAC key of the CAPTCHA challenges (generated by CloudFormation, or by the local stack).
CAPTCHA_KEY_SECRET_NAME = f"{SERVICE}/captcha-hmac-key"


def invoices_bucket_name(account: str, region: str) -> str:
    """Bucket names are global: the account and the region make it unique."""
    return f"{INVOICES_BUCKET_PREFIX}-{account}-{region}"


@dataclass(frozen=True)
class Retry:
    """Retry policy of the workflows' tasks (ASL Retry): bounded attempts with exponential backoff."""

    interval_seconds: int
    backoff_rate: float
    max_attempts: int
    max_delay_seconds: int


# Deployed: 2, 4, 8, 16 s (30 s cap): about half a minute of provisioning trouble absorbed before compensating.
WORKFLOW_RETRY = Retry(interval_seconds=2, backoff_rate=2.0, max_attempts=4, max_delay_seconds=30)
# Compensation insists longer: a line must never stay pending.
COMPENSATION_RETRY = Retry(interval_seconds=2, backoff_rate=2.0, max_attempts=8, max_delay_seconds=60)
# Local stack and tests: Step Functions' smallest interval (1 s), no growth, two retries (moto really sleeps).
LOCAL_WORKFLOW_RETRY = Retry(interval_seconds=1, backoff_rate=1.0, max_attempts=2, max_delay_seconds=1)


@dataclass(frozen=True)
class StateMachine:
    name: str
    kind: str  # selfcare.workflows.models.WorkflowKind value
    env: str  # the variable of the "start_workflows" grant that carries its ARN


STATE_MACHINES: tuple[StateMachine, ...] = (
    StateMachine(SUSPENSION_STATE_MACHINE_NAME, "suspension", "SUSPENSION_STATE_MACHINE_ARN"),
    StateMachine(REACTIVATION_STATE_MACHINE_NAME, "reactivation", "REACTIVATION_STATE_MACHINE_ARN"),
)
# The Lambda function the workflows' tasks run.
WORKFLOW_TASKS_FUNCTION = LINE_TASKS.name


# --- CRM events: the projection (inbound) and the changes made in the space (outbound) ------------------
# The operator's CRM and billing systems put their events on the inbound bus; a rule sends those of
# CRM_EVENT_SOURCE with a known detail-type to the projection function.
CRM_INBOUND_BUS_NAME = f"{SERVICE}-crm-inbound"
CRM_EVENT_SOURCE = "operator.crm"
CRM_EVENT_TYPES: tuple[str, ...] = (
    "CustomerCreated",
    "CustomerUpdated",
    "CustomerTerminated",
    "InvoiceIssued",
    "PaymentReceived",
    "UsageRecordsBatch",
    # Retention (issue 9): a termination withdrawn cancels the pending steps.
    "CustomerReinstated",
    # Rights (issue 10): the CRM's answer to a rectification closes the request.
    "RectificationCompleted",
    "RectificationRefused",
)
# Lines and services: the product inventory's events (TMF637), on the same inbound bus, to the same projection
# (selfcare.projection.inventory_events; tests/unit/test_inventory_events.py checks the two lists agree).
INVENTORY_EVENT_SOURCE = "operator.inventory"
INVENTORY_EVENT_TYPES: tuple[str, ...] = (
    "LineCreated",
    "LineChanged",
    "LineSimChanged",
    "LineStatusChanged",
    "LineEnded",
    "BoxChanged",
    "MailboxChanged",
    "VoipSettingsChanged",
    "TvPackChanged",
    "VodViewsRecorded",
    "LineUsageRecorded",
)
# The rule's event pattern (CDK and the local stack): either source, any of the known detail-types (the
# projection refuses a detail-type under the other source's name as `unknown_event_type`).
CRM_EVENT_PATTERN: dict[str, list[str]] = {
    "source": [CRM_EVENT_SOURCE, INVENTORY_EVENT_SOURCE],
    "detail-type": [*CRM_EVENT_TYPES, *INVENTORY_EVENT_TYPES],
}
PROJECTION_RULE_NAME = f"{SERVICE}-crm-projection"
# Changes made in the customer space, for the CRM (selfcare.ports.crm_events).
CRM_OUTBOUND_BUS_NAME = f"{SERVICE}-crm-outbound"
CRM_OUTBOUND_SOURCE = f"{SERVICE}.customer-space"
# The transactional outbox (selfcare.dal.crm_outbox): items `pk=CUSTOMER#<id>`, `sk=OUTBOX#<at>#<event id>`
# written in the same transaction as the change; the stream's INSERTs of those items (this filter, the same
# for the event source mapping and the local relay) invoke CRM_OUTBOX, which publishes then deletes them.
CRM_OUTBOX_SK_PREFIX = "OUTBOX#"
CRM_OUTBOX_FILTER: dict[str, object] = {
    "eventName": ["INSERT"],
    "dynamodb": {"NewImage": {"sk": {"S": [{"prefix": CRM_OUTBOX_SK_PREFIX}]}}},
}
CRM_OUTBOX_BATCH_SIZE = 10  # one PutEvents call (its limit) per batch
CRM_OUTBOX_MAX_RECORD_AGE_SECONDS = 24 * 3600  # the stream's retention: retried for as long as it is readable
CRM_OUTBOX_RETRIES = 100
# Outbox items never published (the relay gave up: see the dead-letter queue) are kept this long, then expire.
CRM_OUTBOX_ITEM_DAYS = 14
CRM_OUTBOX_DEAD_LETTER_QUEUE_NAME = f"{SERVICE}-crm-outbox-dead-letters"
# Events the projection refused (with the reason), and those EventBridge or Lambda could not deliver.
PROJECTION_DEAD_LETTER_QUEUE_NAME = f"{SERVICE}-projection-dead-letters"
DEAD_LETTER_RETENTION_DAYS = 14  # SQS's maximum: time to read, fix and replay
# How long and how often EventBridge retries delivering an event to the projection.
PROJECTION_DELIVERY_MAX_AGE_SECONDS = 24 * 3600
PROJECTION_DELIVERY_RETRIES = 185
# One-time schedules anonymising a terminated customer 5 years after the end of the contract.
ANONYMISATION_SCHEDULE_GROUP = f"{SERVICE}-anonymisation"
ANONYMISATION_SCHEDULER_ROLE_NAME = f"{SERVICE}-anonymisation-scheduler"


# --- Digital-identity login and staff sign-in (OpenID Connect) --------------------------------------------------
# Secrets of the data stack holding each provider's client secret ({"client_secret": ...}), written by operators.
DIGITAL_IDENTITY_CLIENT_SECRET_NAME = f"{SERVICE}/digital-identity-client-secret"
STAFF_DIRECTORY_CLIENT_SECRET_NAME = f"{SERVICE}/staff-directory-client-secret"
# The callback paths the providers redirect to (the redirect URIs registered with them end with these).
DIGITAL_IDENTITY_CALLBACK_PATH = "/auth/digital-identity/callback"
STAFF_DIRECTORY_CALLBACK_PATH = "/staff/auth/directory/callback"
# --- Retention (issue 9): the daily reconciliation of the post-termination steps ------------------------
# A recurring EventBridge Scheduler schedule (CDK, infra/stacks/constructs/projection.py) invokes the projection
# function with {"command": "Reconcile"} every day; the local stack and the tests call the same command.
RECONCILIATION_SCHEDULE_NAME = f"{SERVICE}-retention-reconciliation"
RECONCILIATION_SCHEDULE_EXPRESSION = "cron(30 3 * * ? *)"  # 03:30 UTC daily
RECONCILIATION_COMMAND = {"command": "Reconcile"}

# --- Audit trail: staff log reads, signed digests, alarms (issue 9, sections 3 to 5) ---------------------
# Staff reads of a customer's connection log and audit trail (production and infrastructure, under a grant).
AUDIT = Function(
    name="audit",
    tables={CONNECTION_LOG.logical_id: Access.READ, AUDIT_LOG.logical_id: Access.READ_APPEND},
    grants=("incident_tracker",),  # the incident a grant names must be open at each read (issue 8)
    description="Staff reads of a customer's connection log and audit trail (audited)",
)
# Hourly: the heads of the audit trail's hash chains, signed with the digest key, into the digest bucket.
AUDIT_DIGEST = Function(
    name="audit_digest",
    tables={AUDIT_LOG.logical_id: Access.READ},
    grants=("audit_digests",),
    timeout_seconds=120,
    description="Hourly signed digest of the audit trail's chain heads (S3 Object Lock; no route)",
)
FUNCTIONS = (*FUNCTIONS, AUDIT, AUDIT_DIGEST)
ROUTES = (
    *ROUTES,
    Route("GET", "/staff/customers/{customer_id}/connection-log", AUDIT.name),
    Route("GET", "/staff/customers/{customer_id}/audit-trail", AUDIT.name),
)
# kms:Sign with the digest key; s3:PutObject/GetObject/ListBucket on the digest bucket.
GRANT_ENV["audit_digests"] = ("AUDIT_DIGEST_BUCKET_NAME", "AUDIT_DIGEST_KEY_ID")
AUDIT_DIGEST_BUCKET_PREFIX = f"{SERVICE}-audit-digests"
# The HMAC key of the audit targets' pseudonyms (generated once, never rotated: pseudonyms stay stable).
AUDIT_PSEUDONYM_KEY_SECRET_NAME = f"{SERVICE}/audit-pseudonym-key"
AUDIT_DIGEST_KEY_ALIAS = f"alias/{SERVICE}-audit-digests"
AUDIT_DIGEST_SCHEDULE = "rate(1 hour)"
# Object Lock (compliance mode) keeps each digest this long: beyond the entries' 12 months, then it expires.
AUDIT_DIGEST_RETENTION_DAYS = 400


def audit_digest_bucket_name(account: str, region: str) -> str:
    return f"{AUDIT_DIGEST_BUCKET_PREFIX}-{account}-{region}"


# --- Commercial SMS governance (capability `sms`, issue 11) ---------------------------------------------
# One table: the register of VAS providers, the opt-out list, campaigns and each message's decision, monthly
# figures, suspension proposals, complaints (selfcare.dal.sms names every item). Decisions, complaints and
# proposals expire after 12 months (TTL), recipients' batches after 35 days, short-lived throughput windows.
SMS = Table(
    logical_id="SmsTable",
    env="SMS_TABLE",
    partition_key=Key("pk"),
    sort_key=Key("sk"),
    ttl_attribute="expires_at",
)
TABLES = (*TABLES, SMS)

_SMS_TABLES = {SMS.logical_id: Access.READ_WRITE, AUDIT_LOG.logical_id: Access.APPEND}
SMS_PROVIDERS = Function(
    name="sms_providers",
    # Customers: the customer's mobile lines and the operator's own SMS' consent (read model, read only).
    tables={**_SMS_TABLES, CUSTOMERS.logical_id: Access.READ},
    grants=("send_sms",),  # the operator's own commercial SMS
    memory_mb=512,
    timeout_seconds=15,
    description="Commercial SMS: register of VAS providers, credentials, reports, proposals; customers' opt-outs",
)
SMS_GATEWAY = Function(
    name="sms_gateway",
    tables=_SMS_TABLES,
    grants=("send_sms", "sms_campaign_queue"),
    timeout_seconds=15,
    description="Commercial SMS: the providers' API (own credentials), single messages and campaigns",
)
SMS_CAMPAIGNS = Function(
    name="sms_campaigns",
    tables=_SMS_TABLES,
    grants=("send_sms", "sms_campaign_consumer"),
    # One batch (at most 500 messages) per invocation, paced by the provider's throughput per second.
    timeout_seconds=300,
    description="Commercial SMS: the campaigns' batches (SQS consumer; no route)",
)
SMS_INBOUND = Function(
    name="sms_inbound",
    tables=_SMS_TABLES,
    grants=("send_sms",),  # the one confirmation reply
    timeout_seconds=15,
    description="Commercial SMS: inbound SMS (SNS topic of the two-way channel), STOP/START -> opt-out list",
)
FUNCTIONS = (*FUNCTIONS, SMS_PROVIDERS, SMS_GATEWAY, SMS_CAMPAIGNS, SMS_INBOUND)

# Staff (register, control, the operator's own SMS) and customers (their lines' opt-outs, complaints): JWT.
# Providers: public for the authorizer, authenticated by the function with their own credentials.
ROUTES = (
    *ROUTES,
    Route("GET", "/sms/providers", SMS_PROVIDERS.name),
    Route("POST", "/sms/providers", SMS_PROVIDERS.name),
    Route("GET", "/sms/providers/{provider_id}", SMS_PROVIDERS.name),
    Route("PUT", "/sms/providers/{provider_id}", SMS_PROVIDERS.name),
    Route("POST", "/sms/providers/{provider_id}/credentials", SMS_PROVIDERS.name),
    Route("POST", "/sms/providers/{provider_id}/suspension", SMS_PROVIDERS.name),
    Route("DELETE", "/sms/providers/{provider_id}/suspension", SMS_PROVIDERS.name),
    Route("POST", "/sms/providers/{provider_id}/end", SMS_PROVIDERS.name),
    Route("GET", "/sms/providers/{provider_id}/reports/{month}", SMS_PROVIDERS.name),
    Route("GET", "/sms/providers/{provider_id}/reports/{month}/csv", SMS_PROVIDERS.name),
    Route("GET", "/sms/providers/{provider_id}/reports/{month}/pdf", SMS_PROVIDERS.name),
    Route("GET", "/sms/suspension-proposals", SMS_PROVIDERS.name),
    Route("POST", "/sms/operator/messages", SMS_PROVIDERS.name),
    Route("GET", "/account/commercial-sms/lines", SMS_PROVIDERS.name),
    Route("PUT", "/account/commercial-sms/lines/{line_id}", SMS_PROVIDERS.name),
    Route("POST", "/account/commercial-sms/reports", SMS_PROVIDERS.name),
    Route("GET", "/sms/provider/me", SMS_GATEWAY.name, public=True),
    Route("POST", "/sms/provider/messages", SMS_GATEWAY.name, public=True),
    Route("POST", "/sms/provider/campaigns", SMS_GATEWAY.name, public=True),
    Route("GET", "/sms/provider/campaigns/{campaign_id}", SMS_GATEWAY.name, public=True),
    Route("POST", "/sms/provider/campaigns/{campaign_id}/recipients", SMS_GATEWAY.name, public=True),
    Route("POST", "/sms/provider/campaigns/{campaign_id}/start", SMS_GATEWAY.name, public=True),
    Route("GET", "/sms/provider/campaigns/{campaign_id}/outcomes", SMS_GATEWAY.name, public=True),
)

# sqs:SendMessage on the campaign queue (the provider API starts campaigns).
GRANT_ENV["sms_campaign_queue"] = ("SMS_CAMPAIGN_QUEUE_URL",)
# The campaign queue's consumer (event source mapping): receive, delete, attributes; its URL, for the worker's
# own ChangeMessageVisibility (a batch paused by the night window comes back when the window ends).
GRANT_ENV["sms_campaign_consumer"] = ("SMS_CAMPAIGN_QUEUE_URL",)
SMS_CAMPAIGN_QUEUE_NAME = f"{SERVICE}-sms-campaign-batches"
SMS_CAMPAIGN_DEAD_LETTER_QUEUE_NAME = f"{SERVICE}-sms-campaign-dead-letters"
SMS_CAMPAIGN_BATCH_SIZE = 1  # one batch of recipients (at most 500 messages) per invocation
SMS_CAMPAIGN_MAX_RECEIVES = 5  # then the batch goes to the dead-letter queue (resumable: replay it)
SMS_CAMPAIGN_VISIBILITY_SECONDS = 6 * SMS_CAMPAIGNS.timeout_seconds  # AWS's advice for a Lambda consumer
# The two-way channel (AWS End User Messaging SMS / SNS two-way) publishes inbound SMS here.
SMS_INBOUND_TOPIC_NAME = f"{SERVICE}-sms-inbound"


# --- Privacy (issue 10, sections 2 and 3): the information notice and the usage statistics -----------------------
# Usage statistics: aggregate counters only (selfcare.dal.usage_stats), item `pk=DAY#<day>`,
# `sk=<METHOD> <route template>#<platform>#<outcome>`, attribute `count`. No identifier of any kind: not personal
# data (selfcare.privacy.registry.NON_PERSONAL_TABLES). Every function with a route counts its answers (one
# UpdateItem per request, in selfcare.api.resolver): `counts_usage`, read by tables_of and the CDK grants.
USAGE_STATS = Table(
    logical_id="UsageStatsTable",
    env="USAGE_STATS_TABLE",
    partition_key=Key("pk"),
    sort_key=Key("sk"),
    ttl_attribute="expires_at",
)
TABLES = (*TABLES, USAGE_STATS)

PRIVACY = Function(
    name="privacy",
    tables={
        # The categories held for a customer: which registry stores hold items of theirs (keys only).
        CUSTOMERS.logical_id: Access.READ,
        CREDENTIALS.logical_id: Access.READ,
        SESSIONS.logical_id: Access.READ,
        CONNECTION_LOG.logical_id: Access.READ,
        USAGE_STATS.logical_id: Access.READ,
    },
    grants=("operator_identity",),
    description="Data-protection notice (public, customer, staff) and the usage statistics (staff, CSV)",
)
FUNCTIONS = (*FUNCTIONS, PRIVACY)
ROUTES = (
    *ROUTES,
    Route("GET", "/privacy/notice", PRIVACY.name, public=True),
    Route("GET", "/account/privacy/data-categories", PRIVACY.name),
    Route("GET", "/staff/privacy/notice", PRIVACY.name),
    Route("GET", "/staff/usage-statistics", PRIVACY.name),
    Route("GET", "/staff/usage-statistics/export", PRIVACY.name),
)


def counts_usage(function: Function) -> bool:
    """It answers API requests, so it counts them in the usage statistics (UpdateItem on USAGE_STATS only)."""
    return has_routes(function)


# --- Data-subject rights (capability `rights`, issue 10, section 1) --------------------------------------------
# Requests of access and rectification (customers table, RIGHTS#<id>), the export worker behind an SQS queue, the
# rights bucket (KMS-encrypted, private): exports/<request id>/ (expire after RIGHTS_EXPORT_DAYS) and
# identity-documents/<request id> (deleted on verification, at the latest after IDENTITY_DOCUMENT_DAYS).
RIGHTS = Function(
    name="rights",
    tables={CUSTOMERS.logical_id: Access.READ_WRITE, AUDIT_LOG.logical_id: Access.APPEND},
    # send_sms: the identity code to the contact mobile on record (staff path).
    grants=("send_email", "send_sms", "rights_export_queue", "rights_bucket_read", "rights_identity_documents"),
    description="Data-subject rights: requests of access and rectification, their clock, staff queue, identity",
)
RIGHTS_EXPORT = Function(
    name="rights_export",
    # Every store of the personal-data registry, read (selfcare.dal.rights.PersonalDataReader).
    tables={
        CUSTOMERS.logical_id: Access.READ_WRITE,
        CREDENTIALS.logical_id: Access.READ,
        SESSIONS.logical_id: Access.READ,
        CONNECTION_LOG.logical_id: Access.READ,
        AUDIT_LOG.logical_id: Access.READ_APPEND,
        SMS.logical_id: Access.READ,  # the customers' reports of unwanted commercial SMS
    },
    grants=("send_email", "rights_export_consumer", "rights_bucket_write", "invoices_list"),
    memory_mb=1024,
    # 10,000 usage records and their PDF: a few seconds measured (bench/rights.py); a wide margin.
    timeout_seconds=120,
    description="Data-subject rights: builds the exports (JSON and PDF) of the requests of access (SQS; no route)",
)
FUNCTIONS = (*FUNCTIONS, RIGHTS, RIGHTS_EXPORT)
ROUTES = (
    *ROUTES,
    Route("POST", "/account/data-requests", RIGHTS.name),
    Route("GET", "/account/data-requests", RIGHTS.name),
    Route("GET", "/account/data-requests/{request_id}", RIGHTS.name),
    Route("POST", "/staff/data-requests", RIGHTS.name),
    Route("GET", "/staff/data-requests", RIGHTS.name),
    Route("POST", "/staff/customers/{customer_id}/data-requests/{request_id}/identity-code", RIGHTS.name),
    Route("POST", "/staff/customers/{customer_id}/data-requests/{request_id}/identity-code/verification", RIGHTS.name),
    Route("POST", "/staff/customers/{customer_id}/data-requests/{request_id}/identity-document", RIGHTS.name),
    Route("GET", "/staff/customers/{customer_id}/data-requests/{request_id}/identity-document", RIGHTS.name),
    Route(
        "POST", "/staff/customers/{customer_id}/data-requests/{request_id}/identity-document/verification", RIGHTS.name
    ),
)
# sqs:SendMessage on the export queue.
GRANT_ENV["rights_export_queue"] = ("RIGHTS_EXPORT_QUEUE_URL",)
# The export queue's consumer (event source mapping): receive, delete, attributes; no variable.
GRANT_ENV["rights_export_consumer"] = ()
# s3:GetObject on exports/* of the rights bucket (the presigned download links), kms:Decrypt with its key.
GRANT_ENV["rights_bucket_read"] = ("RIGHTS_BUCKET_NAME",)
# s3:PutObject/GetObject/DeleteObject on identity-documents/* of the rights bucket (presigned PUT and GET, the
# deletion on verification), kms with its key.
GRANT_ENV["rights_identity_documents"] = ("RIGHTS_BUCKET_NAME",)
# s3:PutObject on exports/* of the rights bucket, kms:GenerateDataKey with its key.
GRANT_ENV["rights_bucket_write"] = ("RIGHTS_BUCKET_NAME",)
# s3:ListBucket (prefix invoices/) on the invoices bucket: the export lists a customer's invoice documents.
GRANT_ENV["invoices_list"] = ("INVOICES_BUCKET_NAME",)
RIGHTS_EXPORT_QUEUE_NAME = f"{SERVICE}-rights-exports"
RIGHTS_EXPORT_DEAD_LETTER_QUEUE_NAME = f"{SERVICE}-rights-export-dead-letters"
RIGHTS_EXPORT_MAX_RECEIVES = 3  # then the request (status failed) waits in the dead-letter queue: replay it
RIGHTS_EXPORT_VISIBILITY_SECONDS = 6 * RIGHTS_EXPORT.timeout_seconds
RIGHTS_BUCKET_PREFIX = f"{SERVICE}-rights"
RIGHTS_EXPORTS_PREFIX = "exports/"
RIGHTS_IDENTITY_DOCUMENTS_PREFIX = "identity-documents/"
RIGHTS_EXPORT_DAYS = 7  # selfcare.privacy.registry.RIGHTS_EXPORT_DAYS (a test keeps them equal)
IDENTITY_DOCUMENT_DAYS = 30  # selfcare.privacy.registry.IDENTITY_DOCUMENT_DAYS (a test keeps them equal)


def rights_bucket_name(account: str, region: str) -> str:
    return f"{RIGHTS_BUCKET_PREFIX}-{account}-{region}"


# The staff queue's alarm: a daily schedule invokes the export worker with this command; it publishes the metric
# AccessRequestsDueSoon (open requests due within selfcare.rights.models.DUE_SOON_DAYS), alarmed above 0.
RIGHTS_DUE_SOON_SCHEDULE_NAME = f"{SERVICE}-rights-due-soon"
RIGHTS_DUE_SOON_SCHEDULE_EXPRESSION = "cron(0 7 * * ? *)"  # 07:00 UTC daily
RIGHTS_DUE_SOON_COMMAND = {"command": "CountDueSoon"}
RIGHTS_DUE_SOON_METRIC = "AccessRequestsDueSoon"


# Staff grants bound to an open incident (issue 8, section 4): the operator's incident tracker. The URL comes from the
# CDK context `incident_tracker_url` (empty when unset: the functions refuse what needs an open incident, 503), the
# bearer token from a Secrets Manager secret the operator creates, named by the context
# `incident_tracker_token_secret_name` (secretsmanager:GetSecretValue on it; no resource in the service stack).
GRANT_ENV["incident_tracker"] = ("INCIDENT_TRACKER_URL", "INCIDENT_TRACKER_TOKEN_SECRET_ID")
# The local stack's secret (infra/local/resources.py); in AWS, the name given as context.
INCIDENT_TRACKER_TOKEN_SECRET_NAME = f"{SERVICE}/incident-tracker-token"
