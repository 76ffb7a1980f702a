"""Usage statistics without personal data (issue 10, section 3): every answered request adds one to an aggregate
counter (day, route template, platform, outcome), the counters hold no identifier of any kind, small counts are
never shown, only staff read them (route and CSV), and a failure to count never fails the request."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime
from typing import Any

import boto3
import pytest
from selfcare.auth.policy import StaffRole
from selfcare.privacy.usage import SUPPRESSION_THRESHOLD

from infra import definitions as d
from infra.local.resources import LocalResources
from tests.factories import DemoWorld
from tests.integration.conftest import Api, body
from tests.integration.test_billing import call

IPHONE = "Mozilla/5.0 (iPhone; CPU iPhone OS 18_0 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148"
FIREFOX = "Mozilla/5.0 (X11; Linux) Firefox/140.0"  # the tests' default user agent
ALLOWED_ATTRIBUTES = {"pk", "sk", "count", "day", "method", "route", "platform", "outcome", "expires_at"}


def _scan(aws: LocalResources) -> list[dict[str, Any]]:
    table = aws.table_names[d.USAGE_STATS.logical_id]
    return list(boto3.client("dynamodb").scan(TableName=table)["Items"])


def _staff_token(api: Api, world: DemoWorld) -> str:
    member = world.staff[StaffRole.PRODUCTION]
    return str(api.staff_login(member.email, member.password)["access_token"])


def _today() -> str:
    return datetime.now(UTC).date().isoformat()


def test_no_stored_counter_holds_an_identifier_of_any_kind(api: Api, world: DemoWorld, aws: LocalResources) -> None:
    # Given two customers using the space from two addresses, one on a phone, one in a browser
    jeanne, marco = (next(c for c in world.customers if c.customer_id == cid) for cid in ("C0001", "C0002"))
    secrets: set[str] = {"203.0.113.10", "198.51.100.77", IPHONE, FIREFOX}
    for customer, ip, agent in ((jeanne, "203.0.113.10", IPHONE), (marco, "198.51.100.77", FIREFOX)):
        login = api.call(
            "POST",
            "/auth/login",
            {"identifier": customer.login_id, "password": customer.password},
            headers={"User-Agent": agent},
            source_ip=ip,
        )
        assert login.status == 200, login.body
        tokens = body(login)
        secrets |= {
            customer.customer_id,
            customer.account_number,
            customer.login_id,
            customer.email,
            customer.phone,
            customer.password,
            tokens["access_token"],
            tokens["refresh_token"],
        }
        for path in ("/account", "/auth/sessions", "/mobile/lines", "/billing/invoices"):
            response = api.call("GET", path, token=tokens["access_token"], headers={"User-Agent": agent}, source_ip=ip)
            assert response.status == 200, (path, response.body)
            if path == "/auth/sessions":
                secrets |= {s["session_id"] for s in body(response)["sessions"]}
            if path == "/mobile/lines":
                secrets |= {line["line_id"] for line in body(response)["lines"]}
                secrets |= {line["number"] for line in body(response)["lines"] if line.get("number")}
        # a line's route: its template is counted, never the line's id
        line_id = next(iter(s for s in secrets if s.startswith("M-")), None)
        if line_id:
            api.call("GET", f"/mobile/lines/{line_id}", token=tokens["access_token"], source_ip=ip)
    # When the counters are read straight from the store
    items = _scan(aws)
    # Then they exist, hold only the aggregate's attributes, and none of what identifies a person or a session
    mine = [i for i in items if i["day"]["S"] == _today()]
    assert mine and all(set(i) <= ALLOWED_ATTRIBUTES for i in items), [set(i) - ALLOWED_ATTRIBUTES for i in items]
    text = json.dumps(items)
    leaked = sorted(s for s in secrets if s and s in text)
    assert leaked == []
    assert "Mozilla" not in text and "iPhone" not in text and "Bearer" not in text
    assert {i["platform"]["S"] for i in mine} >= {"web", "mobile"}
    routes = {i["route"]["S"] for i in mine}
    assert {"/account", "/auth/login", "/mobile/lines"} <= routes
    assert all(not route.startswith("/mobile/lines/M-") for route in routes)
    counted = {(i["method"]["S"], i["route"]["S"], i["platform"]["S"], i["outcome"]["S"]) for i in mine}
    assert ("GET", "/account", "mobile", "2xx") in counted and ("GET", "/account", "web", "2xx") in counted


def test_staff_read_the_counters_with_small_counts_suppressed_in_the_route_and_the_csv(
    api: Api, world: DemoWorld, aws: LocalResources
) -> None:
    # Given one customer's GET /account six times from the mobile app, and GET /services twice
    jeanne = next(c for c in world.customers if c.customer_id == "C0001")
    token = str(api.login(jeanne.login_id, jeanne.password)["access_token"])
    app = {"X-Client-Platform": "mobile"}
    for _ in range(SUPPRESSION_THRESHOLD + 1):
        assert api.call("GET", "/account", token=token, headers=app).status == 200
    for _ in range(2):
        assert api.call("GET", "/services", token=token, headers=app).status == 200
    staff = _staff_token(api, world)
    today = _today()
    # When staff read today's counters
    response = call(api, "GET", f"/staff/usage-statistics?from={today}&to={today}", token=staff)
    assert response.status == 200, response.body
    view = body(response)
    # Then the six are shown, the two are not (no total either), and nothing below the threshold is
    assert view["threshold"] == SUPPRESSION_THRESHOLD and view["from_day"] == view["to_day"] == today
    assert set(view) == {"from_day", "to_day", "threshold", "rows"}
    rows = {(r["method"], r["route"], r["platform"], r["outcome"]): r for r in view["rows"]}
    account = rows[("GET", "/account", "mobile", "2xx")]
    assert account["count"] == SUPPRESSION_THRESHOLD + 1 and account["capability"] == "account"
    assert account["day"] == today
    assert ("GET", "/services", "mobile", "2xx") not in rows
    assert all(r["count"] >= SUPPRESSION_THRESHOLD for r in view["rows"])
    # the store does hold the small counter: it is the reading that leaves it out
    stored = {(i["route"]["S"], i["platform"]["S"]): int(i["count"]["N"]) for i in _scan(aws) if i["day"]["S"] == today}
    assert stored[("/services", "mobile")] == 2
    # And the CSV says the same
    export = call(api, "GET", f"/staff/usage-statistics/export?from={today}&to={today}", token=staff)
    assert export.status == 200 and export.headers["Content-Type"].startswith("text/csv")
    lines = list(csv.DictReader(io.StringIO(export.body)))
    assert {"day": today, "capability": "account", "method": "GET", "route": "/account", "platform": "mobile",
            "outcome": "2xx", "count": str(SUPPRESSION_THRESHOLD + 1)} in lines  # fmt: skip
    assert not [row for row in lines if row["route"] == "/services" and row["platform"] == "mobile"]
    assert all(int(row["count"]) >= SUPPRESSION_THRESHOLD for row in lines)


def test_the_statistics_are_for_staff_only_and_the_period_is_bounded(
    api: Api, world: DemoWorld, aws: LocalResources
) -> None:
    jeanne = next(c for c in world.customers if c.customer_id == "C0001")
    customer = str(api.login(jeanne.login_id, jeanne.password)["access_token"])
    for path in ("/staff/usage-statistics", "/staff/usage-statistics/export"):
        # Given no token, or a customer's: refused
        assert call(api, "GET", path).status == 401
        refused = call(api, "GET", path, token=customer)
        assert refused.status == 403 and body(refused)["error"]["code"] == "forbidden"
    staff = _staff_token(api, world)
    # A period backwards, or longer than 92 days, is refused with its location
    backwards = call(api, "GET", "/staff/usage-statistics?from=2026-11-20&to=2026-11-10", token=staff)
    assert backwards.status == 422 and body(backwards)["error"]["details"][0]["loc"] == ["query", "to"]
    assert call(api, "GET", "/staff/usage-statistics?from=2026-01-01&to=2026-11-10", token=staff).status == 422
    # The default period is the last seven days
    view = body(call(api, "GET", "/staff/usage-statistics", token=staff))
    assert view["to_day"] == _today()
    assert (datetime.fromisoformat(view["to_day"]) - datetime.fromisoformat(view["from_day"])).days == 6


def test_a_failure_to_count_never_fails_the_request(
    api: Api, world: DemoWorld, aws: LocalResources, caplog: pytest.LogCaptureFixture
) -> None:
    jeanne = next(c for c in world.customers if c.customer_id == "C0001")
    token = str(api.login(jeanne.login_id, jeanne.password)["access_token"])
    before = api.call("GET", "/account", token=token)
    assert before.status == 200
    caplog.clear()
    # Given the counters' table gone (any DynamoDB error while counting)
    boto3.client("dynamodb").delete_table(TableName=aws.table_names[d.USAGE_STATS.logical_id])
    # When the customer logs in and reads their account
    again = api.login(jeanne.login_id, jeanne.password)
    response = api.call("GET", "/account", token=str(again["access_token"]))
    # Then the answers are the usual ones, and the failure is logged with its reason and route only
    assert response.status == 200 and body(response) == body(before)
    logged = [r for r in caplog.records if r.getMessage() == "usage_count_failed"]
    assert {(getattr(r, "reason", None), getattr(r, "route", None)) for r in logged} == {
        ("ResourceNotFoundException", "/auth/login"),
        ("ResourceNotFoundException", "/account"),
    }
