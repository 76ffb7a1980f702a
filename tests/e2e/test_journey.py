"""A customer's and a staff member's journeys, over real HTTP, against `python -m infra.local`."""

from __future__ import annotations

import re
import secrets

import altcha
import pytest

from infra import definitions as d
from infra.local.seed import TO_ACTIVATE
from tests.e2e.conftest import Client, LocalStack

pytestmark = pytest.mark.e2e

RECOVERY_CODE = re.compile(r"enter this code in the app: (\S+)")


def new_password() -> str:
    return "E2e-" + secrets.token_urlsafe(16)


# Login and account -------------------------------------------------------------------------------
def test_a_customer_logs_in_with_each_kind_of_identifier(local_stack: LocalStack, client: Client) -> None:
    jeanne = local_stack.customer(0)
    identifiers = {
        "login id": jeanne["login_id"],
        "email": jeanne["email"],
        "phone, national form": jeanne["phone_national"],
        "phone, international form": jeanne["phone"],
        "account number": jeanne["account_number"],
    }
    assert re.fullmatch(r"0\d( \d\d){4}", jeanne["phone_national"]), jeanne["phone_national"]
    for kind, identifier in identifiers.items():
        reply = client.call("POST", "/auth/login", {"identifier": identifier, "password": jeanne["password"]})
        assert reply.status == 200, (kind, reply.text)
        tokens = reply.json()
        assert tokens["token_type"] == "Bearer" and tokens["access_token"] and tokens["refresh_token"], kind


def test_a_customer_reads_their_account_and_not_another(local_stack: LocalStack, client: Client) -> None:
    jeanne, marco = local_stack.customer(0), local_stack.customer(1)
    token = client.login(jeanne["login_id"], jeanne["password"])["access_token"]

    mine = client.call("GET", "/account", token=token)
    assert mine.status == 200, mine.text
    assert mine.json()["account_number"] == jeanne["account_number"]
    assert mine.headers["content-type"].startswith("application/json")

    by_number = client.call("GET", f"/accounts/{jeanne['account_number']}", token=token)
    assert by_number.status == 200 and by_number.json()["account_number"] == jeanne["account_number"]

    other = client.call("GET", f"/accounts/{marco['account_number']}", token=token)
    assert other.status == 404, other.text
    assert other.error_code == "not_found"


def test_a_wrong_password_is_refused_in_the_error_shape(local_stack: LocalStack, client: Client) -> None:
    jeanne = local_stack.customer(0)
    reply = client.call("POST", "/auth/login", {"identifier": jeanne["login_id"], "password": "Wrong-password-123"})
    assert reply.status == 401
    reply.error_code  # noqa: B018 - asserts the shape


# Sessions ----------------------------------------------------------------------------------------
def test_refresh_rotates_and_a_reused_refresh_token_revokes_the_session(
    local_stack: LocalStack, client: Client
) -> None:
    jeanne = local_stack.customer(0)
    first = client.login(jeanne["login_id"], jeanne["password"])

    rotated = client.call("POST", "/auth/refresh", {"refresh_token": first["refresh_token"]})
    assert rotated.status == 200, rotated.text
    second = rotated.json()
    assert second["refresh_token"] and second["refresh_token"] != first["refresh_token"]
    assert second["session_id"] == first["session_id"]
    assert client.call("GET", "/account", token=second["access_token"]).status == 200

    # The old refresh token presented again: refused, and the whole session is revoked
    reused = client.call("POST", "/auth/refresh", {"refresh_token": first["refresh_token"]})
    assert reused.status == 401, reused.text
    reused.error_code  # noqa: B018
    refused = client.call("POST", "/auth/refresh", {"refresh_token": second["refresh_token"]})
    assert refused.status == 401, refused.text
    revoked = client.call("GET", "/account", token=second["access_token"])
    assert revoked.status == 401 and revoked.error_code == "unauthorized"


def test_logout_ends_the_session_at_once(local_stack: LocalStack, client: Client) -> None:
    jeanne = local_stack.customer(0)
    token = client.login(jeanne["login_id"], jeanne["password"])["access_token"]
    assert client.call("GET", "/account", token=token).status == 200

    logout = client.call("POST", "/auth/logout", token=token)
    assert logout.status == 204, logout.text
    assert logout.text == ""

    after = client.call("GET", "/account", token=token)
    assert after.status == 401, after.text
    assert after.error_code == "unauthorized"


# What API Gateway answers itself, and input validation ----------------------------------------
def test_no_authorization_header_is_401(client: Client) -> None:
    reply = client.call("GET", "/account")
    assert reply.status == 401
    assert reply.error_code == "unauthorized"
    assert reply.json()["error"]["request_id"]


