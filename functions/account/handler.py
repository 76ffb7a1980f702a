"""Capability `account`: the customer's account view."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

from aws_lambda_powertools.event_handler.openapi.params import Path
from aws_lambda_powertools.logging import correlation_paths
from selfcare.account.logic import AccountService
from selfcare.account.schemas import AccountView
from selfcare.api.context import caller_from, request_info
from selfcare.api.errors import responses
from selfcare.api.resolver import create_resolver
from selfcare.clock import SystemClock
from selfcare.config import AccountSettings
from selfcare.dal.customers import CustomersRepository
from selfcare.dal.logs import LogsRepository
from selfcare.observability import logger, metrics
from selfcare.types import AccountNumber

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.typing import LambdaContext

settings = AccountSettings.from_env()
service = AccountService(
    CustomersRepository(settings.customers_table), LogsRepository(None, settings.audit_log_table), SystemClock()
)
app = create_resolver()


@app.get("/account", summary="My account", tags=["account"], responses=responses(401, 403, 404))
def my_account() -> AccountView:
    return AccountView.of(service.view(caller_from(app.current_event), request_info(app.current_event)))


@app.get(
    "/accounts/<account_number>",
    summary="One account by its number",
    description="Only an account of the caller's: any other number answers 404, as an unknown one does.",
    tags=["account"],
    responses=responses(401, 403, 404),
)
def account(account_number: Annotated[AccountNumber, Path()]) -> AccountView:
    caller = caller_from(app.current_event)
    return AccountView.of(service.view(caller, request_info(app.current_event), account_number))


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
