"""Configuration: one pydantic model per function, validated at cold start.

This is the one module that reads os.environ; logic receives values. A missing or malformed
variable fails the cold start with pydantic's message (no value is echoed: they are names).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Self

from pydantic import BaseModel, ConfigDict, Field

from selfcare.ports.hash_key import SecretsManagerHashKey


class _FromEnv(BaseModel):
    # Built on first use: a function validates one settings class, not every class of this module.
    model_config = ConfigDict(extra="ignore", frozen=True, populate_by_name=True, defer_build=True)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Self:
        return cls.model_validate(dict(os.environ if environ is None else environ))


class JwtSettings(_FromEnv):
    jwt_issuer: str = Field(alias="JWT_ISSUER")
    jwt_audience: str = Field(alias="JWT_AUDIENCE")


class AuthSettings(JwtSettings):
    sessions_table: str = Field(alias="SESSIONS_TABLE")
    credentials_table: str = Field(alias="CREDENTIALS_TABLE")
    connection_log_table: str = Field(alias="CONNECTION_LOG_TABLE")
    audit_log_table: str = Field(alias="AUDIT_LOG_TABLE")
    customers_table: str = Field(alias="CUSTOMERS_TABLE")
    signing_key_secret_id: str = Field(alias="SIGNING_KEY_SECRET_ID")
    notification_sender: str = Field(alias="NOTIFICATION_SENDER")
    access_token_ttl_seconds: int = Field(900, alias="ACCESS_TOKEN_TTL_SECONDS", ge=60, le=3600)
    argon2_time_cost: int = Field(3, alias="ARGON2_TIME_COST", ge=1)
    argon2_memory_kib: int = Field(65536, alias="ARGON2_MEMORY_KIB", ge=8)
    argon2_parallelism: int = Field(4, alias="ARGON2_PARALLELISM", ge=1)
    # The forgotten-password answer never comes sooner than this, account or not.
    recovery_response_floor_ms: int = Field(600, alias="RECOVERY_RESPONSE_FLOOR_MS", ge=0)
    password_reset_url: str = Field("https://selfcare.example/reset-password", alias="PASSWORD_RESET_URL")
    # Identity (issue 8): the CAPTCHA's HMAC key (Secrets Manager) and difficulty (ALTCHA cost; tests lower it).
    captcha_key_secret_id: str = Field(alias="CAPTCHA_KEY_SECRET_ID")
    captcha_cost: int = Field(5000, alias="CAPTCHA_COST", ge=1, le=1_000_000)


class AuthorizerSettings(JwtSettings):
    sessions_table: str = Field(alias="SESSIONS_TABLE")
    public_keys_parameter: str = Field(alias="PUBLIC_KEYS_PARAMETER")


class AccountSettings(_FromEnv):
    customers_table: str = Field(alias="CUSTOMERS_TABLE")
    audit_log_table: str = Field(alias="AUDIT_LOG_TABLE")
    notification_sender: str = Field(alias="NOTIFICATION_SENDER")
    # Contact changes need an authentication younger than this (as AuthPolicy.recent_auth_seconds).
    recent_auth_seconds: int = Field(300, alias="RECENT_AUTH_SECONDS", ge=30, le=3600)


class SuspensionSettings(_FromEnv):
    """Capability `suspension`: requests and status of the lines' suspension and reactivation workflows."""

    customers_table: str = Field(alias="CUSTOMERS_TABLE")
    audit_log_table: str = Field(alias="AUDIT_LOG_TABLE")
    suspension_state_machine_arn: str = Field(alias="SUSPENSION_STATE_MACHINE_ARN")
    reactivation_state_machine_arn: str = Field(alias="REACTIVATION_STATE_MACHINE_ARN")
    # Reactivation needs an authentication younger than this (as AuthPolicy.recent_auth_seconds).
    recent_auth_seconds: int = Field(300, alias="RECENT_AUTH_SECONDS", ge=30, le=3600)


class ProvisioningSettings(_FromEnv):
    provisioning_endpoint: str = Field(alias="PROVISIONING_ENDPOINT")
    provisioning_credentials_secret_id: str = Field(alias="PROVISIONING_CREDENTIALS_SECRET_ID")
    provisioning_connect_timeout_seconds: float = Field(3.0, alias="PROVISIONING_CONNECT_TIMEOUT_SECONDS", gt=0, le=30)
    provisioning_read_timeout_seconds: float = Field(8.0, alias="PROVISIONING_READ_TIMEOUT_SECONDS", gt=0, le=60)


class LineTasksSettings(ProvisioningSettings):
    """Function `line_tasks`: the steps of the suspension and reactivation workflows."""

    customers_table: str = Field(alias="CUSTOMERS_TABLE")
    audit_log_table: str = Field(alias="AUDIT_LOG_TABLE")
    notification_sender: str = Field(alias="NOTIFICATION_SENDER")


