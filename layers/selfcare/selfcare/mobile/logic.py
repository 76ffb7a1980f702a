"""Mobile lines: list, detail (offer, options, user, renewal and commitment dates), usage,
out-of-bundle charges, PUK (audited), SIM activation, mobile internet per roaming zone."""

from __future__ import annotations

from dataclasses import replace

from selfcare.api.context import RequestInfo
from selfcare.auth.policy import Caller
from selfcare.clock import iso
from selfcare.dal.line_items import ConditionFailed
from selfcare.errors import Conflict, DomainError, NotFound
from selfcare.lines.models import LineType
from selfcare.lines.service import LineServiceBase
from selfcare.lines.usage import MonthUsage, current_month
from selfcare.mobile.models import MobileLine, OutOfBundleCharge, RoamingZone, SimStatus, out_of_bundle, roaming_zones

MOBILE = (LineType.MOBILE,)


class SimAlreadyActive(Conflict):
    code = "sim_already_active"
    message = "This line already has an active SIM card (a new SIM goes through reactivation)."


class IccidInUse(Conflict):
    code = "iccid_in_use"
    message = "This SIM card is already in use."


class MobileService(LineServiceBase):
    capability = "mobile"

    def lines_of(self, caller: Caller, request: RequestInfo) -> list[MobileLine]:
        return [MobileLine.of(line) for line in self._list(caller, request, LineType.MOBILE)]

    def line(self, caller: Caller, request: RequestInfo, line_id: str) -> MobileLine:
        return MobileLine.of(self._line(caller, request, line_id, MOBILE))

    def usage(self, caller: Caller, request: RequestInfo, line_id: str) -> MonthUsage:
        line = self._line(caller, request, line_id, MOBILE, viewed="usage.viewed")
        return current_month(line, self.clock.now())

    def charges(self, caller: Caller, request: RequestInfo, line_id: str) -> list[OutOfBundleCharge]:
        return out_of_bundle(self._line(caller, request, line_id, MOBILE, viewed="charges.viewed"))

    def roaming(self, caller: Caller, request: RequestInfo, line_id: str) -> list[RoamingZone]:
        return roaming_zones(self._line(caller, request, line_id, MOBILE, viewed="roaming.viewed"))

    def puk(self, caller: Caller, request: RequestInfo, line_id: str) -> str:
        """The SIM's PUK code. Every view is audited, the customer's own included."""
        line = self._line(caller, request, line_id, MOBILE, viewed="line.viewed")
        puk = line.attributes.get("puk")
        if not puk:
            raise NotFound("This line has no SIM card.")
        self._audited_view(caller, request, line, "mobile.puk.viewed")
        return str(puk)

    def activate_sim(self, caller: Caller, request: RequestInfo, line_id: str, iccid: str) -> MobileLine:
        """Activate a SIM card on a line that has none. One SIM per line, one line per SIM: the
        ICCID is claimed first (conditional write), released again if the network refuses."""
        line = self._for_change(caller, request, line_id, MOBILE)
        self._require_active(line)
        if line.attributes.get("iccid"):
            raise SimAlreadyActive()
        try:
            self.lines.claim_iccid(line.customer_id, line.line_id, iccid)
        except ConditionFailed as error:
            raise IccidInUse() from error
        now = self.clock.now()
        try:
            self._change(
                caller,
                request,
                line,
                lambda: self.provisioning.activate_sim(
                    line.line_id, line.number or "", iccid, f"sim-{line.line_id}-{iccid}"
                ),
                [
                    self.lines.set_line_op(
                        line.customer_id, line.line_id, {"iccid": iccid, "sim_activated_at": iso(now)}, absent="iccid"
                    )
                ],
                "sim.activated",
                f"line#{line.line_id}",
                conflict=SimAlreadyActive(),
            )
        except DomainError:
            self.lines.release_iccid(line.line_id, iccid)
            raise
        return replace(MobileLine.of(line), sim_status=SimStatus.ACTIVE, iccid=iccid)
