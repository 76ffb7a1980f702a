"""Fixes for what probes found in auth (issue 8, section 5): each test failed before its fix."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime

import pytest
from selfcare.api.context import RequestInfo
from selfcare.auth.wiring import AuthService, build_auth_service
from selfcare.clock import epoch
from selfcare.config import AuthSettings
from selfcare.dal.logs import LogsRepository
from selfcare.observability import logger

from tests.factories import DemoWorld
from tests.fakes import FixedClock, InMemoryNotifier
from tests.integration.conftest import Api

REQUEST = RequestInfo(request_id="req-1", source_ip="192.0.2.1", user_agent=None)


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(datetime.now(UTC).replace(microsecond=0))


@pytest.fixture
def notifier() -> InMemoryNotifier:
    return InMemoryNotifier()


class AnySolution:
    """The CAPTCHA of service-level tests: every solution passes (the HTTP tests solve real ones)."""

    def require(self, payload: str | None) -> None:
        del payload


@pytest.fixture
def service(world: DemoWorld, clock: FixedClock, notifier: InMemoryNotifier) -> AuthService:
    built = build_auth_service(AuthSettings.from_env(), notifier=notifier)
    built.clock = clock
    built.recovery.captcha = AnySolution()  # type: ignore[assignment]
    return built


class Lines(logging.Handler):
    """The structured log lines written while it is attached (formatted by the Powertools formatter)."""

    def __init__(self) -> None:
        super().__init__()
        self.lines: list[dict[str, object]] = []
        self.setFormatter(logger.registered_formatter)

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(json.loads(self.format(record)))


def test_authorizer_lines_do_not_carry_the_previous_callers_session(api: Api, world: DemoWorld) -> None:
    # Given a warm authorizer that has just allowed a customer's request
    jeanne = world.customers[0]
    token = api.login(jeanne.login_id, jeanne.password)["access_token"]
    lines = Lines()
    level = logger.log_level
    logger.setLevel("INFO")  # the tests run at WARNING
    logger._logger.addHandler(lines)  # the std logger under Powertools' wrapper
    try:
        assert api.call("GET", "/account", token=token).status == 200
        # When the next request carries a forged token
        assert api.call("GET", "/account", token="forged.token.value").status == 401
    finally:
        logger._logger.removeHandler(lines)
        logger.setLevel(level)
    # Then the refusal's line has no session key of the previous caller
    refused = [line for line in lines.lines if line.get("message") == "request refused: unauthenticated"]
    assert len(refused) == 1
    assert "session_id" not in refused[0] and "principal_type" not in refused[0]


def test_recovery_emails_are_limited_per_account(
    service: AuthService, world: DemoWorld, clock: FixedClock, notifier: InMemoryNotifier
) -> None:
    # Given a customer whose recovery is asked for 7 times in a row
    jeanne = world.customers[0]
    for _ in range(7):
        service.recovery.forgot_password(jeanne.login_id, "solved", REQUEST)
    # Then only the first 5 sent an email (the others answered alike, sending nothing)
    assert [m.to for m in notifier.sent] == [jeanne.email] * 5
    # And a day later, a new request sends again
    clock.advance(hours=24)
    service.recovery.forgot_password(jeanne.email, "solved", REQUEST)
    assert len(notifier.sent) == 6


def test_first_unknown_identifier_costs_no_extra_hash(service: AuthService) -> None:
    # Given the auth service as built at cold start
    passwords = service.context.passwords

    def no_hashing(password: str) -> str:
        raise AssertionError("hashed during a login")

    passwords.hash = no_hashing  # type: ignore[method-assign]
    # When the process's first unknown identifier is checked, it only verifies (like a known one)
    assert passwords.verify(None, "whatever-password-1") is False


def test_linking_by_password_is_in_the_linked_accounts_connection_log(
    api: Api, world: DemoWorld, service: AuthService
) -> None:
    # Given Jeanne, freshly logged in
    jeanne, marco = world.customers
    token = api.login(jeanne.login_id, jeanne.password)["access_token"]
    # When she links Marco's account with his password
    linked = api.call("POST", "/account/links", {"identifier": marco.login_id, "password": marco.password}, token=token)
    assert linked.status == 201, linked.body
    # Then Marco's connection log has a successful entry for it, like a login
    logs = LogsRepository(service.context.logs.connection_table, None)
    entries = logs.connections(f"customer#{marco.customer_id}", epoch(datetime.now(UTC)))
    assert [(e["status"], e["login_used"], e["customer_id"]) for e in entries] == [
        ("success", marco.login_id, marco.customer_id)
    ]
