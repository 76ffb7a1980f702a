"""Fixed lines: the subscribed offer, the number, the current month's usage."""

from __future__ import annotations

from dataclasses import dataclass

from selfcare.api.context import RequestInfo
from selfcare.auth.policy import Caller
from selfcare.lines.models import LineDetail, LineType
from selfcare.lines.service import LineServiceBase
from selfcare.lines.usage import MonthUsage, current_month

FIXED = (LineType.FIXED,)


@dataclass(frozen=True)
class FixedLine:
    line_id: str
    number: str | None
    offer: str
    status: str

    @staticmethod
    def of(line: LineDetail) -> FixedLine:
        return FixedLine(line.line_id, line.number, line.offer, line.status)


class FixedService(LineServiceBase):
    capability = "fixed"

    def lines_of(self, caller: Caller, request: RequestInfo) -> list[FixedLine]:
        return [FixedLine.of(line) for line in self._list(caller, request, LineType.FIXED)]

    def line(self, caller: Caller, request: RequestInfo, line_id: str) -> FixedLine:
        return FixedLine.of(self._line(caller, request, line_id, FIXED))

    def usage(self, caller: Caller, request: RequestInfo, line_id: str) -> MonthUsage:
        return current_month(self._line(caller, request, line_id, FIXED, viewed="usage.viewed"), self.clock.now())