def test_an_unknown_route_is_404_in_the_error_shape(client: Client) -> None:
    for method, path in (("GET", "/nowhere"), ("DELETE", "/account"), ("GET", "/_local/nothing")):
        reply = client.call(method, path)
        assert reply.status == 404, (method, path, reply.text)
        assert reply.error_code == "not_found"


def test_a_body_above_the_limit_is_413(local_stack: LocalStack, client: Client) -> None:
    jeanne = local_stack.customer(0)
    big = {"identifier": jeanne["login_id"], "password": "x" * (20 * 1024)}
    reply = client.call("POST", "/auth/login", big)
    assert reply.status == 413, reply.text
    assert reply.error_code == "payload_too_large"


def test_the_local_server_refuses_a_huge_body_before_reading_it(local_stack: LocalStack) -> None:
    import http.client
    from urllib.parse import urlsplit

    url = urlsplit(local_stack.base_url)
    connection = http.client.HTTPConnection(url.hostname or "", url.port, timeout=10)
    try:
        connection.putrequest("POST", "/auth/login")
        connection.putheader("Content-Type", "application/json")
        connection.putheader("Content-Length", str(5 * 1024 * 1024))
        connection.endheaders()  # no body sent: the answer must come anyway
        response = connection.getresponse()
        assert response.status == 413
        assert b'"payload_too_large"' in response.read()
    finally:
        connection.close()


def test_malformed_json_is_422_with_details(client: Client) -> None:
    reply = client.call("POST", "/auth/login", raw='{"identifier": "jdupont", "password": ')
    assert reply.status == 422, reply.text
    assert reply.error_code == "validation_error"
    details = reply.json()["error"]["details"]
    assert details and all({"loc", "message", "type"} <= set(detail) for detail in details)
    assert details[0]["loc"][0] == "body"


def test_an_unknown_field_is_422_with_its_location(local_stack: LocalStack, client: Client) -> None:
    jeanne = local_stack.customer(0)
    body = {"identifier": jeanne["login_id"], "password": jeanne["password"], "remember_me": True}
    reply = client.call("POST", "/auth/login", body)
    assert reply.status == 422, reply.text
    assert reply.error_code == "validation_error"
    assert ["body", "remember_me"] in [detail["loc"] for detail in reply.json()["error"]["details"]]
    assert jeanne["password"] not in reply.text  # input never echoed


# Password recovery -------------------------------------------------------------------------------
def test_password_recovery_through_the_outbox(local_stack: LocalStack, client: Client) -> None:
    marco = local_stack.customer(1)
    old_password = marco["password"]

    # Given: the same answer whether the account exists or not
    known = client.call("POST", "/auth/password/forgot", {"identifier": marco["login_id"], "captcha": solved(client)})
    unknown = client.call(
        "POST", "/auth/password/forgot", {"identifier": "nobody-at-all@example.mc", "captcha": solved(client)}
    )
    assert known.status == unknown.status == 202, (known.text, unknown.text)
    assert known.text == unknown.text
    assert client.call("GET", "/_local/outbox?to=nobody-at-all@example.mc").json() == {"messages": []}

    # When: the code from the email resets the password
    outbox = client.call("GET", f"/_local/outbox?to={marco['email']}")
    assert outbox.status == 200
    messages = outbox.json()["messages"]
    assert messages, "no email was sent"
    latest = messages[0]
    assert latest["to"] == [marco["email"]] and latest["sent_at"] and latest["subject"]
    match = RECOVERY_CODE.search(latest["body"])
    assert match, latest["body"]
    password = new_password()
    reset = client.call("POST", "/auth/password/reset", {"token": match.group(1), "new_password": password})
    assert reset.status == 204, reset.text
    local_stack.set_password(marco["customer_id"], password)

    # Then: the new password logs in, the old one does not, and the code works once only
    client.login(marco["email"], password)
    old = client.call("POST", "/auth/login", {"identifier": marco["login_id"], "password": old_password})
    assert old.status == 401, old.text
    again = client.call("POST", "/auth/password/reset", {"token": match.group(1), "new_password": new_password()})
    assert again.status == 400, again.text
    assert again.error_code == "invalid_recovery_token"


# Identity (issue 8): activation, a contact email as login key, recovery at the new address ------------
def solved(client: Client) -> str:
    """A CAPTCHA from the API, solved for real with the ALTCHA library (the local stack runs a low cost)."""
    answer = client.call("GET", "/auth/captcha")
    assert answer.status == 200, answer.text
    challenge = altcha.Challenge.from_dict(answer.json())
    solution = altcha.solve_challenge(challenge)
    assert solution is not None
    return str(altcha.Payload(challenge=challenge, solution=solution).to_base64())


