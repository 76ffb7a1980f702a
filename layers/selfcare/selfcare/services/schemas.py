"""Response models of the services capability."""

from __future__ import annotations

from selfcare.api.schema import Schema
from selfcare.services.logic import OtherService, ServiceKind


class ServiceView(Schema):
    service_id: str
    kind: ServiceKind
    offer: str
    status: str
    monthly_price_cents: int | None
    subscribed_on: str | None

    @staticmethod
    def of(service: OtherService) -> ServiceView:
        return ServiceView(
            service_id=service.service_id,
            kind=service.kind,
            offer=service.offer,
            status=service.status,
            monthly_price_cents=service.monthly_price_cents,
            subscribed_on=service.subscribed_on,
        )


class ServicesView(Schema):
    services: list[ServiceView]
