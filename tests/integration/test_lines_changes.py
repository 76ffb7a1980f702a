"""Line capabilities, one fresh demo world per test: state changes, the network port, the audit
trail, idempotent pack subscription, audited secret views, VOD anonymisation and PDF export."""

from __future__ import annotations

import json
from typing import Any

import boto3
import pytest
from selfcare import config
from selfcare.audit.pseudonyms import pseudonymous
from selfcare.auth.policy import StaffRole
from selfcare.ports.provisioning import PermanentProvisioningError, TransientProvisioningError

from infra.local.resources import LocalResources
from tests.factories import DemoWorld
from tests.fakes import InMemoryProvisioning
from tests.integration.conftest import Api, body
from tests.integration.lines_routes import INTERNET, MOBILE, MOBILE_NO_SIM, STRONG, TV

GRANT_HEADER = "X-Assisted-Access"
CAPABILITIES = ("mobile", "fixed", "internet", "tv", "services")


def install(api: Api, fake: InMemoryProvisioning) -> None:
    for name in CAPABILITIES:
        api.gateway.handlers[name].service.provisioning = fake


def table(aws: LocalResources, logical_id: str) -> Any:
    return boto3.resource("dynamodb", region_name="eu-west-3").Table(aws.table_names[logical_id])


def audit_actions(aws: LocalResources) -> list[str]:
    return sorted(item["action"] for item in table(aws, "AuditLogTable").scan()["Items"])


@pytest.fixture
def fake(api: Api, world: DemoWorld) -> InMemoryProvisioning:
    provisioning = InMemoryProvisioning()
    install(api, provisioning)
    return provisioning


@pytest.fixture
def jeanne(api: Api, world: DemoWorld) -> str:
    customer = world.customers[0]
    return str(api.login(customer.login_id, customer.password)["access_token"])


def test_pack_subscription_is_idempotent(
    api: Api, jeanne: str, fake: InMemoryProvisioning, aws: LocalResources
) -> None:
    request = {"pack_id": "sport", "start": "now"}
    first = api.call("POST", f"/tv/lines/{TV}/packs", request, token=jeanne)
    again = api.call("POST", f"/tv/lines/{TV}/packs", request, token=jeanne)
    assert first.status == again.status == 201
    assert body(first) == body(again) and body(first)["status"] == "active"
    assert fake.actions() == [(TV, "tv", "subscribe_pack")]
    packs = [i for i in table(aws, "CustomersTable").scan()["Items"] if i["sk"].startswith(f"LINE#{TV}#PACK#sport")]
    assert len(packs) == 1
    assert audit_actions(aws).count("tv.pack.subscribed") == 1
    # A different request (another Idempotency-Key) for an active pack is refused, not applied.
    other = api.call("POST", f"/tv/lines/{TV}/packs", request, token=jeanne, headers={"Idempotency-Key": "retry-0002"})
    assert other.status == 409 and body(other)["error"]["code"] == "pack_already_subscribed"
    assert len(fake.changes) == 1


def test_pack_effective_dates_and_cancellation(api: Api, jeanne: str, fake: InMemoryProvisioning) -> None:
    later = body(
        api.call("POST", f"/tv/lines/{TV}/packs", {"pack_id": "docs", "start": "next_billing_day"}, token=jeanne)
    )
    assert later["status"] == "pending" and later["effective_from"][8:10] == "05"  # billing day of the demo line
    cancelled = api.call("DELETE", f"/tv/lines/{TV}/packs/kids", token=jeanne)
    again = api.call("DELETE", f"/tv/lines/{TV}/packs/kids", token=jeanne)
    assert cancelled.status == again.status == 200 and body(cancelled) == body(again)
    assert body(cancelled)["status"] == "cancelling"
    assert body(cancelled)["effective_until"].endswith("-01T00:00:00.000Z")  # the end of the current month
    assert [a for _, _, a in fake.actions()] == ["subscribe_pack", "cancel_pack"]
    resubscribe = api.call("POST", f"/tv/lines/{TV}/packs", {"pack_id": "kids"}, token=jeanne)
    assert resubscribe.status == 409  # still active until the end of the month


