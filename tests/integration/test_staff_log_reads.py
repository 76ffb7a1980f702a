"""Logs for the people allowed to read them (issue 9, section 4), and what the audit trail records
(section 3: code requests, staff reads), all on the chained, verifiable trail."""

from __future__ import annotations

from typing import Any

import boto3
import pytest
from selfcare.auth.policy import StaffRole

from infra import definitions as d
from infra.local.resources import LocalResources
from infra.scripts.verify_audit import verify
from tests.factories import DemoWorld, grant_conditions
from tests.integration.conftest import Api, body
from tests.integration.test_activation import solved

GRANT = d.ASSISTED_ACCESS_HEADER


def _staff(
    api: Api, world: DemoWorld, role: StaffRole, customer_id: str | None = "C0001", incident: bool = True
) -> tuple[str, str | None]:
    member = world.staff[role]
    token = str(api.staff_login(member.email, member.password)["access_token"])
    if customer_id is None:
        return token, None
    granted = api.call(
        "POST",
        "/staff/assisted-access",
        {
            "customer_id": customer_id,
            "reason": "Incident INC-4521: login failures",
            "duration_minutes": 30,
            **{k: v for k, v in grant_conditions(customer_id).items() if incident or k != "incident_reference"},
        },
        token=token,
    )
    assert granted.status == 201, granted.body
    return token, str(body(granted)["grant_id"])


def _trail(aws: LocalResources, subject: str = "customer#C0001") -> list[dict[str, Any]]:
    table = boto3.resource("dynamodb", region_name="eu-west-3").Table(aws.table_names[d.AUDIT_LOG.logical_id])
    return list(table.query(KeyConditionExpression="subject = :s", ExpressionAttributeValues={":s": subject})["Items"])


@pytest.mark.parametrize("role", [StaffRole.PRODUCTION, StaffRole.INFRASTRUCTURE])
def test_production_and_infrastructure_read_the_connection_log_and_each_read_is_audited(
    api: Api, world: DemoWorld, aws: LocalResources, role: StaffRole
) -> None:
    # Given: Jeanne logged in once, and failed once
    jeanne = world.customers[0]
    api.login(jeanne.login_id, jeanne.password)
    assert (
        api.call("POST", "/auth/login", {"identifier": jeanne.login_id, "password": "wrong-password-1"}).status == 401
    )
    token, grant_id = _staff(api, world, role)
    # When: the staff member reads her connection log under the grant
    response = api.call("GET", "/staff/customers/C0001/connection-log", token=token, headers={GRANT: grant_id or ""})
    # Then: both attempts, newest first, with SPEC.md's fields
    assert response.status == 200, response.body
    view = body(response)
    assert view["customer_id"] == "C0001"
    assert [(e["login_used"], e["status"]) for e in view["entries"]] == [
        (jeanne.login_id, "failure"),
        (jeanne.login_id, "success"),
    ]
    assert view["entries"][1]["account_number"] == jeanne.account_number
    # And: the read itself is in Jeanne's audit trail, with the staff member and the grant
    staff_id = world.staff[role].staff_id
    reads = [e for e in _trail(aws) if e["action"] == "logs.connection_log.viewed"]
    assert [(e["actor"], e["grant_id"], e["target"]) for e in reads] == [
        (f"staff#{staff_id}", grant_id, "connection_log")
    ]


def test_the_audit_trail_read_shows_the_chain_and_the_read_itself(
    api: Api, world: DemoWorld, aws: LocalResources
) -> None:
    token, grant_id = _staff(api, world, StaffRole.PRODUCTION)
    response = api.call("GET", "/staff/customers/C0001/audit-trail", token=token, headers={GRANT: grant_id or ""})
    assert response.status == 200, response.body
    entries = body(response)["entries"]
    # Newest first: this very read, then the grant's opening; positions in the customer's chain
    assert [e["action"] for e in entries] == ["logs.audit_trail.viewed", "assisted_access.granted"]
    assert [e["seq"] for e in entries] == [2, 1]
    assert all(e["grant_id"] == grant_id for e in entries)
    # And: the trail verifies (no digest yet: the chains alone)
    result = verify(aws.table_names[d.AUDIT_LOG.logical_id], aws.audit_digest_bucket, aws.audit_digest_key_id)
    assert result.ok, result.findings


