"""Authentication through the emulated API Gateway: handlers, authorizer, moto."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import boto3
import pytest
from selfcare.clock import SystemClock, add_months

from infra.local.resources import LocalResources
from tests.factories import DemoWorld
from tests.fakes import FixedClock
from tests.integration.conftest import Api, body
from tests.integration.test_activation import solved

CUSTOMER_LOG_FIELDS = {"login_used", "at", "customer_id", "status", "digital_identity_id", "account_number"}
STAFF_LOG_FIELDS = {"professional_email", "at", "status"}
KEYS = {"principal", "sk", "expires_at"}


def _table(aws: LocalResources, logical_id: str):
    return boto3.resource("dynamodb", region_name="eu-west-3").Table(aws.table_names[logical_id])


def _error(response) -> dict:
    payload = body(response)
    assert set(payload) == {"error"}, payload
    return payload["error"]


@pytest.mark.parametrize("kind", ["login_id", "email", "phone", "account_number", "national_phone"])
def test_every_identifier_kind_logs_in(api: Api, world: DemoWorld, kind: str) -> None:
    jeanne = world.customers[0]
    identifier = {
        "login_id": jeanne.login_id.upper(),
        "email": jeanne.email.upper(),
        "phone": jeanne.phone,
        "account_number": jeanne.account_number,
        "national_phone": "06 12 34 56 78",
    }[kind]
    tokens = api.login(identifier, jeanne.password)
    assert tokens["token_type"] == "Bearer" and tokens["refresh_token"] and tokens["expires_in"] == 900
    assert body(api.call("GET", "/account", token=tokens["access_token"]))["account_number"] == jeanne.account_number


def test_connection_log_holds_exactly_the_spec_fields_for_12_months(
    api: Api, world: DemoWorld, aws: LocalResources
) -> None:
    jeanne, staff = world.customers[0], next(iter(world.staff.values()))
    api.login(jeanne.login_id, jeanne.password)
    api.call("POST", "/auth/login", {"identifier": jeanne.login_id, "password": "wrong-password-123"})
    api.call("POST", "/auth/login", {"identifier": "nobody@example.com", "password": "wrong-password-123"})
    api.staff_login(staff.email, staff.password)
    items = _table(aws, "ConnectionLogTable").scan()["Items"]
    assert len(items) == 4
    customer_entries = [i for i in items if str(i["principal"]).startswith("customer#")]
    staff_entries = [i for i in items if str(i["principal"]).startswith("staff#")]
    assert {frozenset(i) for i in customer_entries} == {frozenset(CUSTOMER_LOG_FIELDS | KEYS)}
    assert {frozenset(i) for i in staff_entries} == {frozenset(STAFF_LOG_FIELDS | KEYS)}
    by_status = {(i["status"], i["customer_id"]) for i in customer_entries}
    assert by_status == {("success", "C0001"), ("failure", "C0001"), ("failure", None)}
    success = next(i for i in customer_entries if i["status"] == "success")
    assert success["login_used"] == jeanne.login_id
    assert success["account_number"] == jeanne.account_number
    assert success["digital_identity_id"] == "MCID-7F3A9C21"
    collected = datetime.fromisoformat(str(success["at"]).replace("Z", "+00:00"))
    assert int(success["expires_at"]) == int(add_months(collected, 12).timestamp())
    assert staff_entries[0]["professional_email"] == staff.email


def test_wrong_password_unknown_account_and_locked_account_answer_alike(api: Api, world: DemoWorld) -> None:
    jeanne = world.customers[0]
    wrong = api.call("POST", "/auth/login", {"identifier": jeanne.login_id, "password": "not-the-password-1"})
    unknown = api.call("POST", "/auth/login", {"identifier": "ghost", "password": "not-the-password-1"})
    # From the 3rd failure on, each attempt comes with a solved CAPTCHA (tests/integration/test_login_captcha.py)
    for _ in range(5):
        attempt = {"identifier": jeanne.login_id, "password": "not-the-password-1", "captcha": solved(api)}
        assert api.call("POST", "/auth/login", attempt).status == 401
    locked = api.call(
        "POST", "/auth/login", {"identifier": jeanne.login_id, "password": jeanne.password, "captcha": solved(api)}
    )
    answers = [(r.status, {k: v for k, v in _error(r).items() if k != "request_id"}) for r in (wrong, unknown, locked)]
    assert answers[0] == answers[1] == answers[2]
    assert answers[0][0] == 401 and answers[0][1]["code"] == "invalid_credentials"


def test_a_source_address_is_blocked_after_repeated_failures(api: Api, world: DemoWorld) -> None:
    for n in range(20):
        attempt = {"identifier": f"user{n}", "password": "whatever-1234", "captcha": solved(api)}  # asked from the 3rd
        response = api.call("POST", "/auth/login", attempt, source_ip="198.51.100.7")
        assert response.status == 401
    attempt = {"identifier": "x1", "password": "y" * 12, "captcha": solved(api)}
    blocked = api.call("POST", "/auth/login", attempt, source_ip="198.51.100.7")
    assert blocked.status == 429 and _error(blocked)["code"] == "too_many_requests"
    assert int(blocked.headers["Retry-After"]) > 0
    # Another address is not affected, and the block is not an account lock.
    jeanne = world.customers[0]
    assert api.call("POST", "/auth/login", {"identifier": jeanne.login_id, "password": jeanne.password}).status == 200


def test_refresh_rotates_and_a_reused_token_revokes_the_session(api: Api, world: DemoWorld) -> None:
    jeanne = world.customers[0]
    first = api.login(jeanne.login_id, jeanne.password)
    second = body(api.call("POST", "/auth/refresh", {"refresh_token": first["refresh_token"]}))
    assert second["refresh_token"] != first["refresh_token"] and second["session_id"] == first["session_id"]
    assert api.call("GET", "/account", token=second["access_token"]).status == 200
    replay = api.call("POST", "/auth/refresh", {"refresh_token": first["refresh_token"]})
    assert replay.status == 401 and _error(replay)["code"] == "invalid_refresh_token"
    # The whole session is gone: the newest refresh token and the access token are refused.
    assert api.call("POST", "/auth/refresh", {"refresh_token": second["refresh_token"]}).status == 401
    assert api.call("GET", "/account", token=second["access_token"]).status == 401


def test_logout_refuses_the_access_token_at_once(api: Api, world: DemoWorld, aws: LocalResources) -> None:
    jeanne = world.customers[0]
    tokens = api.login(jeanne.login_id, jeanne.password)
    assert api.call("POST", "/auth/logout", token=tokens["access_token"]).status == 204
    after = api.call("GET", "/account", token=tokens["access_token"])
    assert after.status == 401 and _error(after)["code"] == "unauthorized"
    assert api.call("POST", "/auth/refresh", {"refresh_token": tokens["refresh_token"]}).status == 401
    audit = _table(aws, "AuditLogTable").scan()["Items"]
    assert [(a["action"], a["actor"]) for a in audit] == [("session.logged_out", "customer#C0001")]
    assert audit[0]["request_id"] and audit[0]["target"] == f"session#{tokens['session_id']}"


def test_sessions_are_listed_and_revoked_but_never_another_customers(api: Api, world: DemoWorld) -> None:
    jeanne, marco = world.customers
    phone = api.login(jeanne.login_id, jeanne.password)
    laptop = api.login(jeanne.email, jeanne.password)
    other = api.login(marco.login_id, marco.password)
    listed = body(api.call("GET", "/auth/sessions", token=laptop["access_token"]))["sessions"]
    assert {s["session_id"] for s in listed} == {phone["session_id"], laptop["session_id"]}
    assert [s["current"] for s in listed if s["session_id"] == laptop["session_id"]] == [True]
    assert listed[0]["device"] == "Firefox on Linux"
    foreign = api.call("DELETE", f"/auth/sessions/{other['session_id']}", token=laptop["access_token"])
    unknown = api.call("DELETE", "/auth/sessions/0123456789abcdef", token=laptop["access_token"])
    assert foreign.status == unknown.status == 404
    assert api.call("GET", "/account", token=other["access_token"]).status == 200
    assert api.call("DELETE", f"/auth/sessions/{phone['session_id']}", token=laptop["access_token"]).status == 204
    assert api.call("GET", "/account", token=phone["access_token"]).status == 401


def test_change_password_revokes_the_other_sessions(api: Api, world: DemoWorld) -> None:
    jeanne = world.customers[0]
    other = api.login(jeanne.login_id, jeanne.password)
    current = api.login(jeanne.login_id, jeanne.password)
    bad = api.call(
        "PUT",
        "/auth/password",
        {"current_password": "wrong-one-12345", "new_password": "Tide-Lantern-Quarry-58"},
        token=current["access_token"],
    )
    assert bad.status == 422 and _error(bad)["details"][0]["loc"] == ["body", "current_password"]
    weak = api.call(
        "PUT",
        "/auth/password",
        {"current_password": jeanne.password, "new_password": "password1234"},
        token=current["access_token"],
    )
    assert weak.status == 422 and _error(weak)["details"][0]["type"] == "weak_password"
    changed = api.call(
        "PUT",
        "/auth/password",
        {"current_password": jeanne.password, "new_password": "Tide-Lantern-Quarry-58"},
        token=current["access_token"],
    )
    assert changed.status == 200, changed.body
    assert api.call("GET", "/account", token=other["access_token"]).status == 401
    assert api.call("GET", "/account", token=current["access_token"]).status == 200
    assert api.call("GET", "/account", token=body(changed)["access_token"]).status == 200
    assert api.call("POST", "/auth/login", {"identifier": jeanne.login_id, "password": jeanne.password}).status == 401
    api.login(jeanne.login_id, "Tide-Lantern-Quarry-58")


def test_change_login_id_needs_a_recent_authentication(api: Api, world: DemoWorld) -> None:
    jeanne, marco = world.customers
    tokens = api.login(jeanne.login_id, jeanne.password)
    # Six minutes later, the login is no longer a recent authentication.
    service = api.gateway.handlers["auth"].service
    service.clock = FixedClock(datetime.now(UTC) + timedelta(minutes=6))
    stale = api.call("PUT", "/auth/login-id", {"login_id": "jeanne.d"}, token=tokens["access_token"])
    assert stale.status == 401 and _error(stale)["code"] == "reauthentication_required"
    service.clock = SystemClock()
    fresh = body(api.call("POST", "/auth/reauthenticate", {"password": jeanne.password}, token=tokens["access_token"]))
    taken = api.call("PUT", "/auth/login-id", {"login_id": marco.login_id}, token=fresh["access_token"])
    assert taken.status == 409 and _error(taken)["code"] == "identifier_taken"
    digits = api.call("PUT", "/auth/login-id", {"login_id": "123456789"}, token=fresh["access_token"])
    assert digits.status == 422 and _error(digits)["details"][0]["loc"] == ["body", "login_id"]
    done = api.call("PUT", "/auth/login-id", {"login_id": "Jeanne.D"}, token=fresh["access_token"])
    assert done.status == 200 and body(done) == {"login_id": "jeanne.d"}
    api.login("jeanne.d", jeanne.password)
    assert api.call("POST", "/auth/login", {"identifier": jeanne.login_id, "password": jeanne.password}).status == 401


def test_forgot_password_answers_alike_and_the_code_works_once(api: Api, world: DemoWorld) -> None:
    jeanne = world.customers[0]
    captchas = [solved(api), solved(api)]
    unsolved = api.call("POST", "/auth/password/forgot", {"identifier": jeanne.email, "captcha": "none"})
    assert unsolved.status == 400 and _error(unsolved)["code"] == "captcha_required"
    started = time.monotonic()
    known = api.call("POST", "/auth/password/forgot", {"identifier": jeanne.email, "captcha": captchas[0]})
    known_seconds = time.monotonic() - started
    started = time.monotonic()
    unknown = api.call("POST", "/auth/password/forgot", {"identifier": "nobody@example.com", "captcha": captchas[1]})
    unknown_seconds = time.monotonic() - started
    assert known.status == unknown.status == 202 and known.body == unknown.body
    assert min(known_seconds, unknown_seconds) >= 0.2  # both padded to the configured floor
    sent = outbox()
    assert [m["to"] for m in sent] == [jeanne.email]
    code = sent[0]["body"].split("enter this code in the app: ")[1].split()[0]
    weak = api.call("POST", "/auth/password/reset", {"token": code, "new_password": "short"})
    assert weak.status == 422
    assert (
        api.call("POST", "/auth/password/reset", {"token": code, "new_password": "Tide-Lantern-Quarry-58"}).status
        == 204
    )
    again = api.call("POST", "/auth/password/reset", {"token": code, "new_password": "Other-Lantern-Quarry-58"})
    assert again.status == 400 and _error(again)["code"] == "invalid_recovery_token"
    api.login(jeanne.login_id, "Tide-Lantern-Quarry-58")


def outbox() -> list[dict[str, str]]:
    """What moto's SES kept (the local stack shows the same as GET /_local/outbox)."""
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.ses.models import ses_backends

    messages = ses_backends[DEFAULT_ACCOUNT_ID]["eu-west-3"].sent_messages
    return [{"to": m.destinations["ToAddresses"][0], "body": m.body} for m in messages]
