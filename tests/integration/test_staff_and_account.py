"""Staff, assisted access, the role policy, the account view and the error shape."""

from __future__ import annotations

import boto3
import pytest
from selfcare.auth.policy import StaffRole

from infra.local.resources import LocalResources
from tests.factories import DemoWorld, grant_conditions
from tests.integration.conftest import Api, body

GRANT_HEADER = "X-Assisted-Access"


def _grant(api: Api, token: str, customer_id: str = "C0001") -> str:
    response = api.call(
        "POST",
        "/staff/assisted-access",
        {"customer_id": customer_id, "reason": "Customer called about a lost phone", "duration_minutes": 30}
        | grant_conditions(customer_id),
        token=token,
    )
    assert response.status == 201, response.body
    return str(body(response)["grant_id"])


def test_customer_reads_own_account_with_every_spec_field(api: Api, world: DemoWorld) -> None:
    marco = world.customers[1]
    tokens = api.login(marco.email, marco.password)
    account = body(api.call("GET", "/account", token=tokens["access_token"]))
    assert set(account) == {
        "account_number", "customer_type", "last_name", "first_name", "company_name", "trade_name", "address",
        "sales_representative", "contact_email", "contact_mobile", "contact_landline", "service_secret_code",
    }  # fmt: skip
    assert account["company_name"] == "Riviera Yachting SAM" and account["sales_representative"]["name"]
    assert account["address"]["country"] == "FR" and len(account["service_secret_code"]) == 4


def test_another_customers_account_answers_404_like_an_unknown_one(api: Api, world: DemoWorld) -> None:
    jeanne, marco = world.customers
    token = api.login(jeanne.login_id, jeanne.password)["access_token"]
    mine = api.call("GET", f"/accounts/{jeanne.account_number}", token=token)
    theirs = api.call("GET", f"/accounts/{marco.account_number}", token=token)
    unknown = api.call("GET", "/accounts/999999999", token=token)
    assert mine.status == 200
    assert theirs.status == unknown.status == 404
    assert body(theirs)["error"]["code"] == body(unknown)["error"]["code"] == "not_found"


def test_staff_reach_a_customer_only_through_a_grant(api: Api, world: DemoWorld, aws: LocalResources) -> None:
    sales = world.staff[StaffRole.SALES]
    token = api.staff_login(sales.email, sales.password)["access_token"]
    without = api.call("GET", "/account", token=token)
    assert without.status == 403 and body(without)["error"]["code"] == "assisted_access_required"
    grant_id = _grant(api, token)
    under = api.call("GET", "/account", token=token, headers={GRANT_HEADER: grant_id})
    assert under.status == 200 and body(under)["account_number"] == world.customers[0].account_number
    # The grant is for C0001 only: C0002's account number answers 404.
    other = api.call(
        "GET", f"/accounts/{world.customers[1].account_number}", token=token, headers={GRANT_HEADER: grant_id}
    )
    assert other.status == 404
    listed = body(api.call("GET", "/staff/assisted-access", token=token))["grants"]
    assert [g["grant_id"] for g in listed] == [grant_id] and listed[0]["role"] == "sales"
    trail = boto3.resource("dynamodb", region_name="eu-west-3").Table(aws.table_names["AuditLogTable"]).scan()["Items"]
    actions = sorted((a["action"], a["actor"], a["on_behalf_of"], a.get("grant_id")) for a in trail)
    assert actions == [
        ("account.viewed", f"staff#{sales.staff_id}", "customer#C0001", grant_id),
        ("assisted_access.granted", f"staff#{sales.staff_id}", "customer#C0001", grant_id),
    ]
    assert api.call("DELETE", f"/staff/assisted-access/{grant_id}", token=token).status == 204
    ended = api.call("GET", "/account", token=token, headers={GRANT_HEADER: grant_id})
    assert ended.status == 403


def test_a_grant_serves_only_the_staff_member_who_holds_it(api: Api, world: DemoWorld) -> None:
    sales = world.staff[StaffRole.SALES]
    advisor = world.staff[StaffRole.CUSTOMER_SERVICE_ADVISOR]
    grant_id = _grant(api, api.staff_login(sales.email, sales.password)["access_token"])
    other_token = api.staff_login(advisor.email, advisor.password)["access_token"]
    assert api.call("GET", "/account", token=other_token, headers={GRANT_HEADER: grant_id}).status == 403
    assert api.call("DELETE", f"/staff/assisted-access/{grant_id}", token=other_token).status == 404
    jeanne = world.customers[0]
    customer_token = api.login(jeanne.login_id, jeanne.password)["access_token"]
    assert api.call("GET", "/account", token=customer_token, headers={GRANT_HEADER: grant_id}).status == 403


