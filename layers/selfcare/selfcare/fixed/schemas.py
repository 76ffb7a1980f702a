"""Response models of the fixed capability."""

from __future__ import annotations

from selfcare.api.schema import Schema
from selfcare.fixed.logic import FixedLine


class FixedLineView(Schema):
    line_id: str
    number: str | None
    offer: str
    status: str

    @staticmethod
    def of(line: FixedLine) -> FixedLineView:
        return FixedLineView(line_id=line.line_id, number=line.number, offer=line.offer, status=line.status)


class FixedLines(Schema):
    lines: list[FixedLineView]