def test_puk_and_pin_views_are_audited(api: Api, jeanne: str, aws: LocalResources) -> None:
    assert body(api.call("GET", f"/mobile/lines/{MOBILE}/puk", token=jeanne))["puk"].isdigit()
    assert body(api.call("GET", f"/voip/lines/{INTERNET}/pin", token=jeanne))["pin"] == "4721"
    trail = table(aws, "AuditLogTable").scan()["Items"]
    viewed = sorted((a["action"], a["target"], a["actor"]) for a in trail)
    # The lines are named by keyed hashes: their ids embed phone numbers (selfcare.audit.pseudonyms).
    key = config.audit_pseudonym_key()
    assert key is not None
    assert viewed == [
        ("mobile.puk.viewed", pseudonymous(f"line#{MOBILE}", key), "customer#C0001"),
        ("voip.pin.viewed", pseudonymous(f"line#{INTERNET}", key), "customer#C0001"),
    ]
    assert "4721" not in json.dumps(trail, default=str)
    assert MOBILE not in json.dumps(trail, default=str) and INTERNET not in json.dumps(trail, default=str)


def test_changes_go_to_the_network_and_the_audit_trail(
    api: Api, jeanne: str, fake: InMemoryProvisioning, aws: LocalResources
) -> None:
    forwarding = api.call(
        "PUT", f"/voip/lines/{INTERNET}/forwarding", {"destination": "06 12 34 56 78", "mode": "always"}, token=jeanne
    )
    # A national number is read as Monaco's and stored in E.164.
    assert forwarding.status == 200, forwarding.body
    assert body(forwarding)["forwarding"] == {"mode": "always", "destination": "+377612345678"}
    shown = body(api.call("GET", f"/voip/lines/{INTERNET}", token=jeanne))
    assert shown["forwarding"] == body(forwarding)["forwarding"]
    renamed = api.call("PATCH", f"/internet/lines/{INTERNET}/boxes/box1", {"name": "Office"}, token=jeanne)
    assert body(renamed) == {"box_id": "box1", "model": "Fibre Box 7", "name": "Office"}
    assert fake.actions() == [(INTERNET, "voip", "set_forwarding"), (INTERNET, "box", "rename")]
    assert audit_actions(aws) == ["internet.box.renamed", "internet.voip.forwarding_set"]


def test_a_network_failure_changes_nothing(
    api: Api, jeanne: str, fake: InMemoryProvisioning, aws: LocalResources
) -> None:
    fake.fail_with = TransientProvisioningError("timeout")
    unavailable = api.call("PUT", f"/voip/lines/{INTERNET}/call-waiting", {"enabled": False}, token=jeanne)
    assert unavailable.status == 503 and body(unavailable)["error"]["code"] == "provisioning_unavailable"
    fake.fail_with = PermanentProvisioningError("refused")
    refused = api.call("POST", f"/mobile/lines/{MOBILE_NO_SIM}/sim", {"iccid": "8937710310000000058"}, token=jeanne)
    assert refused.status == 502 and body(refused)["error"]["code"] == "provisioning_refused"
    assert body(api.call("GET", f"/voip/lines/{INTERNET}", token=jeanne))["call_waiting"] is True
    assert audit_actions(aws) == []
    fake.fail_with = None  # the claim of the refused SIM was released: it can be activated now
    activated = api.call("POST", f"/mobile/lines/{MOBILE_NO_SIM}/sim", {"iccid": "8937710310000000058"}, token=jeanne)
    assert activated.status == 200 and body(activated)["sim"] == {"status": "active", "iccid_last_digits": "0058"}


def test_one_sim_per_line(api: Api, jeanne: str, fake: InMemoryProvisioning) -> None:
    in_use = api.call("POST", f"/mobile/lines/{MOBILE_NO_SIM}/sim", {"iccid": "8937710310000000025"}, token=jeanne)
    assert in_use.status == 409 and body(in_use)["error"]["code"] == "iccid_in_use"  # C0002's line holds it
    has_one = api.call("POST", f"/mobile/lines/{MOBILE}/sim", {"iccid": "8937710310000000066"}, token=jeanne)
    assert has_one.status == 409 and body(has_one)["error"]["code"] == "sim_already_active"
    assert fake.sim_calls == []