def test_customers_cannot_open_grants_and_unknown_customers_answer_404(api: Api, world: DemoWorld) -> None:
    jeanne = world.customers[0]
    customer_token = api.login(jeanne.login_id, jeanne.password)["access_token"]
    refused = api.call(
        "POST",
        "/staff/assisted-access",
        {"customer_id": "C0002", "reason": "I would like to look around"},
        token=customer_token,
    )
    assert refused.status == 403
    infra_staff = world.staff[StaffRole.INFRASTRUCTURE]
    token = api.staff_login(infra_staff.email, infra_staff.password)["access_token"]
    unknown = api.call(
        "POST", "/staff/assisted-access", {"customer_id": "C9999", "reason": "Incident INC-1234 analysis"}, token=token
    )
    assert unknown.status == 404


@pytest.mark.parametrize("role", list(StaffRole))
def test_every_role_reads_under_a_grant(api: Api, world: DemoWorld, role: StaffRole) -> None:
    staff = world.staff[role]
    token = api.staff_login(staff.email, staff.password)["access_token"]
    assert api.call("GET", "/account", token=token, headers={GRANT_HEADER: _grant(api, token)}).status == 200


def test_staff_cannot_use_the_customer_login_and_vice_versa(api: Api, world: DemoWorld) -> None:
    sales = world.staff[StaffRole.SALES]
    jeanne = world.customers[0]
    assert api.call("POST", "/auth/login", {"identifier": sales.email, "password": sales.password}).status == 401
    assert api.call("POST", "/staff/auth/login", {"email": jeanne.email, "password": jeanne.password}).status == 401


# Errors and bad input -------------------------------------------------------------------------
def test_missing_field_answers_422_with_its_location(api: Api, world: DemoWorld) -> None:
    response = api.call("POST", "/auth/login", {"identifier": "jdupont"})
    error = body(response)["error"]
    assert response.status == 422 and error["code"] == "validation_error"
    assert error["details"] == [{"loc": ["body", "password"], "message": "Field required", "type": "missing"}]


def test_unknown_fields_are_refused_and_never_echoed(api: Api, world: DemoWorld) -> None:
    response = api.call("POST", "/auth/login", {"identifier": "jdupont", "password": "s3cret-value-xyz", "admin": True})
    assert response.status == 422
    assert body(response)["error"]["details"][0]["loc"] == ["body", "admin"]
    assert "s3cret-value-xyz" not in response.body


def test_malformed_json_answers_422(api: Api, world: DemoWorld) -> None:
    response = api.call("POST", "/auth/login", raw_body='{"identifier": "jdupont", ')
    assert response.status == 422 and body(response)["error"]["code"] == "validation_error"


def test_oversized_body_answers_413(api: Api, world: DemoWorld) -> None:
    response = api.call("POST", "/auth/login", {"identifier": "x" * 20_000, "password": "y"})
    assert response.status == 413 and body(response)["error"]["code"] == "payload_too_large"


def test_gateway_errors_use_the_same_shape(api: Api, world: DemoWorld) -> None:
    for response, status in (
        (api.call("GET", "/account"), 401),
        (api.call("GET", "/account", token="not-a-jwt"), 401),
        (api.call("GET", "/no/such/route"), 404),
        (api.call("PATCH", "/account"), 404),
    ):
        assert response.status == status
        assert set(body(response)["error"]) == {"code", "message", "request_id"}


def test_an_unexpected_failure_answers_500_without_detail(api: Api, world: DemoWorld, aws: LocalResources) -> None:
    jeanne = world.customers[0]
    token = api.login(jeanne.login_id, jeanne.password)["access_token"]
    boto3.client("dynamodb", region_name="eu-west-3").delete_table(TableName=aws.table_names["CustomersTable"])
    response = api.call("GET", "/account", token=token)
    assert response.status == 500
    error = body(response)["error"]
    assert error["code"] == "internal_error" and error["message"] == "Internal error."
    assert "Traceback" not in response.body and "ResourceNotFound" not in response.body