class LinesReadSettings(_FromEnv):
    """Capabilities `fixed` and `services` (read only): the read model and the audit trail (staff reads)."""

    customers_table: str = Field(alias="CUSTOMERS_TABLE")
    audit_log_table: str = Field(alias="AUDIT_LOG_TABLE")


class LinesSettings(LinesReadSettings, ProvisioningSettings):
    """Capabilities `mobile` and `internet`: also the provisioning port (changes go to the network)."""


class TvSettings(LinesSettings):
    """Capability `tv`: also the idempotency records of pack subscriptions."""

    idempotency_table: str = Field(alias="IDEMPOTENCY_TABLE")
    # How long a pack subscription's answer is replayed to the same request.
    idempotency_expiry_seconds: int = Field(3600, alias="IDEMPOTENCY_EXPIRY_SECONDS", ge=60, le=86400)


class BillingSettings(_FromEnv):
    """Capability `billing`: invoices, payments (the payment provider), settings, usage."""

    customers_table: str = Field(alias="CUSTOMERS_TABLE")
    audit_log_table: str = Field(alias="AUDIT_LOG_TABLE")
    invoices_bucket_name: str = Field(alias="INVOICES_BUCKET_NAME")
    payment_provider_endpoint: str = Field(alias="PAYMENT_PROVIDER_ENDPOINT")
    payment_provider_api_key_secret_id: str = Field(alias="PAYMENT_PROVIDER_API_KEY_SECRET_ID")
    payment_webhook_secret_id: str = Field(alias="PAYMENT_WEBHOOK_SECRET_ID")
    billing_cursor_key_secret_id: str = Field(alias="BILLING_CURSOR_KEY_SECRET_ID")
    payment_timeout_seconds: float = Field(8.0, alias="PAYMENT_TIMEOUT_SECONDS", gt=0, le=20)
    payment_return_url: str = Field("https://selfcare.example/billing/payment-done", alias="PAYMENT_RETURN_URL")
    # A webhook whose signed timestamp is further than this from now is refused (replays, clock skew).
    webhook_tolerance_seconds: int = Field(300, alias="PAYMENT_WEBHOOK_TOLERANCE_SECONDS", ge=30, le=900)
    # Lifetime of an invoice PDF's presigned URL.
    invoice_url_ttl_seconds: int = Field(300, alias="INVOICE_URL_TTL_SECONDS", ge=30, le=3600)


class CrmOutboxSettings(_FromEnv):
    """Function `crm_outbox`: the outbox relay (customers table's stream -> the CRM bus)."""

    customers_table: str = Field(alias="CUSTOMERS_TABLE")
    crm_event_bus_name: str = Field(alias="CRM_EVENT_BUS_NAME")


class ProjectionSettings(_FromEnv):
    """Function `projection`: CRM events -> the read model; dead letters; anonymisation schedules."""

    customers_table: str = Field(alias="CUSTOMERS_TABLE")
    credentials_table: str = Field(alias="CREDENTIALS_TABLE")  # anonymisation deletes the credentials
    idempotency_table: str = Field(alias="IDEMPOTENCY_TABLE")  # the applied events' receipts
    dead_letter_queue_url: str = Field(alias="PROJECTION_DEAD_LETTER_QUEUE_URL")
    anonymisation_schedule_group: str = Field(alias="ANONYMISATION_SCHEDULE_GROUP")
    anonymisation_scheduler_role_arn: str = Field(alias="ANONYMISATION_SCHEDULER_ROLE_ARN")
    # The HMAC key of the VOD titles' references (hashed when the inventory's VOD views are projected).
    vod_hash_key_secret_id: str = Field(alias="VOD_HASH_KEY_SECRET_ID")
    # Retention (issue 9): the hide step flags sessions and grants; the anonymisation erases every store.
    sessions_table: str = Field(alias="SESSIONS_TABLE")
    connection_log_table: str = Field(alias="CONNECTION_LOG_TABLE")
    invoices_bucket: str = Field(alias="INVOICES_BUCKET_NAME")
    # The retention steps' audit entries (termination, reinstatement, hide, anonymisation); unset: not audited.
    audit_log_table: str | None = Field(None, alias="AUDIT_LOG_TABLE")
    # Rights (issue 10): the customer is told by email when the CRM answers a rectification; unset: not told.
    notification_sender: str | None = Field(None, alias="NOTIFICATION_SENDER")


