"""Capability `sms` (providers): the provider API. No JWT authorizer on these routes (public for API Gateway):
the function authenticates every request with the provider's own credentials, `Authorization: SmsProvider
<provider id>:<secret>`, reading the register each time, so a suspension or a rotated secret applies at once.

Nothing here ever answers a subscriber, a customer or a list of the operator's numbers: a provider reads its
own record and the outcomes of the numbers it submitted itself (tests/integration/test_sms.py, route inventory).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.openapi.params import Path, Query
from aws_lambda_powertools.logging import correlation_paths
from selfcare import coldstart
from selfcare.api.errors import responses
from selfcare.api.resolver import create_resolver
from selfcare.config import SmsSettings
from selfcare.observability import logger, metrics
from selfcare.sms import schemas
from selfcare.sms.models import Provider, Recipient
from selfcare.sms.wiring import build_sms_services

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.typing import LambdaContext

services = build_sms_services(SmsSettings.from_env())
app = create_resolver()

CampaignId = Annotated[str, Path(pattern=r"^[A-Za-z0-9]{8,32}$")]
AUTH = (
    "Authenticate with `Authorization: SmsProvider <provider id>:<secret>` (401 provider_credentials_refused); a "
    "suspended provider, or one whose contract is not in force, is refused at once (403 provider_not_allowed)."
)


def _ok(model: type, description: str = "OK", status: int = 200) -> dict[int, Any]:
    return {status: {"description": description, "content": {"application/json": {"model": model}}}}


def _json(status: int, body: Any) -> Response[Any]:
    return Response(status_code=status, content_type=content_types.APPLICATION_JSON, body=body)


def _provider() -> Provider:
    headers = app.current_event.headers or {}
    header = next((v for k, v in headers.items() if k.lower() == "authorization"), None)
    return services.authenticator.authenticate(header)


@app.get(
    "/sms/provider/me",
    summary="The calling provider's own record (sender ids, short number, throughput, status)",
    description=AUTH,
    tags=["sms-provider"],
    responses=responses(401, 403, success=_ok(schemas.SmsProviderSelfView)),
)
def me() -> schemas.SmsProviderSelfView:
    return schemas.SmsProviderSelfView.of(_provider())


@app.post(
    "/sms/provider/messages",
    summary="Send one commercial SMS: checked, then sent or refused with the reason",
    description=(
        AUTH + " Checks, the first failing one being the reason: provider active and under contract, sender id "
        "allowed, the opt-out mention (keyword and the provider's short number), the recipient not opted out, "
        "night time, throughput (per second; refused `throughput_exceeded` when full)."
    ),
    tags=["sms-provider"],
    responses=responses(401, 403, success=_ok(schemas.SmsOutcomeView, "The decision (and the sending)")),
)
def send_message(body: schemas.SmsMessageRequest) -> schemas.SmsOutcomeView:
    provider = _provider()
    return schemas.SmsOutcomeView.of(services.sending.send_single(provider, body.sender_id, body.to, body.text))


@app.post(
    "/sms/provider/campaigns",
    summary="Create a campaign (draft): add recipients, then start it",
    description=AUTH,
    tags=["sms-provider"],
    responses=responses(401, 403, success=_ok(schemas.SmsCampaignView, "Created", 201)),
)
def create_campaign(body: schemas.SmsCampaignRequest) -> Response[schemas.SmsCampaignView]:
    campaign = services.sending.create_campaign(_provider(), body.sender_id, body.text)
    return _json(201, schemas.SmsCampaignView.of(campaign))


@app.get(
    "/sms/provider/campaigns/<campaign_id>",
    summary="A campaign's progress",
    description=AUTH + " Another provider's campaign answers 404.",
    tags=["sms-provider"],
    responses=responses(401, 403, 404, success=_ok(schemas.SmsCampaignView)),
)
def get_campaign(campaign_id: CampaignId) -> schemas.SmsCampaignView:
    return schemas.SmsCampaignView.of(services.sending.campaign(_provider(), campaign_id))


@app.post(
    "/sms/provider/campaigns/<campaign_id>/recipients",
    summary="Add a batch of up to 500 recipients (the provider's own list) to a draft campaign",
    description=AUTH + " 409 campaign_not_draft once started.",
    tags=["sms-provider"],
    responses=responses(401, 403, 404, 409, success=_ok(schemas.SmsBatchView, "Added", 202)),
)
def add_recipients(campaign_id: CampaignId, body: schemas.SmsRecipientsRequest) -> Response[schemas.SmsBatchView]:
    recipients = [Recipient(r.to, r.text) for r in body.recipients]
    batch = services.sending.add_recipients(_provider(), campaign_id, recipients)
    return _json(202, schemas.SmsBatchView(campaign_id=campaign_id, batch=batch, count=len(recipients)))


@app.post(
    "/sms/provider/campaigns/<campaign_id>/start",
    summary="Start a campaign: its batches are checked and sent asynchronously",
    description=AUTH + " Read the per-recipient outcomes at GET .../outcomes. 409 when not a draft or empty.",
    tags=["sms-provider"],
    responses=responses(401, 403, 404, 409, success=_ok(schemas.SmsCampaignView, "Started", 202)),
)
def start_campaign(campaign_id: CampaignId) -> Response[schemas.SmsCampaignView]:
    return _json(202, schemas.SmsCampaignView.of(services.sending.start(_provider(), campaign_id)))


@app.get(
    "/sms/provider/campaigns/<campaign_id>/outcomes",
    summary="Per-recipient outcomes of a campaign, in submission order (pages)",
    description=AUTH + " Only the numbers this provider submitted to this campaign.",
    tags=["sms-provider"],
    responses=responses(401, 403, 404, success=_ok(schemas.SmsOutcomePage)),
)
def outcomes(
    campaign_id: CampaignId,
    cursor: Annotated[str | None, Query(pattern=r"^MSG#[0-9]{5}#[0-9]{4}$")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> schemas.SmsOutcomePage:
    found, next_cursor = services.sending.outcomes(_provider(), campaign_id, cursor, limit)
    return schemas.SmsOutcomePage(outcomes=[schemas.SmsOutcomeView.of(o) for o in found], next_cursor=next_cursor)


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)


# The end of init: the collector settles, SnapStart's priming is registered (selfcare/coldstart.py).
coldstart.loaded(resolver=app)
