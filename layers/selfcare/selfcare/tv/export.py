"""PDF export of the VOD consumption. fpdf2 is imported here only (cold start of every other route)."""

from __future__ import annotations

import warnings

from selfcare.tv.models import VodView


def _euros(cents: int) -> str:
    return f"{cents // 100},{cents % 100:02d} EUR"


def _latin1(text: str) -> str:
    """The PDF core fonts cover Latin-1 only: anything else prints as '?'."""
    return text.encode("latin-1", "replace").decode("latin-1")


def vod_pdf(line_id: str, views: list[VodView], generated_at: str) -> bytes:
    with warnings.catch_warnings():
        # The layer leaves Pillow out (images only, none here): fpdf2 warns about it at import.
        warnings.simplefilter("ignore", UserWarning)
        from fpdf import FPDF  # heavy (fontTools): only the export path pays for it

    pdf = FPDF(orientation="portrait", unit="mm", format="A4")
    pdf.set_title("VOD consumption")
    pdf.set_creator("Selfcare")
    pdf.add_page()
    pdf.set_font("Helvetica", style="B", size=14)
    pdf.cell(0, 10, "VOD consumption", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", size=9)
    pdf.cell(0, 6, f"TV line {line_id} - generated {generated_at}", new_x="LMARGIN", new_y="NEXT")
    pdf.cell(0, 6, "Titles are shown by anonymised reference.", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)
    pdf.set_font("Helvetica", style="B", size=9)
    widths = (45, 75, 35, 25)
    for width, title in zip(widths, ("Watched at (UTC)", "Title reference", "Category", "Price"), strict=True):
        pdf.cell(width, 7, title, border=1)
    pdf.ln()
    pdf.set_font("Helvetica", size=8)
    for view in views:
        cells = (
            view.watched_at[:19].replace("T", " "),
            view.title_ref,
            _latin1(view.category[:24]),
            _euros(view.price_cents),
        )
        for width, text in zip(widths, cells, strict=True):
            pdf.cell(width, 6, text, border=1)
        pdf.ln()
    pdf.set_font("Helvetica", style="B", size=9)
    pdf.cell(sum(widths[:3]), 7, f"Total ({len(views)} titles)", border=1)
    pdf.cell(widths[3], 7, _euros(sum(v.price_cents for v in views)), border=1)
    return bytes(pdf.output())
