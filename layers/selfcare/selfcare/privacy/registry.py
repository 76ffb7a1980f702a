"""The personal-data registry: every place Selfcare keeps data about a person, in one list (SPEC.md, Personal-data
registry; STYLE.md 10c).

Pure data (and two lookups). Each `Store` names where the data is (a table by its logical id in
infra/definitions.py and the key prefixes of its items, or the invoices bucket), what it holds (`fields`), its
`category`, its `purpose`, its `retention` (from the constants the code enforces) and what the anonymisation does
to it (`anonymisation`), and how the anonymisation finds a customer's items (`locator`). Readers:
- the anonymisation (selfcare.dal.erasure): dispatches every item it finds on this list, and has one routine per
  `Locator`;
- the right-of-access export and the information notice (later issues): fields, category, purpose, retention;
- tests/unit/test_privacy_registry.py and tests/integration/test_pii_sweep.py: every table of definitions.TABLES
  and every key prefix the code writes after a full seed has an entry here; a new store without one fails them.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from selfcare.billing.models import INVOICE_MONTHS, PAYMENT_MONTHS, USAGE_MONTHS
from selfcare.retention.rules import ANONYMISE_AFTER_MONTHS, HIDE_AFTER_MONTHS

# Table logical ids (infra/definitions.py; a test keeps them equal) and the bucket.
CUSTOMERS = "CustomersTable"
SESSIONS = "SessionsTable"
CREDENTIALS = "CredentialsTable"
CONNECTION_LOG = "ConnectionLogTable"
AUDIT_LOG = "AuditLogTable"
IDEMPOTENCY = "IdempotencyTable"
SMS = "SmsTable"
INVOICES_BUCKET = "bucket:invoices"
RIGHTS_BUCKET = "bucket:rights"  # data-subject rights (issue 10): the exports and the identity documents

LOG_MONTHS = 12  # connection log and audit trail (selfcare.dal.logs.RETENTION_MONTHS; a test keeps them equal)
ERASED = "ANONYMISED"  # what an overwritten free text reads


class Category(StrEnum):
    IDENTIFICATION = "identification"  # name, address, date of birth, digital-identity id, secret code
    CONTACT = "contact"  # email, phone numbers
    CONTRACT = "contract"  # lines, offers, options, equipment, SIMs
    BILLING = "billing"  # invoices, payments, billing address
    BANKING = "banking"  # payment method (masked), holder
    TRAFFIC = "traffic"  # usage records, called numbers, VOD views
    CONNECTION = "connection"  # login attempts
    AUTHENTICATION = "authentication"  # credentials, sessions, codes
    SUPPORT = "support"  # tickets
    CONSENT = "consent"  # newsletter / survey decisions
    AUDIT = "audit"  # who did what, pseudonymous
    TECHNICAL = "technical"  # technical identifiers only (customer id, payment id)


class Action(StrEnum):
    """What the anonymisation (5 years after the end of the contract) does to the store."""

    DELETE = "delete"
    ERASE_FIELDS = "erase_fields"  # the item stays; `erased` fields removed, `overwritten` fields replaced
    ANONYMISE_PROFILE = "anonymise_profile"  # the profile, last: its marker says the whole is done
    KEEP = "keep"  # kept as is: no direct identifier once the profile is anonymised (the consents' history)
    KEEP_PSEUDONYMOUS = "keep_pseudonymous"  # never touched: no direct identifier by construction (audit trail)
    EXPIRES = "expires"  # not findable by customer: its TTL removes it long before the anonymisation is due


class Locator(StrEnum):
    """How the anonymisation finds one customer's items of a store (one routine each in selfcare.dal.erasure)."""

    CUSTOMER_PARTITION = "customer_partition"  # CUSTOMER#<id>, by sort-key prefix
    RETENTION_STEP = "retention_step"  # CUSTOMER#<id> / RETENTION#<step>: deleted by its own step
    SIM_CLAIMS = "sim_claims"  # ICCID#<iccid> named by the customer's lines (`iccid`)
    PAYMENT_REFERENCES = "payment_references"  # PAYREF#<payment id> named by the customer's payments
    USAGE_PARTITIONS = "usage_partitions"  # USAGE#<id>#<line>[#<type>] of the customer's lines and usage lines
    CREDENTIAL = "credential"  # PRINCIPAL#<id> and the LOGIN# keys it names
    SESSIONS = "sessions"  # SESSION# items of the principal (index by_principal)
    GRANTS = "grants"  # GRANT# items naming the customer (index by_customer)
    CONNECTION_LOG = "connection_log"  # partition customer#<id>
    INVOICE_OBJECTS = "invoice_objects"  # invoices/<id>/ in the bucket, and the invoices' pdf_key
    SMS_COMPLAINTS = "sms_complaints"  # COMPLAINT#<provider> items whose customer_id is the customer's
    NOT_LINKED = "not_linked"  # nothing links it to the customer: expiry only
    NEVER = "never"  # the audit trail: the anonymisation has no right on it


