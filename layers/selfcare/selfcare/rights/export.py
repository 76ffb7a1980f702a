"""The export of a request of access: every store of the personal-data registry, per category of data, with its
purpose and retention, as a machine-readable JSON document and a readable PDF (fpdf2, imported only here).

Pure: it receives what the reader (selfcare.dal.rights.PersonalDataReader) found and the registry, and returns
bytes. Every registry store appears (with its declared fields, purpose and retention), found items or not; the
stores nothing links to a customer (Locator.NOT_LINKED) say so. Security secrets the customer never sees in
clear (password hash, code and refresh-token digests) are replaced by a mention that they are held.
"""

from __future__ import annotations

import json
from datetime import datetime
from decimal import Decimal
from typing import Any

from selfcare.clock import iso
from selfcare.dal.rights import Found
from selfcare.privacy.registry import REGISTRY, Category, Locator, Store

# Attributes held as one-way digests or hashes: the export says they exist, never their value.
WITHHELD = frozenset(
    {
        "password_hash",
        "code_digest",
        "refresh_digests",
        "refresh_digest",
        "previous_refresh_digests",
        "hash",
        "fingerprint",
    }
)
WITHHELD_TEXT = "(held: a one-way digest for security, not shown)"
# Key attributes of the tables (storage details, not data about the person).
INTERNAL = frozenset({"pk", "sk", "rights_queue", "retention_queue", "prev", "seq", "hour"})
NOT_LINKED_TEXT = (
    "Kept without a link to your customer account (or expiring within minutes to days): it cannot be found "
    "from your account, so nothing of it is listed here."
)
PDF_ITEMS_PER_STORE = 200  # the PDF lists this many items per store; the JSON file has them all


def _clean(value: Any) -> Any:
    if isinstance(value, dict):
        return {
            k: (WITHHELD_TEXT if k in WITHHELD else _clean(v)) for k, v in sorted(value.items()) if k not in INTERNAL
        }
    if isinstance(value, list | tuple | set | frozenset):
        return [_clean(v) for v in (sorted(value, key=str) if isinstance(value, set | frozenset) else value)]
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, bytes):
        return WITHHELD_TEXT
    return value


def _store_section(store: Store, found: Found) -> dict[str, Any]:
    section: dict[str, Any] = {
        "store": store.name,
        "fields": list(store.fields),
        "purpose": store.purpose,
        "retention": store.retention,
        "items": [_clean(i) for i in found.items.get(store.name, [])],
    }
    if store.locator is Locator.NOT_LINKED:
        section["note"] = NOT_LINKED_TEXT
    return section


def build_document(customer_id: str, request_id: str, found: Found, generated_at: datetime) -> dict[str, Any]:
    """Per category (registry order), every store with its fields, purpose, retention and the customer's items."""
    categories: dict[Category, list[dict[str, Any]]] = {}
    for store in REGISTRY:
        categories.setdefault(store.category, []).append(_store_section(store, found))
    return {
        "customer_id": customer_id,
        "request_id": request_id,
        "generated_at": iso(generated_at),
        "categories": [{"category": c.value, "stores": sections} for c, sections in categories.items()],
    }


def to_json(document: dict[str, Any]) -> bytes:
    return json.dumps(document, ensure_ascii=False, indent=1, default=str).encode()


def _latin1(text: str) -> str:
    # The PDF's core font is Latin-1: anything else is shown as '?', never an error.
    return text.encode("latin-1", "replace").decode("latin-1")


def _flat(value: Any) -> str:
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False, default=str)
    return str(value)


def truncation_note(count: int) -> str | None:
    """What the PDF says where it lists only the first PDF_ITEMS_PER_STORE items of a store."""
    if count <= PDF_ITEMS_PER_STORE:
        return None
    return f"{PDF_ITEMS_PER_STORE:,} of {count:,} shown; the JSON file holds them all."


def to_pdf(document: dict[str, Any]) -> bytes:
    from fpdf import FPDF  # heavy: only the worker builds PDFs

    pdf = FPDF(format="A4")
    pdf.set_auto_page_break(auto=True, margin=15)
    pdf.set_title("Your personal data held by Selfcare")
    width = 180

    def line(text: str, size: int = 9, style: str = "") -> None:
        pdf.set_font("helvetica", style, size)
        pdf.set_x(15)
        pdf.multi_cell(width, size * 0.5, _latin1(text))

    pdf.add_page()
    line("Your personal data held by Selfcare", 16, "B")
    line(f"Request {document['request_id']}, generated {document['generated_at']}.")
    line(
        "One section per category of data: each store says what it holds, why (purpose) and how long it is kept "
        "(retention), then what it holds about you. The JSON file holds the same data, machine-readable."
    )
    for category in document["categories"]:
        pdf.add_page()
        line(f"Category: {category['category']}", 14, "B")
        for section in category["stores"]:
            pdf.ln(2)
            line(section["store"], 11, "B")
            line(f"Fields: {', '.join(section['fields']) or '-'}")
            line(f"Purpose: {section['purpose']}")
            line(f"Retention: {section['retention']}")
            if "note" in section:
                line(section["note"], 9, "I")
                continue
            items = section["items"]
            if not items:
                line("Nothing held about you in this store.", 9, "I")
                continue
            truncated = truncation_note(len(items))
            if truncated:  # said before the list and after it: a reader of either end knows
                line(truncated, 9, "B")
            for n, item in enumerate(items[:PDF_ITEMS_PER_STORE], start=1):
                fields = item.items() if isinstance(item, dict) else [("value", item)]
                line(f"{n}. " + "; ".join(f"{k}: {_flat(v)}" for k, v in fields), 8)
            if truncated:
                line(truncated, 9, "B")
    return bytes(pdf.output())
