"""The usage statistics' counters (issue 10, section 3): one item per day, route, platform and outcome.

Item: `pk=DAY#<YYYY-MM-DD>`, `sk=<METHOD> <route template>#<platform>#<outcome>`, `count` (added to), the same
values as plain attributes for reading, `expires_at` (TTL). Nothing else: no identifier of any kind
(selfcare.privacy.usage). Counting is one UpdateItem with ADD; it never fails the request it counts
(`UsageCounter.count` logs and swallows any error).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from selfcare.dal.dynamo import client, query_all, values
from selfcare.observability import logger
from selfcare.privacy.usage import Counter, Use

DAY_PREFIX = "DAY#"
# A counter's lifetime from its day's first count (TTL expires_at): two years of figures, then it expires.
RETENTION_DAYS = 731


def day_pk(day: str) -> str:
    return f"{DAY_PREFIX}{day}"


class UsageCounter:
    """Adds one to a counter per answered request."""

    def __init__(self, table: str, retention_days: int = RETENTION_DAYS) -> None:
        self.table = table
        self.retention_days = retention_days

    def count(self, use: Use, now: datetime) -> bool:
        """One UpdateItem; False (logged, never raised) when it failed: a request is never failed by its count."""
        expires = int((now.astimezone(UTC) + timedelta(days=self.retention_days)).timestamp())
        try:
            client().update_item(
                TableName=self.table,
                Key={"pk": {"S": day_pk(use.day)}, "sk": {"S": use.key}},
                UpdateExpression=(
                    "ADD #count :one SET #day = :day, #method = :method, #route = :route, #platform = :platform, "
                    "#outcome = :outcome, #expires = if_not_exists(#expires, :expires)"
                ),
                ExpressionAttributeNames={
                    "#count": "count",
                    "#day": "day",
                    "#method": "method",
                    "#route": "route",
                    "#platform": "platform",
                    "#outcome": "outcome",
                    "#expires": "expires_at",
                },
                ExpressionAttributeValues=values(
                    one=1,
                    day=use.day,
                    method=use.method,
                    route=use.route,
                    platform=use.platform.value,
                    outcome=use.outcome,
                    expires=expires,
                ),
            )
        except Exception as error:  # noqa: BLE001 - counting must never fail the request it counts
            logger.warning("usage_count_failed", extra={"reason": type(error).__name__, "route": use.route})
            return False
        return True


class UsageStatsRepository:
    """Reads the counters of a period (one Query per day)."""

    def __init__(self, table: str) -> None:
        self.table = table

    def counters(self, days: list[str]) -> list[Counter]:
        found: list[Counter] = []
        for day in days:
            for item in query_all(
                TableName=self.table,
                KeyConditionExpression="pk = :pk",
                ExpressionAttributeValues=values(pk=day_pk(day)),
            ):
                found.append(_counter(item))
        return found


def _counter(item: dict[str, Any]) -> Counter:
    return Counter(
        day=str(item["day"]),
        method=str(item["method"]),
        route=str(item["route"]),
        platform=str(item["platform"]),
        outcome=str(item["outcome"]),
        count=int(item.get("count", 0)),
    )