# Digital-identity login (OpenID Connect) and staff from the operator's directory ------------------------------
class DigitalIdentitySettings(JwtSettings):
    """Function `digital_identity`: the redirect flows of the government digital identity (customers) and of
    the operator's identity provider (staff), and the customer's view of their link."""

    sessions_table: str = Field(alias="SESSIONS_TABLE")
    credentials_table: str = Field(alias="CREDENTIALS_TABLE")
    connection_log_table: str = Field(alias="CONNECTION_LOG_TABLE")
    audit_log_table: str = Field(alias="AUDIT_LOG_TABLE")
    signing_key_secret_id: str = Field(alias="SIGNING_KEY_SECRET_ID")
    access_token_ttl_seconds: int = Field(900, alias="ACCESS_TOKEN_TTL_SECONDS", ge=60, le=3600)
    # The government provider: discovery URL, client id, the secret holding {"client_secret"}, our callback.
    digital_identity_discovery_url: str = Field(alias="DIGITAL_IDENTITY_DISCOVERY_URL")
    digital_identity_client_id: str = Field(alias="DIGITAL_IDENTITY_CLIENT_ID")
    digital_identity_client_secret_id: str = Field(alias="DIGITAL_IDENTITY_CLIENT_SECRET_ID")
    digital_identity_redirect_uri: str = Field(alias="DIGITAL_IDENTITY_REDIRECT_URI")
    # Its assurance levels, lowest first (comma-separated), and the least one accepted.
    digital_identity_acr_levels: str = Field("eidas1,eidas2,eidas3", alias="DIGITAL_IDENTITY_ACR_LEVELS")
    digital_identity_minimum_acr: str = Field("eidas2", alias="DIGITAL_IDENTITY_MINIMUM_ACR")
    # The operator's identity provider (staff), and its groups -> roles (JSON object; default: selfcare-<role>).
    staff_directory_discovery_url: str = Field(alias="STAFF_DIRECTORY_DISCOVERY_URL")
    staff_directory_client_id: str = Field(alias="STAFF_DIRECTORY_CLIENT_ID")
    staff_directory_client_secret_id: str = Field(alias="STAFF_DIRECTORY_CLIENT_SECRET_ID")
    staff_directory_redirect_uri: str = Field(alias="STAFF_DIRECTORY_REDIRECT_URI")
    staff_directory_group_roles: str | None = Field(None, alias="STAFF_DIRECTORY_GROUP_ROLES")

    def acr_levels(self) -> tuple[str, ...]:
        return tuple(level.strip() for level in self.digital_identity_acr_levels.split(",") if level.strip())


# --- Audit trail (issue 9, sections 3 and 4) -------------------------------------------------------------
class AuditDigestSettings(_FromEnv):
    """Function `audit_digest`: hourly signed digest of the audit trail's chain heads."""

    audit_log_table: str = Field(alias="AUDIT_LOG_TABLE")
    audit_digest_bucket: str = Field(alias="AUDIT_DIGEST_BUCKET_NAME")
    audit_digest_key_id: str = Field(alias="AUDIT_DIGEST_KEY_ID")


class AuditReadSettings(_FromEnv):
    """Function `audit`: staff reads of a customer's connection log and audit trail."""

    connection_log_table: str = Field(alias="CONNECTION_LOG_TABLE")
    audit_log_table: str = Field(alias="AUDIT_LOG_TABLE")


AUDIT_PSEUDONYM_KEY_VARIABLE = "AUDIT_PSEUDONYM_KEY_SECRET_ID"


def audit_pseudonym_key(environ: Mapping[str, str] | None = None) -> SecretsManagerHashKey | None:
    """The audit targets' pseudonym key (read on first use), for every function that appends to the trail."""
    secret_id = (os.environ if environ is None else environ).get(AUDIT_PSEUDONYM_KEY_VARIABLE)
    return SecretsManagerHashKey(secret_id) if secret_id else None


