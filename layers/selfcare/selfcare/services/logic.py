"""Other services: the subscribed offers (safety, password manager, device insurance)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from selfcare.api.context import RequestInfo
from selfcare.auth.policy import Caller
from selfcare.lines.models import LineDetail, LineType
from selfcare.lines.service import LineServiceBase

OTHER = (LineType.OTHER,)


class ServiceKind(StrEnum):
    SAFETY = "safety"
    PASSWORD_MANAGER = "password_manager"  # noqa: S105 - a kind of service, not a password
    DEVICE_INSURANCE = "device_insurance"
    OTHER = "other"


@dataclass(frozen=True)
class OtherService:
    service_id: str
    kind: ServiceKind
    offer: str
    status: str
    monthly_price_cents: int | None
    subscribed_on: str | None

    @staticmethod
    def of(line: LineDetail) -> OtherService:
        kind = str(line.attributes.get("service_kind", "other"))
        price = line.attributes.get("monthly_price_cents")
        return OtherService(
            service_id=line.line_id,
            kind=ServiceKind(kind) if kind in ServiceKind._value2member_map_ else ServiceKind.OTHER,
            offer=line.offer,
            status=line.status,
            monthly_price_cents=int(price) if price is not None else None,
            subscribed_on=line.attributes.get("subscribed_on"),
        )


class OtherServicesService(LineServiceBase):
    capability = "services"

    def services_of(self, caller: Caller, request: RequestInfo) -> list[OtherService]:
        return [OtherService.of(line) for line in self._list(caller, request, LineType.OTHER)]

    def service(self, caller: Caller, request: RequestInfo, service_id: str) -> OtherService:
        return OtherService.of(self._line(caller, request, service_id, OTHER, viewed="service.viewed"))