@dataclass(frozen=True)
class Store:
    name: str
    location: str  # a table's logical id, or INVOICES_BUCKET
    pk_prefix: str  # the item's partition-key prefix ("" for any)
    sk_prefix: str | None  # the item's sort-key prefix (None: the table has no sort key, or any)
    fields: tuple[str, ...]  # what it holds about a person
    category: Category
    purpose: str
    retention: str
    anonymisation: Action
    locator: Locator
    erased: tuple[str, ...] = ()  # ERASE_FIELDS: removed (dotted paths reach into maps)
    overwritten: tuple[tuple[str, object], ...] = ()  # ERASE_FIELDS: replaced by the value


AFTER_TERMINATION = (
    f"until the end of the contract; hidden {HIDE_AFTER_MONTHS} month after it, "
    f"handled at anonymisation {ANONYMISE_AFTER_MONTHS // 12} years after it"
)

REGISTRY: tuple[Store, ...] = (
    # --- Customers table: the read model, one partition per customer --------------------------------------
    Store(
        "customer profile",
        CUSTOMERS,
        "CUSTOMER#",
        "PROFILE",
        (
            "last_name",
            "first_name",
            "company_name",
            "trade_name",
            "address",
            "sales_representative",
            "contact_email",
            "contact_mobile",
            "contact_landline",
            "service_secret_code",
            "digital_identity_id",
            "account_number",
        ),
        Category.IDENTIFICATION,
        "show and change the customer record in the space",
        AFTER_TERMINATION + "; customer id, account number, type and country kept for accounting",
        Action.ANONYMISE_PROFILE,
        Locator.CUSTOMER_PARTITION,
    ),
    Store(
        "billing summary and settings",
        CUSTOMERS,
        "CUSTOMER#",
        "BILLING",
        ("settings.address", "settings.payment_method.holder", "settings.payment_method.masked", "pending_payment"),
        Category.BANKING,
        "amount due, billing settings, the payment in progress",
        AFTER_TERMINATION,
        Action.ERASE_FIELDS,
        Locator.CUSTOMER_PARTITION,
        erased=("settings.address", "settings.payment_method.holder", "pending_payment"),
    ),
    Store(
        "invoices",
        CUSTOMERS,
        "CUSTOMER#",
        "INVOICE#",
        ("amount_cents", "due_date", "pdf_key"),
        Category.BILLING,
        "show the invoices and their PDFs",
        f"{INVOICE_MONTHS} months from issue (TTL expires_at)",
        Action.DELETE,
        Locator.CUSTOMER_PARTITION,
    ),
    Store(
        "invoice aliases",
        CUSTOMERS,
        "CUSTOMER#",
        "INVOICE_ID#",
        ("amount_cents", "due_date", "pdf_key"),
        Category.BILLING,
        "find an invoice by its id (PDF download)",
        f"{INVOICE_MONTHS} months from issue (TTL expires_at)",
        Action.DELETE,
        Locator.CUSTOMER_PARTITION,
    ),
    Store(
        "payments",
        CUSTOMERS,
        "CUSTOMER#",
        "PAYMENT#",
        ("amount_cents", "method", "redirect_url"),
        Category.BILLING,
        "payment history",
        f"{PAYMENT_MONTHS} months (TTL expires_at)",
        Action.DELETE,
        Locator.CUSTOMER_PARTITION,
    ),
    Store(
        "payment references",
        CUSTOMERS,
        "PAYREF#",
        "PAYREF#",
        ("customer_id", "payment_sk"),
        Category.TECHNICAL,
        "find the payment a provider's webhook names",
        f"{PAYMENT_MONTHS} months, like the payment (TTL expires_at)",
        Action.DELETE,
        Locator.PAYMENT_REFERENCES,
    ),
    Store(
        "provider webhooks processed",
        CUSTOMERS,
        "WEBHOOK#",
        "WEBHOOK#",
        (),
        Category.TECHNICAL,
        "refuse a replayed webhook (no personal data: the webhook id only)",
        "a few days past the signature's tolerance (TTL expires_at)",
        Action.EXPIRES,
        Locator.NOT_LINKED,
    ),
    Store(
        "usage records",
        CUSTOMERS,
        "USAGE#",
        None,
        ("line_number", "called_number", "started_at", "origin_country", "destination_country", "amounts"),
        Category.TRAFFIC,
        "usage detail over the last 6 months, and its CSV export",
        f"{USAGE_MONTHS} months from the call (TTL expires_at)",
        Action.DELETE,
        Locator.USAGE_PARTITIONS,
    ),
    Store(
        "usage lines",
        CUSTOMERS,
        "CUSTOMER#",
        "USAGE_LINES",
        ("line_ids",),
        Category.TECHNICAL,
        "which lines have usage partitions (the anonymisation finds them without a scan)",
        AFTER_TERMINATION,
        Action.DELETE,
        Locator.CUSTOMER_PARTITION,
    ),
    Store(
        "lines and services",
        CUSTOMERS,
        "CUSTOMER#",
        "LINE#",
        (
            "number",
            "offer",
            "options",
            "user",
            "iccid",
            "puk",
            "pin",
            "forwarding",
            "boxes",
            "mailboxes",
            "tv_login",
            "vod (references anonymised)",
            "charges",
        ),
        Category.CONTRACT,
        "show and manage the subscribed lines, their equipment and services",
        AFTER_TERMINATION,
        Action.DELETE,
        Locator.CUSTOMER_PARTITION,
    ),
    Store(
        "SIM claims",
        CUSTOMERS,
        "ICCID#",
        "ICCID#",
        ("iccid", "customer_id", "line_id (holds the phone number)"),
        Category.CONTRACT,
        "one SIM, one line",
        AFTER_TERMINATION,
        Action.DELETE,
        Locator.SIM_CLAIMS,
    ),
    Store(
        "support tickets",
        CUSTOMERS,
        "CUSTOMER#",
        "TICKET#",
        ("subject", "description", "notes", "related_line_id (holds the phone number)", "history"),
        Category.SUPPORT,
        "support requests and their follow-up",
        AFTER_TERMINATION + "; kept for statistics without text or line",
        Action.ERASE_FIELDS,
        Locator.CUSTOMER_PARTITION,
        erased=("related_line_id", "related_invoice_id"),
        overwritten=(("subject", ERASED), ("description", ERASED), ("notes", [])),
    ),
    Store(
        "ticket idempotency records",
        CUSTOMERS,
        "CUSTOMER#",
        "TICKET_REQUEST#",
        ("ticket_id", "request digest"),
        Category.SUPPORT,
        "a repeated ticket creation answers the same ticket",
        "24 hours (TTL expires_at)",
        Action.DELETE,
        Locator.CUSTOMER_PARTITION,
    ),
    Store(
        "consents history",
        CUSTOMERS,
        "CUSTOMER#",
        "CONSENT#",
        ("purpose", "state", "at", "channel", "by"),
        Category.CONSENT,
        "prove what the customer consented to or refused",
        "kept: identifies no one once the profile is anonymised",
        Action.KEEP,
        Locator.CUSTOMER_PARTITION,
    ),
    Store(
        "account links",
        CUSTOMERS,
        "CUSTOMER#",
        "LINK#",
        ("linked_customer_id", "account_number", "switched sessions"),
        Category.TECHNICAL,
        "account unification",
        AFTER_TERMINATION + "; both sides deleted",
        Action.DELETE,
        Locator.CUSTOMER_PARTITION,
    ),
    Store(
        "verification codes",
        CUSTOMERS,
        "CUSTOMER#",
        "VERIFY#",
        ("value (new email or mobile)", "code_digest", "target_customer_id"),
        Category.CONTACT,
        "confirm a new contact address; link another account",
        "10 minutes (TTL expires_at)",
        Action.DELETE,
        Locator.CUSTOMER_PARTITION,
    ),
    Store(
        "link code counters",
        CUSTOMERS,
        "CUSTOMER#",
        "THROTTLE#",
        ("count",),
        Category.TECHNICAL,
        "limit link-code requests",
        "one day (TTL expires_at)",
        Action.DELETE,
        Locator.CUSTOMER_PARTITION,
    ),
    Store(
        "CRM outbox items",
        CUSTOMERS,
        "CUSTOMER#",
        "OUTBOX#",
        ("payload (the CRM record: contact details, address, banking)",),
        Category.CONTACT,
        "tell the CRM about changes made in the space",
        "until published (deleted), 14 days at most (TTL expires_at)",
        Action.DELETE,
        Locator.CUSTOMER_PARTITION,
    ),
    Store(
        "pending retention steps",
        CUSTOMERS,
        "CUSTOMER#",
        "RETENTION#",
        ("customer_id", "terminated_at", "due_at"),
        Category.TECHNICAL,
        "the post-termination steps not yet completed (daily reconciliation)",
        "until the step completes: deleted by the step itself",
        Action.DELETE,
        Locator.RETENTION_STEP,
    ),
    Store(
        "customers' login keys",
        CUSTOMERS,
        "LOGIN#",
        "LOGIN",
        (
            "the identifier itself (contact email, contact mobile, line number, account number, login id)",
            "principal_id",
        ),
        Category.AUTHENTICATION,
        "find the customer from what they type; the keys follow the record's contacts (selfcare.dal.login_keys)",
        AFTER_TERMINATION,
        Action.DELETE,
        Locator.CREDENTIAL,
    ),
    # --- Credentials table ----------------------------------------------------------------------------------
    Store(
        "credential",
        CREDENTIALS,
        "PRINCIPAL#",
        None,
        ("password_hash", "login_id", "email", "phone", "account_number", "digital_identity_id"),
        Category.AUTHENTICATION,
        "log in",
        AFTER_TERMINATION + "; login refused (space closed) from the hide step",
        Action.DELETE,
        Locator.CREDENTIAL,
    ),
    Store(
        "login keys",
        CREDENTIALS,
        "LOGIN#",
        None,
        ("the identifier itself (email, phone, login id, account number)",),
        Category.AUTHENTICATION,
        "find the principal from what the person types",
        AFTER_TERMINATION,
        Action.DELETE,
        Locator.CREDENTIAL,
    ),
    Store(
        "digital identity's link",
        CREDENTIALS,
        "DIGITAL_IDENTITY#",
        None,
        (
            "subject (digital-identity id)",
            "principal_id",
            "account_number",
            "family and given names",
            "birth date",
            "linked_at",
        ),
        Category.IDENTIFICATION,
        "log in with the government digital identity (selfcare.dal.digital_identity)",
        AFTER_TERMINATION + "; removed by the customer at any time (DELETE /account/digital-identity)",
        Action.DELETE,
        Locator.CREDENTIAL,
    ),
    Store(
        "address throttle counters",
        CREDENTIALS,
        "THROTTLE#IP#",
        None,
        ("keyed digest (HMAC) of the source address", "failures", "blocked_until", "cleared"),
        Category.TECHNICAL,
        "slow down password guessing from one address; ask for a CAPTCHA after repeated failures",
        "one hour window (TTL expires_at); the address is never stored",
        Action.EXPIRES,
        Locator.NOT_LINKED,
    ),
    Store(
        "identifier throttle counters",
        CREDENTIALS,
        "THROTTLE#ID#",
        None,
        ("keyed digest (HMAC) of the typed identifier", "failures", "cleared"),
        Category.TECHNICAL,
        "ask for a CAPTCHA after repeated failed logins naming one identifier, known or not",
        "15 minutes after the last failure (TTL expires_at); the identifier is never stored",
        Action.EXPIRES,
        Locator.NOT_LINKED,
    ),
    # --- Sessions table -------------------------------------------------------------------------------------
    Store(
        "sessions",
        SESSIONS,
        "SESSION#",
        None,
        ("principal", "device (user agent)", "refresh digests", "created_at", "last_used_at"),
        Category.AUTHENTICATION,
        "keep a person logged in; list and revoke their sessions",
        "until expiry (TTL expires_at); revoked and flagged closed by the hide step",
        Action.DELETE,
        Locator.SESSIONS,
    ),
    Store(
        "assisted-access grants",
        SESSIONS,
        "GRANT#",
        None,
        ("customer_id", "staff_id", "reason"),
        Category.AUTHENTICATION,
        "let a staff member act in a customer's space",
        "until expiry (TTL expires_at); flagged closed by the hide step",
        Action.DELETE,
        Locator.GRANTS,
    ),
    Store(
        "activation codes",
        SESSIONS,
        "ACTIVATION#",
        None,
        ("digest of the identifier", "customer_id", "code digest", "wrong tries", "requests in the window"),
        Category.AUTHENTICATION,
        "activate the web account (first access) with a code sent to the contact on record",
        "15 minutes for the code, 24 hours for the request count (TTL expires_at)",
        Action.EXPIRES,
        Locator.NOT_LINKED,
    ),
    Store(
        "solved CAPTCHA challenges",
        SESSIONS,
        "CAPTCHA#",
        None,
        (),
        Category.TECHNICAL,
        "accept a solved proof-of-work challenge once (replay store); holds nothing about a person",
        "until the challenge expires, 5 minutes (TTL expires_at)",
        Action.EXPIRES,
        Locator.NOT_LINKED,
    ),
    Store(
        "request counters",
        SESSIONS,
        "COUNTER#",
        None,
        ("principal id or identifier digest in the key", "requests"),
        Category.TECHNICAL,
        "limit recovery emails per account and activation codes per identifier",
        "one window, 24 hours at most (TTL expires_at)",
        Action.EXPIRES,
        Locator.NOT_LINKED,
    ),
    Store(
        "digital-identity login attempts",
        SESSIONS,
        "OIDC#",
        None,
        ("nonce", "PKCE verifier"),
        Category.TECHNICAL,
        "bind a digital-identity redirect to its callback (state, nonce, PKCE)",
        "10 minutes, single use (TTL expires_at)",
        Action.EXPIRES,
        Locator.NOT_LINKED,
    ),
    Store(
        "digital-identity link tickets",
        SESSIONS,
        "DILINK#",
        None,
        ("subject", "family and given names", "birth date"),
        Category.IDENTIFICATION,
        "hold the verified claims of a first digital-identity login until the person proves control of an account",
        "10 minutes, single use (TTL expires_at)",
        Action.EXPIRES,
        Locator.NOT_LINKED,
    ),
    Store(
        "password recovery tokens",
        SESSIONS,
        "RECOVERY#",
        None,
        ("principal_id",),
        Category.AUTHENTICATION,
        "reset a forgotten password",
        "15 minutes (TTL expires_at)",
        Action.EXPIRES,
        Locator.NOT_LINKED,
    ),
    # --- Logs -----------------------------------------------------------------------------------------------
    Store(
        "connection log (customers)",
        CONNECTION_LOG,
        "customer#",
        None,
        ("login_used", "at", "customer_id", "status", "digital_identity_id", "account_number"),
        Category.CONNECTION,
        "connection log of every login attempt (SPEC.md)",
        f"{LOG_MONTHS} months from collection (TTL expires_at)",
        Action.ERASE_FIELDS,
        Locator.CONNECTION_LOG,
        erased=("login_used", "digital_identity_id", "account_number"),
    ),
    Store(
        "connection log (staff)",
        CONNECTION_LOG,
        "staff#",
        None,
        ("professional_email", "at", "status"),
        Category.CONNECTION,
        "connection log of every staff login attempt (SPEC.md)",
        f"{LOG_MONTHS} months from collection (TTL expires_at)",
        Action.EXPIRES,
        Locator.NOT_LINKED,
    ),
    Store(
        "audit trail",
        AUDIT_LOG,
        "",
        None,
        ("actor", "on_behalf_of", "action", "target", "at", "request_id", "grant_id"),
        Category.AUDIT,
        "who did what in a space, staff reads included",
        f"{LOG_MONTHS} months from collection (TTL expires_at); kept pseudonymous (no direct identifier by "
        "construction); append-only: the anonymisation never touches it",
        Action.KEEP_PSEUDONYMOUS,
        Locator.NEVER,
    ),
    # --- Idempotency table ----------------------------------------------------------------------------------
    Store(
        "CRM event receipts",
        IDEMPOTENCY,
        "crm-event#",
        None,
        (),
        Category.TECHNICAL,
        "apply each CRM event once (no personal data: the event id)",
        "35 days (TTL expiration)",
        Action.EXPIRES,
        Locator.NOT_LINKED,
    ),
    Store(
        "idempotency records",
        IDEMPOTENCY,
        "",
        None,
        ("the stored answer of a change (TV pack subscription)",),
        Category.CONTRACT,
        "a repeated request answers the first answer",
        "1 hour by default, 24 hours at most (IDEMPOTENCY_EXPIRY_SECONDS; TTL expiration)",
        Action.EXPIRES,
        Locator.NOT_LINKED,
    ),
    # --- Invoices bucket ------------------------------------------------------------------------------------
    Store(
        "invoice PDFs",
        INVOICES_BUCKET,
        "invoices/",
        None,
        ("the invoice document: name, address, lines, amounts",),
        Category.BILLING,
        "download an invoice",
        f"shown {INVOICE_MONTHS} months; deleted at anonymisation",
        Action.DELETE,
        Locator.INVOICE_OBJECTS,
    ),
    # --- Commercial SMS (selfcare.dal.sms): numbers are the providers' recipients, not linked to a customer ------
    Store(
        "commercial-SMS opt-out list",
        SMS,
        "OPTOUT#",
        "OPTOUT",
        ("phone number (E.164)", "scopes", "updated_at", "source"),
        Category.CONSENT,
        "honour STOP: every later commercial SMS to the number is refused",
        "as long as the objection stands (START removes it); not tied to a customer's contract",
        Action.KEEP,
        Locator.NOT_LINKED,
    ),
    Store(
        "commercial-SMS campaign recipients",
        SMS,
        "CAMPAIGN#",
        "BATCH#",
        ("recipients' phone numbers (the provider's own list)",),
        Category.CONTACT,
        "send a provider's campaign once to each recipient",
        "35 days (TTL expires_at; selfcare.dal.sms.BATCH_RETENTION_DAYS)",
        Action.EXPIRES,
        Locator.NOT_LINKED,
    ),
    Store(
        "commercial-SMS decisions",
        SMS,
        "CAMPAIGN#",
        "MSG#",
        ("recipient's phone number", "decision and reason", "status", "sent_at"),
        Category.TRAFFIC,
        "prove each decision (accepted, refused and why) to the regulator; per-recipient outcomes",
        f"{LOG_MONTHS} months (TTL expires_at)",
        Action.EXPIRES,
        Locator.NOT_LINKED,
    ),
    Store(
        "commercial-SMS complaints",
        SMS,
        "COMPLAINT#",
        None,
        ("customer_id", "line_id", "sender_id", "received_at", "text"),
        Category.SUPPORT,
        "count a customer's report of an unwanted SMS against the provider",
        f"{LOG_MONTHS} months (TTL expires_at), long before the anonymisation",
        Action.EXPIRES,
        Locator.SMS_COMPLAINTS,
    ),
)

