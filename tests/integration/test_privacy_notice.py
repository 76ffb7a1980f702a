"""The data-protection notice (issue 10, section 2): public and versioned, in French and English, its retention
periods from the constants the code enforces; the categories held for one customer; the staff's own notice."""

from __future__ import annotations

import dataclasses
from typing import Any

import boto3
import pytest
from selfcare.auth.policy import StaffRole
from selfcare.billing import models as billing_models
from selfcare.privacy import notice as notice_module
from selfcare.privacy import registry
from selfcare.privacy.registry import Category

from infra import definitions as d
from infra.local.resources import LocalResources
from tests.factories import DemoWorld
from tests.integration.conftest import Api, body
from tests.integration.test_billing import call


def _customer_token(api: Api, world: DemoWorld, customer_id: str) -> str:
    customer = next(c for c in world.customers if c.customer_id == customer_id)
    return str(api.login(customer.login_id, customer.password)["access_token"])


def _notice(api: Api, query: str = "", headers: dict[str, str] | None = None) -> dict[str, Any]:
    response = call(api, "GET", f"/privacy/notice{query}", headers=headers)
    assert response.status == 200, response.body
    return dict(body(response))


def test_the_public_notice_is_served_without_authentication_versioned_with_everything_it_must_say(
    api: Api, aws: LocalResources
) -> None:
    # Given no token at all; When the notice is asked for in English
    notice = _notice(api, "?lang=en")
    # Then it is versioned, names the controller (configuration), the authority, purposes with legal bases,
    # categories, recipients, retention periods, rights and how to exercise them
    assert notice["audience"] == "customers" and notice["language"] == "en"
    assert notice["version"] == notice_module.NOTICE_VERSION and notice["effective_date"] == "2026-11-26"
    assert notice["controller"]["name"] and notice["controller"]["privacy_email"]
    assert "CCIN" in notice["authority"]["name"] and "Monaco" in notice["authority"]["address"]
    assert all(p["purpose"] and p["legal_basis"] for p in notice["purposes"])
    assert any("consent" in p["legal_basis"] for p in notice["purposes"])
    assert any("payment provider" in r["recipient"].lower() for r in notice["recipients"])
    rights = {r["right"]: r["how"] for r in notice["rights"]}
    assert "Right of access" in rights and "one month" in rights["Right of access"]
    assert notice["controller"]["privacy_email"] in rights["Right of access"]
    assert "Counts below 5" in notice["usage_statistics"]
    # every category of the registry appears, and every store that concerns customers with its retention
    assert {c["code"] for c in notice["categories"]} == {c.value for c in Category}
    stores = {s["store"]: s for s in notice["stores"]}
    for store in registry.REGISTRY:
        if store.name in notice_module.STAFF_ONLY_STORES:
            assert store.name not in stores
            continue
        assert stores[store.name]["retention"] == store.retention
        assert stores[store.name]["category"] == store.category.value


def test_the_language_comes_from_the_query_first_then_accept_language_then_french(
    api: Api, aws: LocalResources
) -> None:
    # Given a browser preferring English; When no query names a language, Then English
    english = _notice(api, headers={"Accept-Language": "en-GB,en;q=0.9,fr;q=0.5"})
    assert english["language"] == "en" and english["title"] == "Data-protection notice"
    # When the query says French, it wins over the header
    french = _notice(api, "?lang=fr", headers={"Accept-Language": "en-GB,en;q=0.9"})
    assert french["language"] == "fr" and "protection des données" in french["title"]
    assert {r["right"] for r in french["rights"]} >= {"Droit d'accès", "Droit de rectification"}
    # When nothing says, French (Monaco's language); a language we do not serve falls back to French too
    assert _notice(api)["language"] == "fr"
    assert _notice(api, headers={"Accept-Language": "de-DE"})["language"] == "fr"
    # An unknown `lang` is refused (422), not guessed
    assert call(api, "GET", "/privacy/notice?lang=de").status == 422