@pytest.mark.parametrize(
    "role", [StaffRole.SALES, StaffRole.CUSTOMER_SERVICE_STAFF, StaffRole.CUSTOMER_SERVICE_ADVISOR]
)
def test_other_roles_are_refused_and_nothing_is_read(
    api: Api, world: DemoWorld, aws: LocalResources, role: StaffRole
) -> None:
    token, grant_id = _staff(api, world, role)
    for path in ("/staff/customers/C0001/connection-log", "/staff/customers/C0001/audit-trail"):
        response = api.call("GET", path, token=token, headers={GRANT: grant_id or ""})
        assert response.status == 403 and body(response)["error"]["code"] == "forbidden", response.body
    assert not [e for e in _trail(aws) if str(e["action"]).startswith("logs.")]


def test_staff_need_a_grant_for_that_very_customer(api: Api, world: DemoWorld) -> None:
    token, _ = _staff(api, world, StaffRole.PRODUCTION, customer_id=None)
    without = api.call("GET", "/staff/customers/C0001/audit-trail", token=token)
    assert without.status == 403 and body(without)["error"]["code"] == "assisted_access_required"
    token, grant_id = _staff(api, world, StaffRole.PRODUCTION, customer_id="C0002")
    other = api.call("GET", "/staff/customers/C0001/audit-trail", token=token, headers={GRANT: grant_id or ""})
    assert other.status == 403 and body(other)["error"]["code"] == "forbidden"


def test_an_infrastructure_grant_without_an_incident_does_not_open_the_logs(
    api: Api, world: DemoWorld, aws: LocalResources
) -> None:
    # Given an infrastructure grant opened for other work: no incident named (the role needs none to open it)
    token, grant_id = _staff(api, world, StaffRole.INFRASTRUCTURE, incident=False)
    assert api.call("GET", "/account", token=token, headers={GRANT: grant_id or ""}).status == 200
    # When the staff member reads the logs under it: refused, nothing read, nothing audited as read
    for path in ("/staff/customers/C0001/connection-log", "/staff/customers/C0001/audit-trail"):
        response = api.call("GET", path, token=token, headers={GRANT: grant_id or ""})
        assert response.status == 403, response.body
        assert body(response)["error"]["code"] == "incident_grant_required"
    assert not [e for e in _trail(aws) if str(e["action"]).startswith("logs.")]


def test_customers_cannot_read_logs_through_these_routes(api: Api, world: DemoWorld) -> None:
    jeanne = world.customers[0]
    token = api.login(jeanne.login_id, jeanne.password)["access_token"]
    response = api.call("GET", "/staff/customers/C0001/connection-log", token=token)
    assert response.status == 403


def test_code_requests_are_audited_without_the_address(api: Api, world: DemoWorld, aws: LocalResources) -> None:
    jeanne, marco = world.customers
    token = api.login(jeanne.login_id, jeanne.password)["access_token"]
    # When: Jeanne asks for a code to confirm a new email, and one to link Marco's account
    assert api.call("PUT", "/account/contact/email", {"email": "jeanne.new@example.mc"}, token=token).status == 202
    link_code = {"identifier": marco.login_id, "channel": "email", "captcha": solved(api)}
    linked = api.call("POST", "/account/links/codes", link_code, token=token)
    assert linked.status == 202, linked.body
    # Then: both requests are in her trail, naming the channel, never the address nor the other account
    entries = {e["action"]: e for e in _trail(aws)}
    assert entries["contact.email.code_requested"]["target"] == "contact_email"
    assert entries["account.link_code.requested"]["target"] == "link_code#email"
    assert "jeanne.new" not in str(entries) and marco.customer_id not in str(entries)