def newest_body(client: Client, to: str) -> str:
    messages = client.call("GET", f"/_local/outbox?to={to}").json()["messages"]
    assert messages, f"nothing sent to {to}"
    return str(messages[0]["body"])


def test_activate_change_the_contact_email_and_recover_at_the_new_address(client: Client) -> None:
    luc = TO_ACTIVATE
    # Given a customer of the CRM who never had a password: activation, the code at the record's email
    asked = client.call("POST", "/auth/activation", {"identifier": luc.account_number, "captcha": solved(client)})
    assert asked.status == 202, asked.text
    code = re.search(r"Your activation code: (\d{8})", newest_body(client, str(luc.contact_email)))
    assert code, "no activation code"
    password = new_password()
    activated = client.call(
        "POST",
        "/auth/activation/confirm",
        {"identifier": luc.account_number, "code": code.group(1), "password": password},
    )
    assert activated.status == 200, activated.text
    token = activated.json()["access_token"]
    # When the contact email is changed in the space (a code to the new address)
    new_email = "luc.new@example.mc"
    assert client.call("PUT", "/account/contact/email", {"email": new_email}, token=token).status == 202
    confirmation = re.search(r"Your confirmation code: (\d+)", newest_body(client, new_email))
    assert confirmation
    confirmed = client.call("POST", "/account/contact/email/confirmation", {"code": confirmation.group(1)}, token=token)
    assert confirmed.status == 200, confirmed.text
    # Then the new address logs in, the old one answers like an unknown identifier
    assert client.login(new_email, password)["access_token"]
    old = client.call("POST", "/auth/login", {"identifier": luc.contact_email, "password": password})
    assert old.status == 401 and old.error_code == "invalid_credentials"
    # And the password is recovered at the new address
    forgot = {"identifier": luc.account_number, "captcha": solved(client)}
    assert client.call("POST", "/auth/password/forgot", forgot).status == 202
    recovery = RECOVERY_CODE.search(newest_body(client, new_email))
    assert recovery
    again = new_password()
    reset = client.call("POST", "/auth/password/reset", {"token": recovery.group(1), "new_password": again})
    assert reset.status == 204, reset.text
    assert client.login(luc.account_number, again)["access_token"]


# Staff -------------------------------------------------------------------------------------------
def test_sales_staff_reach_a_customer_space_only_under_a_grant(local_stack: LocalStack, client: Client) -> None:
    sales, jeanne = local_stack.staff("sales"), local_stack.customer(0)
    token = client.staff_login(sales["email"], sales["password"])["access_token"]

    without = client.call("GET", "/account", token=token)
    assert without.status == 403, without.text
    without.error_code  # noqa: B018

    granted = client.call(
        "POST",
        "/staff/assisted-access",
        {"customer_id": jeanne["customer_id"], "reason": "Customer called about an invoice", "duration_minutes": 30},
        token=token,
    )
    assert granted.status == 201, granted.text
    grant = granted.json()
    assert grant["customer_id"] == jeanne["customer_id"] and grant["role"] == "sales"

    under = client.call("GET", "/account", token=token, headers={d.ASSISTED_ACCESS_HEADER: grant["grant_id"]})
    assert under.status == 200, under.text
    assert under.json()["account_number"] == jeanne["account_number"]

    # A customer cannot use the header
    customer_token = client.login(jeanne["login_id"], jeanne["password"])["access_token"]
    refused = client.call(
        "GET", "/account", token=customer_token, headers={d.ASSISTED_ACCESS_HEADER: grant["grant_id"]}
    )
    assert refused.status == 403, refused.text


# Local routes ------------------------------------------------------------------------------------
def test_swagger_ui_is_served_offline(client: Client) -> None:
    page = client.call("GET", "/docs")
    assert page.status == 200
    assert page.headers["content-type"].startswith("text/html")
    assert "SwaggerUIBundle" in page.text and "persistAuthorization: true" in page.text
    script = client.call("GET", "/docs/swagger-ui-bundle.js")
    assert script.status == 200 and len(script.text) > 100_000
    assert client.call("GET", "/docs/../../etc/passwd").status == 404


def test_the_openapi_document_is_served(client: Client) -> None:
    reply = client.call("GET", "/openapi.json")
    assert reply.status == 200, reply.text
    assert reply.headers["content-type"].startswith("application/json")
    document = reply.json()
    assert document["openapi"].startswith("3.")
    assert {route.path for route in d.ROUTES} <= set(document["paths"])


def test_health(client: Client) -> None:
    reply = client.call("GET", "/_local/health")
    assert reply.status == 200 and reply.json() == {"status": "ok"}