def test_changing_a_retention_constant_changes_the_notice(
    api: Api, aws: LocalResources, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given the notice as the code enforces it today
    before = _notice(api, "?lang=en")
    invoices = f"{billing_models.INVOICE_MONTHS} months"
    assert {"data": "Invoices shown", "period": invoices} in before["retention_periods"]
    logs = next(p for p in before["retention_periods"] if p["data"].startswith("Connection logs"))
    assert logs["period"] == f"{registry.LOG_MONTHS} months from collection"
    # When the constants change (the invoices' months, the logs' months, one store's retention in the registry)
    monkeypatch.setattr(billing_models, "INVOICE_MONTHS", 24)
    monkeypatch.setattr(registry, "LOG_MONTHS", 18)
    changed = tuple(
        dataclasses.replace(s, retention="99 days (TTL expires_at)") if s.name == "payments" else s
        for s in registry.REGISTRY
    )
    monkeypatch.setattr(registry, "REGISTRY", changed)
    after = _notice(api, "?lang=en")
    # Then the notice says the new periods, in both languages
    assert {"data": "Invoices shown", "period": "24 months"} in after["retention_periods"]
    assert {"data": "Factures affichées", "period": "24 mois"} in _notice(api, "?lang=fr")["retention_periods"]
    logs = next(p for p in after["retention_periods"] if p["data"].startswith("Connection logs"))
    assert logs["period"] == "18 months from collection"
    assert next(s for s in after["stores"] if s["store"] == "payments")["retention"] == "99 days (TTL expires_at)"


def test_a_customer_sees_the_categories_held_for_them_from_the_stores_that_hold_their_data(
    api: Api, world: DemoWorld, aws: LocalResources
) -> None:
    # Given Marco (C0002), with no invoice and no digital identity, and Jeanne (C0001), whose digital identity is linked
    marco = _customer_token(api, world, "C0002")
    jeanne = _customer_token(api, world, "C0001")

    def held(token: str) -> dict[str, list[dict[str, Any]]]:
        response = call(api, "GET", "/account/privacy/data-categories?lang=en", token=token)
        assert response.status == 200, response.body
        payload = body(response)
        assert payload["notice_version"] == notice_module.NOTICE_VERSION
        return {c["code"]: c["stores"] for c in payload["categories"]}

    marcos = held(marco)
    # Then each category lists the stores found for him, with the registry's retention
    assert "billing" not in marcos
    assert "digital identity's link" not in [s["store"] for s in marcos["identification"]]
    profile = next(s for s in marcos["identification"] if s["store"] == "customer profile")
    assert profile["retention"] == next(s.retention for s in registry.REGISTRY if s.name == "customer profile")
    assert {"contract", "authentication", "connection"} <= set(marcos)
    assert "digital identity's link" in [s["store"] for s in held(jeanne)["identification"]]
    # When an invoice is issued to Marco, Then the billing category appears with the invoices' retention
    boto3.client("dynamodb").put_item(
        TableName=aws.table_names[d.CUSTOMERS.logical_id],
        Item={
            "pk": {"S": "CUSTOMER#C0002"},
            "sk": {"S": "INVOICE#2026-11#INV-PRIV-1"},
            "amount_cents": {"N": "1990"},
            "due_date": {"S": "2026-12-10"},
        },
    )
    billing = held(marco)["billing"]
    assert billing == [
        {
            "store": "invoices",
            "purpose": "show the invoices and their PDFs",
            "retention": f"{billing_models.INVOICE_MONTHS} months from issue (TTL expires_at)",
        }
    ]


def test_the_categories_route_is_the_customers_and_the_staff_notice_the_staffs(
    api: Api, world: DemoWorld, aws: LocalResources
) -> None:
    member = world.staff[StaffRole.SALES]
    staff = str(api.staff_login(member.email, member.password)["access_token"])
    customer = _customer_token(api, world, "C0001")
    # Given no token, Then both are refused
    assert call(api, "GET", "/account/privacy/data-categories").status == 401
    assert call(api, "GET", "/staff/privacy/notice").status == 401
    # A staff member outside any grant is not a customer; a customer is not staff
    refused = call(api, "GET", "/account/privacy/data-categories", token=staff)
    assert refused.status == 403 and body(refused)["error"]["code"] == "forbidden"
    assert call(api, "GET", "/staff/privacy/notice", token=customer).status == 403
    # When staff read their notice, Then it speaks of their own data: connection log, audit trail, directory identity
    response = call(api, "GET", "/staff/privacy/notice?lang=en", token=staff)
    assert response.status == 200, response.body
    notice = body(response)
    assert notice["audience"] == "staff" and notice["version"] == notice_module.NOTICE_VERSION
    stores = {s["store"]: s["retention"] for s in notice["stores"]}
    assert set(stores) == set(notice_module.STAFF_STORES)
    assert stores["connection log (staff)"] == f"{registry.LOG_MONTHS} months from collection (TTL expires_at)"
    assert any("directory" in r["recipient"] for r in notice["recipients"])
    assert "CCIN" in notice["authority"]["name"]
