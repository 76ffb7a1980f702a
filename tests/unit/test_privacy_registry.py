"""The personal-data registry (selfcare.privacy.registry) against the code: every table, the retention constants,
the anonymisation's routines. The items themselves: tests/integration/test_pii_sweep.py (every item written after
a full seed is on the registry; nothing personal survives the anonymisation)."""

from __future__ import annotations

import inspect

import pytest
from selfcare.billing.models import INVOICE_MONTHS, PAYMENT_MONTHS, USAGE_MONTHS
from selfcare.dal import erasure
from selfcare.dal.logs import RETENTION_MONTHS
from selfcare.privacy import registry
from selfcare.privacy.registry import REGISTRY, Action, Locator, store_of
from selfcare.retention.rules import ANONYMISE_AFTER_MONTHS, HIDE_AFTER_MONTHS

from infra import definitions as d


def test_every_table_has_registry_entries_and_the_same_keys() -> None:
    # Given every table the stacks create, when the registry is read, then each has entries and its key names
    for table in d.TABLES:
        if table.logical_id in registry.NON_PERSONAL_TABLES:
            # Declared as holding no personal data at all: then it has no entry.
            assert not [s for s in REGISTRY if s.location == table.logical_id], table.logical_id
        else:
            assert [s for s in REGISTRY if s.location == table.logical_id], table.logical_id
        sort_key = table.sort_key.name if table.sort_key else None
        assert registry.TABLE_KEYS[table.logical_id] == (table.partition_key.name, sort_key)
    assert set(registry.TABLE_KEYS) == {t.logical_id for t in d.TABLES}
    assert [s for s in REGISTRY if s.location == registry.INVOICES_BUCKET]


def test_every_entry_says_what_the_export_and_the_notice_need() -> None:
    for store in REGISTRY:
        assert store.name and store.purpose and store.retention, store
        assert isinstance(store.category, registry.Category) and isinstance(store.anonymisation, Action)
        if store.anonymisation is Action.ERASE_FIELDS:
            assert store.erased or store.overwritten, store.name
    assert len({(s.location, s.pk_prefix, s.sk_prefix) for s in REGISTRY}) == len(REGISTRY)


def test_retention_periods_come_from_the_constants_the_code_enforces() -> None:
    assert registry.LOG_MONTHS == RETENTION_MONTHS == d.LOG_RETENTION_MONTHS
    by_name = {s.name: s for s in REGISTRY}
    assert f"{INVOICE_MONTHS} months" in by_name["invoices"].retention
    assert f"{PAYMENT_MONTHS} months" in by_name["payments"].retention
    assert f"{USAGE_MONTHS} months" in by_name["usage records"].retention
    assert f"hidden {HIDE_AFTER_MONTHS} month" in by_name["customer profile"].retention
    assert f"{ANONYMISE_AFTER_MONTHS // 12} years" in by_name["customer profile"].retention


def test_the_anonymisation_has_a_routine_for_every_locator() -> None:
    # The erasure dispatches on these: a new locator without a routine fails here.
    source = inspect.getsource(erasure)
    routines = {
        Locator.CUSTOMER_PARTITION: "query_all(",
        Locator.SIM_CLAIMS: "def _claim",
        Locator.PAYMENT_REFERENCES: "def _payment_reference",
        Locator.USAGE_PARTITIONS: "def _usage_keys",
        Locator.CREDENTIAL: "def _credentials",
        Locator.SESSIONS: "def _sessions_and_grants",
        Locator.GRANTS: "def _sessions_and_grants",
        Locator.CONNECTION_LOG: "def _connection_log",
        Locator.INVOICE_OBJECTS: "def _invoice_objects",
        Locator.RETENTION_STEP: "RETENTION_STEP",
        Locator.NOT_LINKED: "NOT_LINKED",
        Locator.SMS_COMPLAINTS: "SMS_COMPLAINTS",
        Locator.NEVER: "NEVER",
    }
    assert set(routines) == set(Locator)
    for locator, marker in routines.items():
        assert marker in source, locator


@pytest.mark.parametrize(
    ("location", "pk", "sk", "name"),
    [
        (registry.CUSTOMERS, "CUSTOMER#C1", "PROFILE", "customer profile"),
        (registry.CUSTOMERS, "CUSTOMER#C1", "INVOICE#2026#I1", "invoices"),
        (registry.CUSTOMERS, "CUSTOMER#C1", "INVOICE_ID#I1", "invoice aliases"),
        (registry.CUSTOMERS, "CUSTOMER#C1", "LINE#M-1#BOX#b1", "lines and services"),
        (registry.CUSTOMERS, "CUSTOMER#C1", "RETENTION#Hide", "pending retention steps"),
        (registry.CUSTOMERS, "USAGE#C1#M-1#CALL", "2026#U1", "usage records"),
        (registry.CUSTOMERS, "ICCID#8933", "ICCID#8933", "SIM claims"),
        (registry.CREDENTIALS, "THROTTLE#IP#ab", None, "address throttle counters"),
        (registry.CREDENTIALS, "THROTTLE#ID#ab", None, "identifier throttle counters"),
        (registry.IDEMPOTENCY, "crm-event#e1", None, "CRM event receipts"),
        (registry.IDEMPOTENCY, "tv.subscribe#abc", None, "idempotency records"),
        (registry.AUDIT_LOG, "customer#C1", "2026#x", "audit trail"),
        (registry.INVOICES_BUCKET, "invoices/C1/I1.pdf", None, "invoice PDFs"),
    ],
)
def test_an_item_is_found_by_its_longest_matching_prefixes(location: str, pk: str, sk: str | None, name: str) -> None:
    store = store_of(location, pk, sk)
    assert store is not None and store.name == name


def test_an_unknown_kind_has_no_entry() -> None:
    assert store_of(registry.CUSTOMERS, "CUSTOMER#C1", "SOMETHING_NEW#1") is None
    assert store_of(registry.SESSIONS, "NEWKIND#1") is None
