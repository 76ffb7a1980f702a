"""The usage statistics' pure parts: what one request counts as (nothing identifying), and what staff may see."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from selfcare.privacy.usage import (
    SUPPRESSION_THRESHOLD,
    Counter,
    Platform,
    outcome_of,
    platform_of,
    shown,
    to_csv,
    use_of,
)

NOW = datetime(2026, 11, 26, 23, 59, tzinfo=UTC)


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({"X-Client-Platform": "mobile", "User-Agent": "Mozilla/5.0 (X11; Linux) Firefox/140.0"}, Platform.MOBILE),
        ({"x-client-platform": "WEB", "User-Agent": "Mozilla/5.0 (iPhone) Mobile"}, Platform.WEB),
        ({"X-Client-Platform": "smart-fridge", "User-Agent": "Mozilla/5.0 (Linux; Android 15)"}, Platform.MOBILE),
        ({"User-Agent": "SelfcareApp/3.2 (build 77)"}, Platform.MOBILE),
        ({"user-agent": "Mozilla/5.0 (Windows NT 10.0; Win64; x64) Chrome/131.0"}, Platform.WEB),
        ({"User-Agent": "curl/8.5.0"}, Platform.OTHER),
        ({}, Platform.OTHER),
    ],
)
def test_the_platform_comes_from_the_client_header_then_the_user_agent(
    headers: dict[str, str], expected: Platform
) -> None:
    assert platform_of(headers) is expected


def test_a_request_counts_as_its_route_template_day_platform_and_outcome_only() -> None:
    event = {
        "resource": "/mobile/lines/{line_id}",
        "path": "/mobile/lines/M-377612345678",
        "httpMethod": "get",
        "headers": {"User-Agent": "Mozilla/5.0 (iPhone) Mobile", "X-Forwarded-For": "203.0.113.10"},
        "requestContext": {"identity": {"sourceIp": "203.0.113.10"}, "authorizer": {"customer_id": "C0001"}},
    }
    use = use_of(event, 404, NOW)
    assert use is not None
    assert (use.day, use.method, use.route, use.platform, use.outcome) == (
        "2026-11-26",
        "GET",
        "/mobile/lines/{line_id}",
        Platform.MOBILE,
        "4xx",
    )
    assert use.capability == "mobile" and use.key == "GET /mobile/lines/{line_id}#mobile#4xx"
    assert "M-377" not in repr(use) and "203.0.113" not in repr(use) and "C0001" not in repr(use)
    assert use_of({"httpMethod": "GET"}, 200, NOW) is None  # no route template: nothing counted


@pytest.mark.parametrize(("status", "outcome"), [(200, "2xx"), (204, "2xx"), (302, "3xx"), (422, "4xx"), (503, "5xx")])
def test_the_outcome_is_the_status_class(status: int, outcome: str) -> None:
    assert outcome_of(status) == outcome


def _counter(route: str, count: int, day: str = "2026-11-26") -> Counter:
    return Counter(day=day, method="GET", route=route, platform="web", outcome="2xx", count=count)


def test_counts_below_the_threshold_are_never_shown_and_the_csv_says_the_same() -> None:
    counters = [_counter("/billing", SUPPRESSION_THRESHOLD), _counter("/account", 1), _counter("/tv/lines", 4)]
    kept = shown(counters)
    assert kept == [_counter("/billing", SUPPRESSION_THRESHOLD)]
    assert to_csv(kept).splitlines() == [
        "day,capability,method,route,platform,outcome,count",
        f"2026-11-26,billing,GET,/billing,web,2xx,{SUPPRESSION_THRESHOLD}",
    ]
