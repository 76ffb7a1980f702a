"""The local stack's demo invoice PDFs: one per demo invoice the projection wrote (its `pdf_key`),
rendered with fpdf2 and stored in the invoices bucket on moto, so that the presigned URLs the billing
capability hands out download a real PDF."""

from __future__ import annotations

import os
from datetime import UTC, datetime


def invoice_pdf(invoice_id: str, customer_id: str, issued_at: str, amount_cents: int, currency: str) -> bytes:
    from fpdf import FPDF  # heavy: imported only where used

    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("Helvetica", size=16)
    pdf.cell(0, 12, f"Invoice {invoice_id}", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", size=11)
    pdf.cell(0, 8, f"Customer {customer_id}", new_x="LMARGIN", new_y="NEXT")
    pdf.cell(0, 8, f"Issued {issued_at[:10]}", new_x="LMARGIN", new_y="NEXT")
    pdf.cell(0, 8, f"Amount {amount_cents / 100:.2f} {currency}", new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())


def store_invoice_pdfs(bucket: str, customer_ids: list[str]) -> int:
    """A PDF for every invoice of these customers that names one; returns how many were stored."""
    from selfcare.dal.billing import BillingRepository
    from selfcare.dal.invoice_documents import InvoiceDocuments

    repository = BillingRepository(os.environ["CUSTOMERS_TABLE"])
    documents = InvoiceDocuments(bucket)
    stored = 0
    for customer_id in customer_ids:
        for invoice in repository.invoices(customer_id, datetime.now(UTC)):
            if invoice.pdf_key:
                document = invoice_pdf(
                    invoice.invoice_id, customer_id, invoice.issued_at, invoice.amount_cents, invoice.currency
                )
                documents.put_pdf(invoice.pdf_key, document)
                stored += 1
    return stored
