"""Integration: the role conditions of assisted-access grants (SPEC.md, Staff access) become checks.

A production / test-team grant names an open incident reference (the incident tracker: closed, unknown and
unreachable cases in tests/integration/test_incident_grants.py); a customer-service staff grant names an open
request of that customer (a ticket of theirs); each grant records its reference, and so does its audit entry."""

from __future__ import annotations

from typing import Any

from selfcare.auth.policy import StaffRole
from selfcare.dal.logs import LogsRepository

from infra import definitions as d
from infra.local.incident_tracker import shared
from infra.local.resources import LocalResources
from infra.local.seed import demo_request_id
from tests.factories import DemoWorld
from tests.integration.conftest import Api, body

REASON = "Customer called about the account"


def _grant(api: Api, world: DemoWorld, role: StaffRole, customer_id: str = "C0001", **extra: Any) -> Any:
    member = world.staff[role]
    token = api.staff_login(member.email, member.password)["access_token"]
    return api.call(
        "POST", "/staff/assisted-access", {"customer_id": customer_id, "reason": REASON} | extra, token=token
    )


def _problem(response: Any) -> tuple[list[str | int], str]:
    (detail,) = body(response)["error"]["details"]
    return detail["loc"], detail["type"]


def test_a_production_grant_names_an_incident_recorded_on_the_grant_and_its_audit_entry(
    api: Api, world: DemoWorld, aws: LocalResources
) -> None:
    # Without an incident: refused at the field
    refused = _grant(api, world, StaffRole.PRODUCTION)
    assert refused.status == 422 and _problem(refused) == (["body", "incident_reference"], "missing")
    malformed = _grant(api, world, StaffRole.PRODUCTION, incident_reference="whatever")
    assert malformed.status == 422 and _problem(malformed) == (["body", "incident_reference"], "invalid_incident")
    # The documented form (^INC-[0-9]{4,12}$) is the one checked: other Unicode digits are not digits here
    arabic_indic = _grant(api, world, StaffRole.PRODUCTION, incident_reference="INC-\u0662\u0660\u0664\u0665")
    assert arabic_indic.status == 422
    assert _problem(arabic_indic) == (["body", "incident_reference"], "invalid_incident")
    # With an incident the tracker says is open: granted, the grant and its audit entry carry it
    shared().set_state("INC-204518", "open")
    granted = _grant(api, world, StaffRole.PRODUCTION, incident_reference="INC-204518")
    assert granted.status == 201, granted.body
    assert body(granted)["reference"] == "incident:INC-204518"
    logs = LogsRepository(None, aws.table_names[d.AUDIT_LOG.logical_id])
    (entry,) = [e for e in logs.audit_trail("customer#C0001", 0) if e["action"] == "assisted_access.granted"]
    assert entry["reference"] == "incident:INC-204518" and entry["grant_id"] == body(granted)["grant_id"]


def test_a_customer_service_staff_grant_names_an_open_request_of_that_customer(
    api: Api, world: DemoWorld, aws: LocalResources
) -> None:
    role = StaffRole.CUSTOMER_SERVICE_STAFF
    missing = _grant(api, world, role)
    assert missing.status == 422 and _problem(missing) == (["body", "ticket_id"], "missing")
    # Another customer's request is not a request of this customer
    other = _grant(api, world, role, ticket_id=demo_request_id("C0002"))
    assert other.status == 422 and _problem(other) == (["body", "ticket_id"], "not_a_request_of_the_customer")
    unknown = _grant(api, world, role, ticket_id="no-such-ticket-123")
    assert unknown.status == 422 and _problem(unknown) == (["body", "ticket_id"], "not_a_request_of_the_customer")
    # Their own open request: granted, and recorded
    granted = _grant(api, world, role, ticket_id=demo_request_id("C0001"))
    assert granted.status == 201, granted.body
    assert body(granted)["reference"] == f"ticket:{demo_request_id('C0001')}"
    logs = LogsRepository(None, aws.table_names[d.AUDIT_LOG.logical_id])
    (entry,) = [e for e in logs.audit_trail("customer#C0001", 0) if e["action"] == "assisted_access.granted"]
    assert entry["reference"] == f"ticket:{demo_request_id('C0001')}"


def test_other_roles_need_no_reference(api: Api, world: DemoWorld) -> None:
    for role in (StaffRole.SALES, StaffRole.INFRASTRUCTURE, StaffRole.CUSTOMER_SERVICE_ADVISOR):
        granted = _grant(api, world, role)
        assert granted.status == 201, (role, granted.body)
        assert body(granted)["reference"] is None
