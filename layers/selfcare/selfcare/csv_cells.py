"""CSV cells that a spreadsheet will not run: the one rule of every CSV export (usage detail, SMS reports).

A cell starting with `=`, `+`, `-`, `@`, a tab or a carriage return is read as a formula by spreadsheet
applications (CSV or formula injection, OWASP): such a cell is written with a leading apostrophe, which the
spreadsheet shows as text. Values written by people (a provider's legal name, a reason) and values from other
systems (a called number) alike.
"""

from __future__ import annotations

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def cell(value: str) -> str:
    return f"'{value}" if value.startswith(FORMULA_STARTS) else value