def test_mailbox_lifecycle(api: Api, jeanne: str, fake: InMemoryProvisioning) -> None:
    created = api.call(
        "POST", f"/internet/lines/{INTERNET}/mailboxes", {"local_part": "lou", "password": STRONG}, token=jeanne
    )
    assert created.status == 201
    mailbox = body(created)
    assert mailbox["address"] == "lou@mail.selfcare.example"
    duplicate = api.call(
        "POST", f"/internet/lines/{INTERNET}/mailboxes", {"local_part": "lou", "password": STRONG}, token=jeanne
    )
    assert duplicate.status == 409
    listed = body(api.call("GET", f"/internet/lines/{INTERNET}/mailboxes", token=jeanne))["mailboxes"]
    assert {m["address"] for m in listed} == {"jeanne.dupont@mail.selfcare.example", "lou@mail.selfcare.example"}
    path = f"/internet/lines/{INTERNET}/mailboxes/{mailbox['mailbox_id']}"
    assert api.call("PUT", path + "/password", {"new_password": "Harbour-Violet-Comet-77"}, token=jeanne).status == 204
    assert api.call("DELETE", path, token=jeanne).status == 204
    assert api.call("DELETE", path, token=jeanne).status == 404
    assert [a for _, s, a in fake.actions()] == ["create", "set_password", "delete"]
    assert all("password" not in c.params or c.service == "mailbox" for c in fake.changes)


def test_nomadic_access_and_drive(api: Api, jeanne: str, fake: InMemoryProvisioning) -> None:
    path = f"/internet/lines/{INTERNET}"
    assert api.call("PUT", path + "/nomadic-access/password", {"new_password": STRONG}, token=jeanne).status == 409
    activated = api.call("POST", path + "/nomadic-access", {"password": STRONG}, token=jeanne)
    assert activated.status == 200 and body(activated)["nomadic_access"]["active"] is True
    assert (
        api.call(
            "PUT", path + "/nomadic-access/password", {"new_password": "Harbour-Violet-Comet-77"}, token=jeanne
        ).status
        == 204
    )
    drive = body(api.call("POST", path + "/drive", token=jeanne))
    assert drive == {"active": True, "quota_mb": 102400, "used_mb": 0, "remaining_mb": 102400}
    assert body(api.call("GET", path + "/drive", token=jeanne)) == drive


def test_vod_references_are_anonymised_and_never_stored_raw(api: Api, jeanne: str, aws: LocalResources) -> None:
    views = body(api.call("GET", f"/tv/lines/{TV}/vod", token=jeanne))["views"]
    assert len(views) == 3 and all(v["title_ref"].startswith("vod_") and len(v["title_ref"]) == 36 for v in views)
    stored = json.dumps(table(aws, "CustomersTable").scan()["Items"], default=str)
    assert "CAT-FR-2024-000731" not in stored and "CAT-" not in stored


def test_vod_pdf_export(api: Api, jeanne: str) -> None:
    response = api.call("GET", f"/tv/lines/{TV}/vod/export", token=jeanne)
    assert response.status == 200 and response.headers["Content-Type"] == "application/pdf"
    assert isinstance(response.body, bytes) and response.body.startswith(b"%PDF")
    assert "attachment" in response.headers["Content-Disposition"]


def test_staff_reads_are_audited(api: Api, world: DemoWorld, aws: LocalResources) -> None:
    sales = world.staff[StaffRole.SALES]
    token = api.staff_login(sales.email, sales.password)["access_token"]
    grant = body(
        api.call(
            "POST",
            "/staff/assisted-access",
            {"customer_id": "C0001", "reason": "Customer asks about usage"},
            token=token,
        )
    )["grant_id"]
    assert api.call("GET", f"/mobile/lines/{MOBILE}/usage", token=token, headers={GRANT_HEADER: grant}).status == 200
    assert "mobile.usage.viewed" in audit_actions(aws)