# Tables that hold no personal data at all, so no entry above (a test demands every other table have entries).
USAGE_STATS = "UsageStatsTable"
NON_PERSONAL_TABLES: dict[str, str] = {
    # Issue 10: aggregate counters per day, route template, platform and outcome; no identifier of any kind
    # (selfcare.privacy.usage; tests/integration/test_usage_statistics.py scans the table for identifiers).
    USAGE_STATS: "usage statistics: aggregate counters, no identifier",
}
# --- Data-subject rights (issue 10, section 1; selfcare.dal.rights) ---------------------------------------------
RIGHTS_EXPORT_DAYS = 7  # the export files expire (the rights bucket's lifecycle rule, infra; a test keeps them equal)
IDENTITY_DOCUMENT_DAYS = 30  # an identity document is deleted on verification, at the latest after this
REGISTRY = (
    *REGISTRY,
    Store(
        "data-subject requests",
        CUSTOMERS,
        "CUSTOMER#",
        "RIGHTS#",
        (
            "kind (access, rectification)",
            "channel",
            "status",
            "received_at",
            "due_at",
            "requested changes (rectification)",
            "identity proof (method, verified_at)",
            "export files",
        ),
        Category.SUPPORT,
        "answer the customer's requests of access and rectification within one month, and prove it",
        AFTER_TERMINATION,
        Action.DELETE,
        Locator.CUSTOMER_PARTITION,
    ),
    Store(
        "data-subject request idempotency records",
        CUSTOMERS,
        "CUSTOMER#",
        "RIGHTS_REQUEST#",
        ("request_id", "request digest"),
        Category.SUPPORT,
        "a repeated request creation answers the same request",
        "24 hours (TTL expires_at)",
        Action.DELETE,
        Locator.CUSTOMER_PARTITION,
    ),
    Store(
        "access-request exports",
        RIGHTS_BUCKET,
        "exports/",
        None,
        ("the export itself: every store of this registry, as JSON and PDF",),
        Category.SUPPORT,
        "deliver the answer to a request of access (short-lived presigned URLs)",
        f"{RIGHTS_EXPORT_DAYS} days (the bucket's lifecycle rule)",
        Action.EXPIRES,
        Locator.NOT_LINKED,
    ),
    Store(
        "identity documents",
        RIGHTS_BUCKET,
        "identity-documents/",
        None,
        ("the copy of an identity document sent with a request by email or letter",),
        Category.IDENTIFICATION,
        "prove the requester is the data subject, where no code can reach the contact on record",
        f"deleted on verification, at the latest after {IDENTITY_DOCUMENT_DAYS} days (the bucket's lifecycle rule)",
        Action.EXPIRES,
        Locator.NOT_LINKED,
    ),
)

TABLE_KEYS: dict[str, tuple[str, str | None]] = {
    # logical id -> (partition key, sort key) names (infra/definitions.py; a test keeps them equal)
    CUSTOMERS: ("pk", "sk"),
    SESSIONS: ("pk", None),
    CREDENTIALS: ("pk", None),
    CONNECTION_LOG: ("principal", "sk"),
    AUDIT_LOG: ("subject", "sk"),
    IDEMPOTENCY: ("id", None),
    SMS: ("pk", "sk"),
    USAGE_STATS: ("pk", "sk"),
}


def store_of(location: str, pk: str, sk: str | None = None) -> Store | None:
    """The registry entry an item (or an object key) belongs to: the longest matching prefixes win."""
    found: Store | None = None
    best = (-1, -1)
    for store in REGISTRY:
        if store.location != location or not pk.startswith(store.pk_prefix):
            continue
        if store.sk_prefix is not None and (sk is None or not sk.startswith(store.sk_prefix)):
            continue
        rank = (len(store.pk_prefix), len(store.sk_prefix or ""))
        if rank > best:
            found, best = store, rank
    return found


def stores(location: str, locator: Locator | None = None) -> list[Store]:
    return [s for s in REGISTRY if s.location == location and (locator is None or s.locator is locator)]
