"""Usage statistics of the space without personal data (issue 10, section 3): what one answered request counts
as, and what staff may read of the counters.

Pure: no I/O. One request is counted as (day, method and route template, platform, outcome) and nothing else:
no IP address, no customer, session or grant id, no cookie, no fingerprint, no raw user agent. The route is API
Gateway's template (`/mobile/lines/{line_id}`), never the path, so a line or invoice id cannot enter a counter.
The user agent is reduced at once to `web`, `mobile` or `other` and dropped. Reading: counts below
`SUPPRESSION_THRESHOLD` are left out of the route and the CSV, and no total is given (a total minus the rows
shown would give back what was left out).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum

# A counter below this is never shown: fewer than 5 uses of a route on one platform in one day could single out
# the customer behind them (README, Usage statistics).
SUPPRESSION_THRESHOLD = 5
# The longest period one read covers (one DynamoDB Query per day).
MAX_DAYS = 92
# The header with which a client names its platform (it wins over the user agent).
PLATFORM_HEADER = "X-Client-Platform"


class Platform(StrEnum):
    WEB = "web"
    MOBILE = "mobile"
    OTHER = "other"  # neither the header nor the user agent says


# Markers of a mobile client in a user agent (the app's own name, mobile operating systems and browsers).
_MOBILE_MARKERS = ("selfcareapp", "android", "iphone", "ipad", "ipod", "mobile")
# Markers of a browser (anything else that names itself Mozilla-compatible).
_WEB_MARKERS = ("mozilla/",)


@dataclass(frozen=True)
class Use:
    """One answered request, as counted: every field is one of a small closed set (or a route template)."""

    day: str  # YYYY-MM-DD (UTC)
    method: str
    route: str  # the route template
    platform: Platform
    outcome: str  # "2xx", "3xx", "4xx" or "5xx"

    @property
    def capability(self) -> str:
        """The route's first segment (`account`, `billing`, `mobile`, `staff`, ...)."""
        return self.route.strip("/").split("/", 1)[0] or "root"

    @property
    def key(self) -> str:
        """The counter's sort key within its day."""
        return f"{self.method} {self.route}#{self.platform.value}#{self.outcome}"


def platform_of(headers: Mapping[str, str] | None) -> Platform:
    """The client header (`web` or `mobile`) if present and valid, else what the user agent says; the user agent
    itself is never kept."""
    lowered = {str(k).lower(): str(v) for k, v in (headers or {}).items() if v is not None}
    declared = lowered.get(PLATFORM_HEADER.lower(), "").strip().lower()
    if declared in (Platform.WEB.value, Platform.MOBILE.value):
        return Platform(declared)
    agent = lowered.get("user-agent", "").lower()
    if any(marker in agent for marker in _MOBILE_MARKERS):
        return Platform.MOBILE
    if any(marker in agent for marker in _WEB_MARKERS):
        return Platform.WEB
    return Platform.OTHER


def outcome_of(status: int) -> str:
    return f"{max(1, min(5, status // 100))}xx"


def use_of(event: Mapping[str, object], status: int, now: datetime) -> Use | None:
    """What an API Gateway event and its answer count as; None when the event names no route template."""
    route = event.get("resource")
    method = event.get("httpMethod")
    if not isinstance(route, str) or not route.startswith("/") or not isinstance(method, str):
        return None
    headers = event.get("headers")
    return Use(
        day=now.date().isoformat(),
        method=method.upper(),
        route=route,
        platform=platform_of(headers if isinstance(headers, Mapping) else None),
        outcome=outcome_of(status),
    )


@dataclass(frozen=True)
class Counter:
    """A stored counter, as read back."""

    day: str
    method: str
    route: str
    platform: str
    outcome: str
    count: int

    @property
    def capability(self) -> str:
        return self.route.strip("/").split("/", 1)[0] or "root"


def shown(counters: Iterable[Counter], threshold: int = SUPPRESSION_THRESHOLD) -> list[Counter]:
    """The counters staff may see: those of at least `threshold`, ordered by day, route, method, platform."""
    kept = [c for c in counters if c.count >= threshold]
    return sorted(kept, key=lambda c: (c.day, c.route, c.method, c.platform, c.outcome))


def days_between(start: date, end: date) -> list[str]:
    """Every day from `start` to `end` included (ISO form)."""
    return [date.fromordinal(n).isoformat() for n in range(start.toordinal(), end.toordinal() + 1)]


CSV_COLUMNS = ("day", "capability", "method", "route", "platform", "outcome", "count")


def to_csv(counters: Iterable[Counter]) -> str:
    """The counters shown, one line each (the caller has already suppressed the small ones)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for c in counters:
        writer.writerow((c.day, c.capability, c.method, c.route, c.platform, c.outcome, c.count))
    return buffer.getvalue()
