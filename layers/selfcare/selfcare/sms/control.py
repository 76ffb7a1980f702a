"""Control: the monthly report per provider (JSON, CSV, PDF) and the suspension proposals.

Proposals are made automatically when a month's figures pass the configured thresholds (selfcare.sms.policy
Thresholds; by the sending worker and by complaints), each one audited; suspending stays a staff decision
(selfcare.sms.providers). fpdf2 is imported by the PDF rendering only (cold start of the other routes).
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import datetime

from selfcare import csv_cells
from selfcare.api.context import RequestInfo
from selfcare.auth.policy import Caller, require_staff
from selfcare.clock import Clock
from selfcare.dal.logs import LogsRepository
from selfcare.dal.sms import SmsRepository
from selfcare.errors import Forbidden, NotFound
from selfcare.sms.models import MonthlyStats, Provider, RefusalReason, SuspensionProposal
from selfcare.sms.policy import REGISTER_READERS, Thresholds, proposal_reasons
from selfcare.sms.providers import audit_entry


@dataclass(frozen=True)
class MonthlyReport:
    provider: Provider
    stats: MonthlyStats
    proposal_reasons: tuple[str, ...]  # above the thresholds now (empty: none)
    proposal: SuspensionProposal | None  # the one on record for the month


class ControlService:
    def __init__(
        self, *, repository: SmsRepository, logs: LogsRepository, clock: Clock, thresholds: Thresholds
    ) -> None:
        self.repository = repository
        self.logs = logs
        self.clock = clock
        self.thresholds = thresholds

    def _reader(self, caller: Caller) -> None:
        if require_staff(caller) not in REGISTER_READERS:
            raise Forbidden("Your role does not read the register of SMS providers.")

    def report(self, caller: Caller, provider_id: str, month: str, request: RequestInfo, kind: str) -> MonthlyReport:
        self._reader(caller)
        provider = self.repository.provider(provider_id)
        if provider is None or provider.is_operator:
            raise NotFound("No such SMS provider.")
        stats = self.repository.stats(provider_id, month)
        reasons = proposal_reasons(
            stats.submitted,
            stats.refused.get(RefusalReason.MISSING_OPT_OUT_MENTION.value, 0),
            stats.sent,
            stats.complaints,
            self.thresholds,
        )
        proposal = next(
            (p for p in self.repository.proposals() if p.provider_id == provider_id and p.month == month), None
        )
        now = self.clock.now()
        self.logs.audit(audit_entry(caller.actor, provider_id, f"sms_provider.report_{kind}", request, now), now)
        return MonthlyReport(provider, stats, tuple(reasons), proposal)

    def proposals(self, caller: Caller) -> list[SuspensionProposal]:
        self._reader(caller)
        return sorted(self.repository.proposals(), key=lambda p: p.at, reverse=True)


def report_rows(report: MonthlyReport) -> list[tuple[str, str]]:
    stats = report.stats
    rows = [
        ("provider_id", report.provider.provider_id),
        ("legal_name", report.provider.legal_name),
        ("declaration_number", report.provider.declaration_number),
        ("month", stats.month),
        ("status", report.provider.status.value),
        ("submitted", str(stats.submitted)),
        ("sent", str(stats.sent)),
        ("failed", str(stats.failed)),
        ("refused", str(stats.refused_total)),
    ]
    rows += [(f"refused_{reason.value}", str(stats.refused.get(reason.value, 0))) for reason in RefusalReason]
    rows += [
        ("opt_outs", str(stats.opt_outs)),
        ("complaints", str(stats.complaints)),
        ("suspension_proposal", "; ".join(report.proposal.reasons) if report.proposal else ""),
    ]
    return rows


def report_csv(report: MonthlyReport) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(("figure", "value"))
    # legal name, declaration number, proposal reasons: typed by people, never run by a spreadsheet
    writer.writerows((name, csv_cells.cell(value)) for name, value in report_rows(report))
    return buffer.getvalue()


def report_pdf(report: MonthlyReport, generated_at: datetime) -> bytes:
    from fpdf import FPDF  # only here: the PDF route pays for it, no other

    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 14)
    pdf.cell(0, 10, "Commercial SMS - monthly report", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", size=10)
    pdf.cell(0, 6, f"Generated {generated_at.isoformat(timespec='seconds')}", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)
    for name, value in report_rows(report):
        pdf.cell(70, 6, name.replace("_", " "))
        pdf.multi_cell(0, 6, value.encode("latin-1", "replace").decode("latin-1"), new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())
