"""Capability `internet`: internet access (boxes, nomadic access, drive, settings, mailboxes) and VoIP."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.openapi.params import Path
from aws_lambda_powertools.logging import correlation_paths
from selfcare import coldstart
from selfcare.api.context import RequestInfo, caller_from, request_info
from selfcare.api.errors import responses
from selfcare.api.resolver import create_resolver, no_content
from selfcare.auth.policy import Caller
from selfcare.clock import SystemClock
from selfcare.config import LinesSettings
from selfcare.dal.line_items import LineItemsRepository
from selfcare.dal.logs import LogsRepository
from selfcare.internet import schemas
from selfcare.internet.logic import InternetService
from selfcare.lines.schemas import UsageView
from selfcare.lines.wiring import provisioning_from
from selfcare.observability import logger, metrics
from selfcare.types import ItemId, LineId

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.typing import LambdaContext

settings = LinesSettings.from_env()
service = InternetService(
    LineItemsRepository(settings.customers_table),
    LogsRepository(None, settings.audit_log_table),
    provisioning_from(settings),
    SystemClock(),
)
app = create_resolver()
READ = responses(401, 403, 404)
CHANGE = responses(401, 403, 404, 409, 502, 503)
NO_CONTENT = {204: {"description": "Done"}}
LinePath = Annotated[LineId, Path()]
ItemPath = Annotated[ItemId, Path()]


def _caller() -> Caller:
    return caller_from(app.current_event)


def _request() -> RequestInfo:
    return request_info(app.current_event)


def _no_content() -> Response[Any]:
    return no_content()


# Internet access ---------------------------------------------------------------------------------
@app.get("/internet/lines", summary="My internet lines", tags=["internet"], responses=responses(401, 403))
def internet_lines() -> schemas.InternetLines:
    return schemas.InternetLines(
        lines=[schemas.InternetLineView.of(x) for x in service.lines_of(_caller(), _request())]
    )


@app.get(
    "/internet/lines/<line_id>",
    summary="An internet line: offer, nomadic access, drive",
    tags=["internet"],
    responses=READ,
)
def internet_line(line_id: LinePath) -> schemas.InternetLineView:
    return schemas.InternetLineView.of(service.line(_caller(), _request(), line_id))


@app.get("/internet/lines/<line_id>/boxes", summary="The line's boxes", tags=["internet"], responses=READ)
def internet_boxes(line_id: LinePath) -> schemas.BoxesView:
    boxes = service.boxes(_caller(), _request(), line_id)
    return schemas.BoxesView(line_id=line_id, boxes=[schemas.BoxView.of(b) for b in boxes])


@app.patch("/internet/lines/<line_id>/boxes/<box_id>", summary="Rename a box", tags=["internet"], responses=CHANGE)
def rename_internet_box(line_id: LinePath, box_id: ItemPath, body: schemas.RenameBoxRequest) -> schemas.BoxView:
    return schemas.BoxView.of(service.rename_box(_caller(), _request(), line_id, box_id, body.name))


@app.get("/internet/lines/<line_id>/usage", summary="Current month's usage", tags=["internet"], responses=READ)
def internet_usage(line_id: LinePath) -> UsageView:
    return UsageView.of(line_id, service.usage(_caller(), _request(), line_id))


@app.get(
    "/internet/lines/<line_id>/access-settings", summary="Internet access settings", tags=["internet"], responses=READ
)
def access_settings(line_id: LinePath) -> schemas.AccessSettingsView:
    return schemas.AccessSettingsView.of(line_id, service.access_settings(_caller(), _request(), line_id))


@app.post(
    "/internet/lines/<line_id>/nomadic-access", summary="Activate nomadic access", tags=["internet"], responses=CHANGE
)
def activate_nomadic(line_id: LinePath, body: schemas.ActivateNomadicRequest) -> schemas.InternetLineView:
    return schemas.InternetLineView.of(service.activate_nomadic(_caller(), _request(), line_id, body.password))


@app.put(
    "/internet/lines/<line_id>/nomadic-access/password",
    summary="Change the nomadic access password",
    tags=["internet"],
    responses=responses(401, 403, 404, 409, 502, 503, success=NO_CONTENT),
)
def change_nomadic_password(line_id: LinePath, body: schemas.NewPasswordRequest) -> Response[Any]:
    service.change_nomadic_password(_caller(), _request(), line_id, body.new_password)
    return _no_content()


@app.get(
    "/internet/lines/<line_id>/drive", summary="Drive: status and remaining volume", tags=["internet"], responses=READ
)
def drive(line_id: LinePath) -> schemas.DriveView:
    return schemas.DriveView.of(service.drive(_caller(), _request(), line_id))


@app.post("/internet/lines/<line_id>/drive", summary="Activate the drive", tags=["internet"], responses=CHANGE)
def activate_drive(line_id: LinePath) -> schemas.DriveView:
    return schemas.DriveView.of(service.activate_drive(_caller(), _request(), line_id))


@app.get("/internet/lines/<line_id>/mailboxes", summary="The line's mailboxes", tags=["internet"], responses=READ)
def list_mailboxes(line_id: LinePath) -> schemas.MailboxesView:
    found = service.mailboxes(_caller(), _request(), line_id)
    return schemas.MailboxesView(line_id=line_id, mailboxes=[schemas.MailboxView.of(m) for m in found])


@app.post(
    "/internet/lines/<line_id>/mailboxes",
    summary="Create a mailbox",
    tags=["internet"],
    responses=responses(
        401, 403, 404, 409, 502, 503,
        success={201: {"description": "Created", "content": {"application/json": {"model": schemas.MailboxView}}}},
    ),
)  # fmt: skip
def create_mailbox(line_id: LinePath, body: schemas.CreateMailboxRequest) -> Response[schemas.MailboxView]:
    mailbox = service.create_mailbox(_caller(), _request(), line_id, body.local_part, body.password)
    return Response(status_code=201, content_type=content_types.APPLICATION_JSON, body=schemas.MailboxView.of(mailbox))


@app.put(
    "/internet/lines/<line_id>/mailboxes/<mailbox_id>/password",
    summary="Change a mailbox's password",
    tags=["internet"],
    responses=responses(401, 403, 404, 409, 502, 503, success=NO_CONTENT),
)
def change_mailbox_password(line_id: LinePath, mailbox_id: ItemPath, body: schemas.NewPasswordRequest) -> Response[Any]:
    service.change_mailbox_password(_caller(), _request(), line_id, mailbox_id, body.new_password)
    return _no_content()


@app.delete(
    "/internet/lines/<line_id>/mailboxes/<mailbox_id>",
    summary="Delete a mailbox",
    tags=["internet"],
    responses=responses(401, 403, 404, 409, 502, 503, success=NO_CONTENT),
)
def delete_mailbox(line_id: LinePath, mailbox_id: ItemPath) -> Response[Any]:
    service.delete_mailbox(_caller(), _request(), line_id, mailbox_id)
    return _no_content()


# VoIP --------------------------------------------------------------------------------------------
@app.get("/voip/lines", summary="My VoIP lines", tags=["voip"], responses=responses(401, 403))
def voip_lines() -> schemas.VoipLines:
    return schemas.VoipLines(lines=[schemas.VoipLineView.of(x) for x in service.voip_lines(_caller(), _request())])


@app.get("/voip/lines/<line_id>", summary="A VoIP line: number and settings", tags=["voip"], responses=READ)
def voip_line(line_id: LinePath) -> schemas.VoipLineView:
    return schemas.VoipLineView.of(service.voip_line(_caller(), _request(), line_id))


@app.put("/voip/lines/<line_id>/call-waiting", summary="Call waiting on/off", tags=["voip"], responses=CHANGE)
def call_waiting(line_id: LinePath, body: schemas.ToggleRequest) -> schemas.VoipLineView:
    return schemas.VoipLineView.of(service.set_call_waiting(_caller(), _request(), line_id, body.enabled))


@app.put("/voip/lines/<line_id>/caller-id-hiding", summary="Caller-ID hiding on/off", tags=["voip"], responses=CHANGE)
def caller_id_hiding(line_id: LinePath, body: schemas.ToggleRequest) -> schemas.VoipLineView:
    return schemas.VoipLineView.of(service.set_caller_id_hiding(_caller(), _request(), line_id, body.enabled))


@app.put(
    "/voip/lines/<line_id>/forwarding",
    summary="Set call forwarding",
    description="The destination must be a valid phone number and not a premium-rate one (422 otherwise).",
    tags=["voip"],
    responses=CHANGE,
)
def set_forwarding(line_id: LinePath, body: schemas.ForwardingRequest) -> schemas.VoipLineView:
    return schemas.VoipLineView.of(service.set_forwarding(_caller(), _request(), line_id, body.mode, body.destination))


@app.delete("/voip/lines/<line_id>/forwarding", summary="Cancel call forwarding", tags=["voip"], responses=CHANGE)
def clear_forwarding(line_id: LinePath) -> schemas.VoipLineView:
    return schemas.VoipLineView.of(service.clear_forwarding(_caller(), _request(), line_id))


@app.put("/voip/lines/<line_id>/restrictions", summary="Restrictions on the line", tags=["voip"], responses=CHANGE)
def set_restrictions(line_id: LinePath, body: schemas.RestrictionsRequest) -> schemas.VoipLineView:
    return schemas.VoipLineView.of(service.set_restrictions(_caller(), _request(), line_id, body.restrictions()))


@app.get(
    "/voip/lines/<line_id>/pin",
    summary="The line's PIN",
    description="Every view is written to the audit trail, the customer's own included.",
    tags=["voip"],
    responses=READ,
)
def voip_pin(line_id: LinePath) -> schemas.PinView:
    return schemas.PinView(line_id=line_id, pin=service.pin(_caller(), _request(), line_id))


@app.put(
    "/voip/lines/<line_id>/pin",
    summary="Change the PIN",
    tags=["voip"],
    responses=responses(401, 403, 404, 409, 502, 503, success=NO_CONTENT),
)
def change_pin(line_id: LinePath, body: schemas.PinRequest) -> Response[Any]:
    service.change_pin(_caller(), _request(), line_id, body.pin)
    return _no_content()


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)


# The end of init: the collector settles, SnapStart's priming is registered (selfcare/coldstart.py).
coldstart.loaded(resolver=app)
