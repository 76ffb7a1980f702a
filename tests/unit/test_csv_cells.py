"""The one rule of CSV cells (selfcare.csv_cells): nothing a spreadsheet would run as a formula."""

from __future__ import annotations

import pytest
from selfcare.csv_cells import cell


@pytest.mark.parametrize(
    "value",
    ["=1+1", "+37712345678", "-2+3", "@SUM(A1)", "\t=1+1", "\r=1+1", '=HYPERLINK("https://evil.example")'],
)
def test_a_cell_a_spreadsheet_would_run_is_text(value: str) -> None:
    assert cell(value) == "'" + value


@pytest.mark.parametrize("value", ["", "Riviera Promo", "100200300", "2026-11", "a=b", "M-37712345678"])
def test_other_cells_are_unchanged(value: str) -> None:
    assert cell(value) == value
