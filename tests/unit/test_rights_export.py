"""The right-of-access export against the personal-data registry (issue 10): a routine per locator (a store of a
new kind without export support fails here), every store in the document with its purpose and retention, the
secrets withheld, the clock in calendar months."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from selfcare.dal.rights import Found, PersonalDataReader
from selfcare.privacy.registry import REGISTRY, Locator
from selfcare.rights import export
from selfcare.rights.models import days_left, due_at


def test_the_reader_has_a_routine_for_every_locator_of_the_registry() -> None:
    reader = PersonalDataReader("c", "cr", "s", "cl", "a", "b", "sms")
    assert set(reader.routines) == set(Locator)
    assert {s.locator for s in REGISTRY} <= set(reader.routines)


def test_every_store_is_in_the_document_per_category_and_secrets_are_withheld() -> None:
    # Given what the reader found: a credential (with its hash) and a profile
    found = Found()
    by_name = {s.name: s for s in REGISTRY}
    found.add(by_name["credential"], {"pk": "PRINCIPAL#C1", "password_hash": "$argon2id$v=19$secret", "email": "a@b.c"})
    found.add(by_name["customer profile"], {"pk": "CUSTOMER#C1", "sk": "PROFILE", "last_name": "Zqx"})
    # When the document is built
    document = export.build_document("C1", "DSR-1", found, datetime(2026, 11, 26, tzinfo=UTC))
    # Then every store is there once, under its category, with fields, purpose and retention
    sections = [(c["category"], s) for c in document["categories"] for s in c["stores"]]
    assert sorted(s["store"] for _, s in sections) == sorted(s.name for s in REGISTRY)
    for category, section in sections:
        store = by_name[section["store"]]
        assert category == store.category.value and section["retention"] == store.retention
        assert section["fields"] == list(store.fields) and section["purpose"] == store.purpose
        assert ("note" in section) == (store.locator is Locator.NOT_LINKED)
    text = export.to_json(document).decode()
    assert "Zqx" in text and "a@b.c" in text and "argon2" not in text and '"pk"' not in text
    pdf = export.to_pdf(document)
    assert pdf.startswith(b"%PDF") and len(pdf) > 1000
    assert json.loads(text)["request_id"] == "DSR-1"


def test_the_answer_is_due_one_calendar_month_after_receipt() -> None:
    assert due_at(datetime(2026, 1, 31, 10, tzinfo=UTC)) == datetime(2026, 2, 28, 10, tzinfo=UTC)
    assert due_at(datetime(2026, 11, 26, 9, tzinfo=UTC)) == datetime(2026, 12, 26, 9, tzinfo=UTC)
    assert days_left(datetime(2026, 12, 26, 9, tzinfo=UTC), datetime(2026, 11, 26, 23, tzinfo=UTC)) == 30
    assert days_left(datetime(2026, 12, 26, 9, tzinfo=UTC), datetime(2026, 12, 28, 1, tzinfo=UTC)) == -2


def _pdf_text(pdf: bytes) -> str:
    """The text shown by the PDF's pages: its content streams, inflated (fpdf2 writes FlateDecode streams)."""
    import re
    import zlib

    texts = []
    for stream in re.findall(rb"stream\r?\n(.*?)\r?\nendstream", pdf, re.S):
        try:
            texts.append(zlib.decompress(stream).decode("latin-1"))
        except zlib.error:
            texts.append(stream.decode("latin-1"))
    return "\n".join(texts)


def test_the_pdf_says_plainly_where_it_lists_only_part_of_a_store() -> None:
    # Given 10,000 usage records and 3 invoices found for the customer
    found = Found()
    usage = next(s for s in REGISTRY if s.locator is Locator.USAGE_PARTITIONS)
    invoices = next(s for s in REGISTRY if s.locator is Locator.INVOICE_OBJECTS)
    for n in range(10_000):
        found.add(usage, {"record_id": f"R{n:05d}", "called_number": "+33612345678"})
    for n in range(3):
        found.add(invoices, {"object": f"invoices/C1/INV-{n}.pdf"})
    document = export.build_document("C1", "DSR-1", found, datetime(2026, 11, 26, tzinfo=UTC))
    # When the PDF is made
    text = _pdf_text(export.to_pdf(document))
    # Then the usage store says it shows 200 of 10,000 and that the JSON file holds them all (before and after)
    assert text.count("200 of 10,000 shown; the JSON file holds them all.") == 2
    assert "R00199" in text and "R00200" not in text
    # and a store listed whole says nothing of the kind (only the usage store is cut)
    assert text.count("shown; the JSON file holds them all") == 2
    assert "INV-2.pdf" in text
    # while the JSON holds every record
    assert export.to_json(document).decode().count('"record_id"') == 10_000
