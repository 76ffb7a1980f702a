"""Capability `billing`: amount due and last invoice, paying it (hosted payment page and the provider's
webhook), billing settings, payments (6 months), invoices (12 months) and their PDFs, usage detail
(6 months) with cursor pagination and a CSV export."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Annotated, Any

from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.openapi.params import Header, Path, Query
from aws_lambda_powertools.logging import correlation_paths
from selfcare import coldstart
from selfcare.api.context import RequestInfo, caller_from, request_info
from selfcare.api.errors import responses
from selfcare.api.resolver import create_resolver
from selfcare.auth.policy import Caller
from selfcare.billing import schemas
from selfcare.billing.logic import UsageQuery
from selfcare.billing.models import UsageType
from selfcare.billing.signing import SIGNATURE_HEADER
from selfcare.billing.wiring import build_billing_service
from selfcare.config import BillingSettings
from selfcare.observability import logger, metrics
from selfcare.types import ItemId, LineId

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.typing import LambdaContext

settings = BillingSettings.from_env()
service = build_billing_service(settings)
app = create_resolver()
READ = responses(401, 403)
CHANGE = responses(401, 403, 409)
IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        pattern=r"^[A-Za-z0-9_-]{8,64}$",
        description="Optional: while a payment is pending, any request answers that same payment",
    ),
]
CSV = {200: {"description": "CSV, one row per record", "content": {"text/csv": {"schema": {"type": "string"}}}}}


def _caller() -> Caller:
    return caller_from(app.current_event)


def _request() -> RequestInfo:
    return request_info(app.current_event)


def _utc(moment: datetime | None) -> datetime | None:
    if moment is None:
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


@app.get("/billing", summary="Amount due, last invoice, pending payment", tags=["billing"], responses=READ)
def billing_summary() -> schemas.BillingSummaryView:
    return schemas.BillingSummaryView.of(service.summary(_caller(), _request()))


@app.get(
    "/billing/settings",
    summary="Billing address, invoice type, payment method (masked)",
    tags=["billing"],
    responses=READ,
)
def billing_settings() -> schemas.SettingsView:
    return schemas.SettingsView.of(service.summary(_caller(), _request()).settings)


@app.put("/billing/settings/address", summary="Change the billing address", tags=["billing"], responses=CHANGE)
def billing_address(body: schemas.AddressBody) -> schemas.SettingsView:
    return schemas.SettingsView.of(service.set_address(_caller(), _request(), body.model()))


@app.put("/billing/settings/invoice-type", summary="Paper or electronic invoices", tags=["billing"], responses=CHANGE)
def invoice_type(body: schemas.InvoiceTypeBody) -> schemas.SettingsView:
    return schemas.SettingsView.of(service.set_invoice_type(_caller(), _request(), body.invoice_type))


@app.put(
    "/billing/settings/payment-method",
    summary="Change the payment method (banking information)",
    description="Needs the banking permission: customer-service advisors may not. The IBAN is kept masked.",
    tags=["billing"],
    responses=CHANGE,
)
def payment_method(body: schemas.PaymentMethodBody) -> schemas.SettingsView:
    return schemas.SettingsView.of(service.set_payment_method(_caller(), _request(), body.kind, body.iban, body.holder))


@app.get("/billing/invoices", summary="Invoices of the last 12 months", tags=["billing"], responses=READ)
def invoices() -> schemas.Invoices:
    return schemas.Invoices(invoices=[schemas.InvoiceView.of(i) for i in service.invoices(_caller(), _request())])


@app.get(
    "/billing/invoices/<invoice_id>/pdf",
    summary="A short-lived download URL of an invoice's PDF",
    tags=["billing"],
    responses=responses(401, 403, 404),
)
def invoice_pdf(invoice_id: Annotated[ItemId, Path()]) -> schemas.InvoiceDownloadView:
    return schemas.InvoiceDownloadView.of(service.invoice_download(_caller(), _request(), invoice_id))


@app.get("/billing/payments", summary="Payments of the last 6 months", tags=["billing"], responses=READ)
def payments() -> schemas.Payments:
    return schemas.Payments(payments=[schemas.PaymentView.of(p) for p in service.payments(_caller(), _request())])


@app.post(
    "/billing/payments",
    summary="Pay the amount due (the provider's hosted page)",
    description=(
        "Answers the payment with the provider's page URL (`redirect_url`). Never two charges: while a "
        "payment is pending, any request answers that same payment. 402: declined by the provider; 504: "
        "the provider did not answer (the payment stays pending: ask again)."
    ),
    tags=["billing"],
    responses=responses(
        401, 402, 403, 409, 504,
        success={201: {"description": "Pending", "content": {"application/json": {"model": schemas.PaymentView}}}},
    ),
)  # fmt: skip
def pay(idempotency_key: IdempotencyKey = None) -> Response[schemas.PaymentView]:
    payment = service.pay(_caller(), _request(), idempotency_key)
    return Response(status_code=201, content_type=content_types.APPLICATION_JSON, body=schemas.PaymentView.of(payment))


@app.post(
    "/billing/payments/webhook",
    summary="The payment provider's webhook (public; signed)",
    description=(
        f"`{SIGNATURE_HEADER}: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, '<t>.<body>')>`. Refused: "
        "a missing, forged or stale signature (401), a webhook already processed (409)."
    ),
    tags=["billing"],
    responses=responses(401, 404, 409),
)
def webhook() -> schemas.WebhookAnswer:
    event = app.current_event
    headers = event.headers or {}
    signature = headers.get(SIGNATURE_HEADER) or headers.get(SIGNATURE_HEADER.lower())
    return schemas.WebhookAnswer.of(service.webhook(signature, event.body or "", _request()))


def _usage_query(
    line_id: str,
    usage_type: UsageType | None,
    since: datetime | None,
    until: datetime | None,
    limit: int,
    cursor: str | None,
) -> UsageQuery:
    return UsageQuery(line_id, usage_type, _utc(since), _utc(until), limit, cursor)


LineQuery = Annotated[LineId, Query(description="The line")]
TypeQuery = Annotated[UsageType | None, Query(alias="type", description="CALL, SMS, MMS or DATA")]
FromQuery = Annotated[datetime | None, Query(alias="from", description="Oldest start time (bounded by now - 6 months)")]
ToQuery = Annotated[datetime | None, Query(alias="to", description="Newest start time")]


@app.get(
    "/billing/usage",
    summary="Usage detail of a line (6 months), newest first",
    tags=["billing"],
    responses=responses(401, 403, 404),
)
def usage(
    line_id: LineQuery,
    usage_type: TypeQuery = None,
    since: FromQuery = None,
    until: ToQuery = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: Annotated[str | None, Query(max_length=1024, pattern=r"^[A-Za-z0-9_=.-]+$")] = None,
) -> schemas.UsagePageView:
    query = _usage_query(line_id, usage_type, since, until, limit, cursor)
    return schemas.UsagePageView.of(service.usage(_caller(), _request(), query))


@app.get(
    "/billing/usage/export",
    summary="Usage detail of a line as CSV",
    tags=["billing"],
    responses=responses(401, 403, 404, success=CSV),
)
def usage_export(  # type: ignore[no-untyped-def]
    line_id: LineQuery, usage_type: TypeQuery = None, since: FromQuery = None, until: ToQuery = None
):
    # No return annotation: Powertools would validate the CSV text as a JSON response.
    document = service.usage_csv(_caller(), _request(), _usage_query(line_id, usage_type, since, until, 50, None))
    return Response(
        status_code=200,
        content_type="text/csv",
        body=document,
        headers={"Content-Disposition": f'attachment; filename="usage-{line_id}.csv"'},
    )


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)


# The end of init: the collector settles, SnapStart's priming is registered (selfcare/coldstart.py).
coldstart.loaded(resolver=app)
