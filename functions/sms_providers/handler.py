"""Capability `sms` (staff and customers): the register of VAS providers, their credentials, suspension,
monthly reports and suspension proposals, the operator's own commercial SMS; the customer's commercial-SMS
opt-out per mobile line and reports of unwanted SMS."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.openapi.params import Path
from aws_lambda_powertools.logging import correlation_paths
from selfcare import coldstart
from selfcare.api.context import caller_from, request_info
from selfcare.api.errors import responses
from selfcare.api.resolver import create_resolver
from selfcare.clock import SystemClock, iso
from selfcare.config import SmsSettings
from selfcare.observability import logger, metrics
from selfcare.sms import schemas
from selfcare.sms.control import report_csv, report_pdf
from selfcare.sms.wiring import build_sms_services
from selfcare.types import LineId

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.typing import LambdaContext

services = build_sms_services(SmsSettings.from_env())
app = create_resolver()

ProviderId = Annotated[str, Path(pattern=r"^[A-Za-z0-9_-]{1,64}$")]
MonthPath = Annotated[str, Path(pattern=r"^[0-9]{4}-(0[1-9]|1[0-2])$")]
STAFF = "Staff with the role sales, infrastructure or production (docs/decisions.md, 2026-11-25)."


def _ok(model: type, description: str = "OK", status: int = 200) -> dict[int, Any]:
    return {status: {"description": description, "content": {"application/json": {"model": model}}}}


def _json(status: int, body: Any) -> Response[Any]:
    return Response(status_code=status, content_type=content_types.APPLICATION_JSON, body=body)


def _caller() -> Any:
    return caller_from(app.current_event)


def _request() -> Any:
    return request_info(app.current_event)


# The register ---------------------------------------------------------------------------------
@app.get(
    "/sms/providers",
    summary="The register of VAS providers",
    description=STAFF,
    tags=["sms"],
    responses=responses(401, 403, success=_ok(schemas.SmsProviderList)),
)
def list_providers() -> schemas.SmsProviderList:
    return schemas.SmsProviderList(providers=[schemas.SmsProviderView.of(p) for p in services.register.list(_caller())])


@app.post(
    "/sms/providers",
    summary="Declare a VAS provider (active, without credentials yet)",
    description=STAFF + " Audited.",
    tags=["sms"],
    responses=responses(401, 403, 409, success=_ok(schemas.SmsProviderView, "Registered", 201)),
)
def register_provider(body: schemas.SmsProviderRequest) -> Response[schemas.SmsProviderView]:
    return _json(201, schemas.SmsProviderView.of(services.register.register(_caller(), body.draft(), _request())))


@app.get(
    "/sms/providers/<provider_id>",
    summary="One provider of the register",
    description=STAFF,
    tags=["sms"],
    responses=responses(401, 403, 404, success=_ok(schemas.SmsProviderView)),
)
def get_provider(provider_id: ProviderId) -> schemas.SmsProviderView:
    return schemas.SmsProviderView.of(services.register.get(_caller(), provider_id))


@app.put(
    "/sms/providers/<provider_id>",
    summary="Change a provider's record (names, contract and its dates, sender ids, short number, throughput)",
    description=STAFF + " Audited. An ended provider's record no longer changes (409).",
    tags=["sms"],
    responses=responses(401, 403, 404, 409, success=_ok(schemas.SmsProviderView)),
)
def update_provider(provider_id: ProviderId, body: schemas.SmsProviderRequest) -> schemas.SmsProviderView:
    return schemas.SmsProviderView.of(services.register.update(_caller(), provider_id, body.draft(), _request()))


@app.post(
    "/sms/providers/<provider_id>/credentials",
    summary="Issue (or rotate) the provider's API secret: shown once",
    description=STAFF + " The previous secret is refused from the next request on. Audited.",
    tags=["sms"],
    responses=responses(401, 403, 404, 409, success=_ok(schemas.SmsCredentialsView, "Issued", 201)),
)
def issue_credentials(provider_id: ProviderId) -> Response[schemas.SmsCredentialsView]:
    issued = services.register.issue_credentials(_caller(), provider_id, _request())
    return _json(201, schemas.SmsCredentialsView.of(issued))


@app.post(
    "/sms/providers/<provider_id>/suspension",
    summary="Suspend a provider, with a reason: its next call is refused",
    description=STAFF + " Audited.",
    tags=["sms"],
    responses=responses(401, 403, 404, 409, success=_ok(schemas.SmsProviderView)),
)
def suspend_provider(provider_id: ProviderId, body: schemas.SmsReasonRequest) -> schemas.SmsProviderView:
    return schemas.SmsProviderView.of(services.register.suspend(_caller(), provider_id, body.reason, _request()))


@app.delete(
    "/sms/providers/<provider_id>/suspension",
    summary="Lift a provider's suspension",
    description=STAFF + " Audited.",
    tags=["sms"],
    responses=responses(401, 403, 404, 409, success=_ok(schemas.SmsProviderView)),
)
def reinstate_provider(provider_id: ProviderId) -> schemas.SmsProviderView:
    return schemas.SmsProviderView.of(services.register.reinstate(_caller(), provider_id, _request()))


@app.post(
    "/sms/providers/<provider_id>/end",
    summary="End a provider's contract (final: its credentials are deleted)",
    description=STAFF + " Audited.",
    tags=["sms"],
    responses=responses(401, 403, 404, 409, success=_ok(schemas.SmsProviderView)),
)
def end_provider(provider_id: ProviderId, body: schemas.SmsReasonRequest) -> schemas.SmsProviderView:
    return schemas.SmsProviderView.of(services.register.end(_caller(), provider_id, body.reason, _request()))


# Control -------------------------------------------------------------------------------------
@app.get(
    "/sms/providers/<provider_id>/reports/<month>",
    summary="A provider's monthly report: submitted, sent, refused by reason, opt-outs, complaints",
    description=STAFF + " With the thresholds passed and the month's suspension proposal. Audited.",
    tags=["sms"],
    responses=responses(401, 403, 404, success=_ok(schemas.SmsReportView)),
)
def report(provider_id: ProviderId, month: MonthPath) -> schemas.SmsReportView:
    return schemas.SmsReportView.of(services.control.report(_caller(), provider_id, month, _request(), "viewed"))


CSV = {
    200: {"description": "The report as CSV (figure,value)", "content": {"text/csv": {"schema": {"type": "string"}}}}
}
PDF = {
    200: {
        "description": "The report as PDF",
        "content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}},
    }
}


@app.get(
    "/sms/providers/<provider_id>/reports/<month>/csv",
    summary="A provider's monthly report as CSV",
    description=STAFF + " Audited.",
    tags=["sms"],
    responses=responses(401, 403, 404, success=CSV),
)
def report_as_csv(provider_id: ProviderId, month: MonthPath):  # type: ignore[no-untyped-def]
    # No return annotation on purpose: Powertools would validate the text as a JSON response.
    found = services.control.report(_caller(), provider_id, month, _request(), "csv_downloaded")
    return Response(
        status_code=200,
        content_type="text/csv; charset=utf-8",
        body=report_csv(found),
        headers={"Content-Disposition": f'attachment; filename="sms-{provider_id}-{month}.csv"'},
    )


@app.get(
    "/sms/providers/<provider_id>/reports/<month>/pdf",
    summary="A provider's monthly report as PDF",
    description=STAFF + " Audited.",
    tags=["sms"],
    responses=responses(401, 403, 404, success=PDF),
)
def report_as_pdf(provider_id: ProviderId, month: MonthPath):  # type: ignore[no-untyped-def]
    found = services.control.report(_caller(), provider_id, month, _request(), "pdf_downloaded")
    return Response(
        status_code=200,
        content_type="application/pdf",
        body=report_pdf(found, SystemClock().now()),
        headers={"Content-Disposition": f'attachment; filename="sms-{provider_id}-{month}.pdf"'},
    )


@app.get(
    "/sms/suspension-proposals",
    summary="Automatic suspension proposals (thresholds passed), newest first",
    description=STAFF + " Staff decide: POST /sms/providers/{provider_id}/suspension.",
    tags=["sms"],
    responses=responses(401, 403, success=_ok(schemas.SmsProposalList)),
)
def proposals() -> schemas.SmsProposalList:
    return schemas.SmsProposalList(
        proposals=[schemas.SmsProposalView.of(p) for p in services.control.proposals(_caller())]
    )


@app.post(
    "/sms/operator/messages",
    summary="The operator's own commercial SMS to a subscriber's mobile line",
    description=(
        "Sales staff. The same checks as a provider's message (sender id, opt-out mention with the operator's short "
        "number, opt-out list, night time, throughput) plus the subscriber's `commercial_sms` consent "
        "(GET /account/consents): refused `no_consent` without it. The decision is answered and audited."
    ),
    tags=["sms"],
    responses=responses(401, 403, 404, success=_ok(schemas.SmsOutcomeView)),
)
def operator_message(body: schemas.SmsOperatorMessageRequest) -> schemas.SmsOutcomeView:
    assert services.consents is not None
    outcome = services.sending.send_operator(
        _caller(), services.operator, services.consents, body.customer_id, body.line_id, body.text, _request()
    )
    return schemas.SmsOutcomeView.of(outcome)


# Customers -----------------------------------------------------------------------------------
def _customer() -> Any:
    assert services.customer is not None, "sms_providers reads the customers table"
    return services.customer


@app.get(
    "/account/commercial-sms/lines",
    summary="The commercial-SMS opt-out of each of my mobile lines",
    tags=["account"],
    responses=responses(401, 403, success=_ok(schemas.SmsLineOptOutList)),
)
def my_lines() -> schemas.SmsLineOptOutList:
    lines = _customer().lines(_caller(), _request())
    return schemas.SmsLineOptOutList(lines=[schemas.SmsLineOptOutView.of(line) for line in lines])


@app.put(
    "/account/commercial-sms/lines/<line_id>",
    summary="Refuse (or accept again) every commercial SMS on one of my mobile lines",
    description="Applies to the next message, also within a campaign already running. Audited.",
    tags=["account"],
    responses=responses(401, 403, 404, success=_ok(schemas.SmsLineOptOutView)),
)
def set_line(line_id: Annotated[LineId, Path()], body: schemas.SmsLineOptOutRequest) -> schemas.SmsLineOptOutView:
    return schemas.SmsLineOptOutView.of(_customer().set_line(_caller(), line_id, body.opted_out, _request()))


@app.post(
    "/account/commercial-sms/reports",
    summary="Report an unwanted commercial SMS (sender id, time, text)",
    description="Counted against the provider that holds the sender id (its monthly complaints). Audited.",
    tags=["account"],
    responses=responses(401, 403, 404, success=_ok(schemas.SmsComplaintView, "Recorded", 201)),
)
def report_sms(body: schemas.SmsComplaintRequest) -> Response[schemas.SmsComplaintView]:
    complaint = _customer().report(
        _caller(), body.line_id, body.sender_id, iso(body.received_at), body.text, _request()
    )
    view = schemas.SmsComplaintView(
        complaint_id=complaint.complaint_id,
        sender_id=complaint.sender_id,
        received_at=complaint.received_at,
        at=complaint.at,
        counted_against_provider=complaint.provider_id is not None,
    )
    return _json(201, view)


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)


# The end of init: the collector settles, SnapStart's priming is registered (selfcare/coldstart.py).
coldstart.loaded(resolver=app)