class SmsSettings(_FromEnv):
    """Commercial SMS governance: functions `sms_providers`, `sms_gateway`, `sms_campaigns`, `sms_inbound`."""

    sms_table: str = Field(alias="SMS_TABLE")
    audit_log_table: str = Field(alias="AUDIT_LOG_TABLE")
    # sms_providers only: the customer's mobile lines and consents (the read model).
    customers_table: str | None = Field(None, alias="CUSTOMERS_TABLE")
    # sms_gateway only: where a started campaign's batches go.
    campaign_queue_url: str | None = Field(None, alias="SMS_CAMPAIGN_QUEUE_URL")
    # The opt-out mention: one of these keywords (comma-separated), then the short number within this many characters.
    opt_out_keywords: str = Field("STOP", alias="SMS_OPT_OUT_KEYWORDS", min_length=1)
    mention_max_gap: int = Field(24, alias="SMS_MENTION_MAX_GAP", ge=0, le=160)
    # No commercial SMS in this local-time window ("HH:MM-HH:MM", may cross midnight); "" or equal ends: none.
    night_window: str = Field("22:00-08:00", alias="SMS_NIGHT_WINDOW", pattern=r"^$|^\d{2}:\d{2}-\d{2}:\d{2}$")
    timezone: str = Field("Europe/Monaco", alias="SMS_TIMEZONE")
    # A plain STOP opts out of the short number's SMS ("short_number") or of every commercial SMS ("all").
    opt_out_scope: str = Field("short_number", alias="SMS_OPT_OUT_SCOPE", pattern=r"^(short_number|all)$")
    # The operator's own commercial SMS: its sender id and the short number its recipients answer STOP to.
    operator_sender_id: str = Field("OPERATOR", alias="SMS_OPERATOR_SENDER_ID", min_length=1, max_length=11)
    operator_short_number: str = Field("36100", alias="SMS_OPERATOR_SHORT_NUMBER", pattern=r"^\d{3,8}$")
    operator_throughput_per_second: int = Field(50, alias="SMS_OPERATOR_THROUGHPUT", ge=1)
    # Suspension proposals: above these in a month.
    missing_mention_rate: float = Field(0.05, alias="SMS_PROPOSAL_MISSING_MENTION_RATE", gt=0, le=1)
    complaints_per_10k: float = Field(5.0, alias="SMS_PROPOSAL_COMPLAINTS_PER_10K", gt=0)
    proposal_min_submitted: int = Field(20, alias="SMS_PROPOSAL_MIN_SUBMITTED", ge=1)


# --- Privacy (issue 10, sections 2 and 3) ----------------------------------------------------------------------
class UsageStatsSettings(_FromEnv):
    """Every function with a route: where its answers are counted (absent: not counted)."""

    usage_stats_table: str | None = Field(None, alias="USAGE_STATS_TABLE")


class PrivacySettings(_FromEnv):
    """Function `privacy`: the notice's operator identity, and the stores read for a customer's categories."""

    customers_table: str = Field(alias="CUSTOMERS_TABLE")
    credentials_table: str = Field(alias="CREDENTIALS_TABLE")
    sessions_table: str = Field(alias="SESSIONS_TABLE")
    connection_log_table: str = Field(alias="CONNECTION_LOG_TABLE")
    usage_stats_table: str = Field(alias="USAGE_STATS_TABLE")
    # The controller named by the notice (the operator deploying Selfcare): the CDK context `operator_identity`.
    operator_name: str = Field(alias="OPERATOR_NAME")
    operator_address: str = Field(alias="OPERATOR_ADDRESS")
    operator_privacy_email: str = Field(alias="OPERATOR_PRIVACY_EMAIL")
    operator_postal_contact: str = Field(alias="OPERATOR_POSTAL_CONTACT")


# --- Data-subject rights (issue 10, section 1) ------------------------------------------------------------
class RightsSettings(_FromEnv):
    customers_table: str = Field(alias="CUSTOMERS_TABLE")
    audit_log_table: str = Field(alias="AUDIT_LOG_TABLE")
    notification_sender: str = Field(alias="NOTIFICATION_SENDER")
    rights_bucket_name: str = Field(alias="RIGHTS_BUCKET_NAME")
    # The API function enqueues exports; the worker does not need it (empty there).
    rights_export_queue_url: str = Field("", alias="RIGHTS_EXPORT_QUEUE_URL")
    # Asking for one's data needs an authentication younger than this (as the contact changes).
    recent_auth_seconds: int = Field(300, alias="RECENT_AUTH_SECONDS", ge=30, le=3600)
    download_link_seconds: int = Field(300, alias="RIGHTS_DOWNLOAD_LINK_SECONDS", ge=30, le=3600)


class RightsExportSettings(RightsSettings):
    """The export worker: it reads every store of the personal-data registry."""

    credentials_table: str = Field(alias="CREDENTIALS_TABLE")
    sessions_table: str = Field(alias="SESSIONS_TABLE")
    connection_log_table: str = Field(alias="CONNECTION_LOG_TABLE")
    invoices_bucket_name: str = Field(alias="INVOICES_BUCKET_NAME")
    sms_table: str = Field(alias="SMS_TABLE")  # the customers' reports of unwanted commercial SMS


class IncidentTrackerSettings(_FromEnv):
    """Staff grants bound to an open incident (issue 8): the operator's incident tracker (functions `auth` and
    `audit`). Empty URL (no CDK context `incident_tracker_url`): no tracker, what needs an open incident is refused
    with 503 incident_tracker_unavailable (selfcare.ports.incident_tracker.UnconfiguredIncidentTracker)."""

    incident_tracker_url: str = Field("", alias="INCIDENT_TRACKER_URL")
    incident_tracker_token_secret_id: str = Field("", alias="INCIDENT_TRACKER_TOKEN_SECRET_ID")
    incident_tracker_timeout_seconds: float = Field(2.0, alias="INCIDENT_TRACKER_TIMEOUT_SECONDS", gt=0, le=10)
