"""Capability `privacy`: the data-protection notice (public; staff's own), the categories of data held for the
calling customer, and the usage statistics of the space (staff only; route and CSV).

Language of the notices: `?lang=fr|en` wins, then Accept-Language, then French (selfcare.privacy.notice).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Annotated, Any, Literal

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Header, Query
from aws_lambda_powertools.logging import correlation_paths
from selfcare import coldstart
from selfcare.api.context import caller_from
from selfcare.api.errors import responses
from selfcare.api.resolver import create_resolver
from selfcare.config import PrivacySettings
from selfcare.dal.privacy import PrivacyRepository
from selfcare.dal.usage_stats import UsageStatsRepository
from selfcare.observability import logger, metrics
from selfcare.privacy import notice, schemas, usage
from selfcare.privacy.service import PrivacyService

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.typing import LambdaContext

settings = PrivacySettings.from_env()
service = PrivacyService(
    PrivacyRepository(
        settings.customers_table, settings.credentials_table, settings.sessions_table, settings.connection_log_table
    ),
    UsageStatsRepository(settings.usage_stats_table),
    notice.Operator(
        name=settings.operator_name,
        address=settings.operator_address,
        privacy_email=settings.operator_privacy_email,
        postal_contact=settings.operator_postal_contact,
    ),
)
app = create_resolver()

Lang = Annotated[Literal["fr", "en"] | None, Query(description="fr or en; wins over Accept-Language (default: French)")]
AcceptLanguage = Annotated[str | None, Header(alias="Accept-Language", max_length=256)]
Day = Annotated[date | None, Query(description="YYYY-MM-DD (UTC)")]


def _json(model: type[Any], description: str) -> dict[int, Any]:
    return {200: {"description": description, "content": {"application/json": {"model": model}}}}


NOTICE = _json(schemas.PrivacyNotice, "The notice, in the language chosen")
HELD = _json(schemas.PrivacyHeldCategories, "The categories of data held for you, with their retention")
STATISTICS = _json(schemas.UsageStatisticsView, "The counters of the period, small ones suppressed")
CSV = {
    200: {
        "description": "CSV, one row per counter shown (small ones suppressed)",
        "content": {"text/csv": {"schema": {"type": "string"}}},
    }
}


def _language(lang: str | None, accept_language: str | None) -> notice.Language:
    return notice.language_of(lang, accept_language)


@app.get(
    "/privacy/notice",
    summary="The data-protection notice (public, French or English, versioned)",
    description="Public: no authentication. `lang` wins over Accept-Language; French by default.",
    tags=["privacy"],
    responses=responses(success=NOTICE),
)
def public_notice(lang: Lang = None, accept_language: AcceptLanguage = None) -> schemas.PrivacyNotice:
    return service.public_notice(_language(lang, accept_language))


@app.get(
    "/account/privacy/data-categories",
    summary="The categories of data held for me, with their retention",
    tags=["privacy"],
    responses=responses(401, 403, success=HELD),
)
def data_categories(lang: Lang = None, accept_language: AcceptLanguage = None) -> schemas.PrivacyHeldCategories:
    return service.held_categories(caller_from(app.current_event), _language(lang, accept_language))


@app.get(
    "/staff/privacy/notice",
    summary="The staff data-protection notice (staff only)",
    tags=["staff"],
    responses=responses(401, 403, success=NOTICE),
)
def staff_notice(lang: Lang = None, accept_language: AcceptLanguage = None) -> schemas.PrivacyNotice:
    return service.staff_notice(caller_from(app.current_event), _language(lang, accept_language))


def _period(start: date | None, end: date | None) -> tuple[date, date]:
    """Default: the last 7 days up to today (UTC)."""
    last = end or datetime.now(UTC).date()
    return (start or last - timedelta(days=6)), last


@app.get(
    "/staff/usage-statistics",
    summary="Usage statistics of the space (staff only; no personal data, small counts suppressed)",
    description=f"Counters per day, route, platform and outcome; those below {usage.SUPPRESSION_THRESHOLD} are "
    f"left out and no total is given. At most {usage.MAX_DAYS} days; default the last 7.",
    tags=["staff"],
    responses=responses(401, 403, success=STATISTICS),
)
def statistics(
    start: Annotated[date | None, Query(alias="from", description="First day (YYYY-MM-DD, UTC)")] = None,
    end: Annotated[date | None, Query(alias="to", description="Last day (YYYY-MM-DD, UTC)")] = None,
) -> schemas.UsageStatisticsView:
    first, last = _period(start, end)
    counters = service.statistics(caller_from(app.current_event), first, last)
    return schemas.UsageStatisticsView(
        from_day=first.isoformat(),
        to_day=last.isoformat(),
        threshold=usage.SUPPRESSION_THRESHOLD,
        rows=[
            schemas.UsageStatisticsRow(
                day=c.day,
                capability=c.capability,
                method=c.method,
                route=c.route,
                platform=c.platform,
                outcome=c.outcome,
                count=c.count,
            )
            for c in counters
        ],
    )


@app.get(
    "/staff/usage-statistics/export",
    summary="Usage statistics as CSV (staff only; small counts suppressed)",
    tags=["staff"],
    responses=responses(401, 403, success=CSV),
)
def statistics_export(  # type: ignore[no-untyped-def]
    start: Annotated[date | None, Query(alias="from", description="First day (YYYY-MM-DD, UTC)")] = None,
    end: Annotated[date | None, Query(alias="to", description="Last day (YYYY-MM-DD, UTC)")] = None,
):
    # No return annotation: Powertools would validate the CSV text as a JSON response.
    first, last = _period(start, end)
    counters = service.statistics(caller_from(app.current_event), first, last)
    return Response(
        status_code=200,
        content_type="text/csv",
        body=usage.to_csv(counters),
        headers={"Content-Disposition": f'attachment; filename="usage-statistics-{first}-{last}.csv"'},
    )


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)


# The end of init: the collector settles, SnapStart's priming is registered (selfcare/coldstart.py).
coldstart.loaded(resolver=app)
