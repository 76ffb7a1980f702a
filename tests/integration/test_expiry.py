"""Time-dependent rules, with the logic's clock moved: expiries hold in reads, before TTL deletes."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from selfcare.api.context import RequestInfo
from selfcare.auth.authorizer import RequestAuthorizer
from selfcare.auth.wiring import AuthService, build_auth_service
from selfcare.clock import add_months, epoch
from selfcare.config import AuthorizerSettings, AuthSettings
from selfcare.dal.logs import LogsRepository
from selfcare.dal.sessions import SessionsRepository
from selfcare.errors import InvalidCredentials, InvalidRecoveryToken, Unauthenticated

from infra.local.resources import LocalResources
from tests.factories import DemoWorld
from tests.fakes import FixedClock, InMemoryNotifier
from tests.integration.test_auth_probes import AnySolution

REQUEST = RequestInfo(request_id="req-1", source_ip="192.0.2.1", user_agent=None)


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(datetime.now(UTC).replace(microsecond=0))


@pytest.fixture
def notifier() -> InMemoryNotifier:
    return InMemoryNotifier()


@pytest.fixture
def service(world: DemoWorld, clock: FixedClock, notifier: InMemoryNotifier) -> AuthService:
    built = build_auth_service(AuthSettings.from_env(), notifier=notifier)
    built.clock = clock
    built.recovery.captcha = AnySolution()  # type: ignore[assignment]
    built.login.captcha = AnySolution()  # type: ignore[assignment]
    return built


@pytest.fixture
def authorizer(aws: LocalResources, clock: FixedClock) -> RequestAuthorizer:
    settings = AuthorizerSettings.from_env()
    built = RequestAuthorizer.from_settings(settings)
    built.clock = clock
    return built


def test_recovery_code_expires_after_exactly_15_minutes(
    service: AuthService, world: DemoWorld, clock: FixedClock, notifier: InMemoryNotifier
) -> None:
    jeanne = world.customers[0]
    service.recovery.forgot_password(jeanne.login_id, "solved", REQUEST)
    service.recovery.forgot_password(jeanne.login_id, "solved", REQUEST)
    first, second = (m.body.split("enter this code in the app: ")[1].split()[0] for m in notifier.sent)
    clock.advance(minutes=14, seconds=59)
    service.recovery.reset_password(first, "Tide-Lantern-Quarry-58", REQUEST)  # one second before the edge
    clock.advance(seconds=1)  # exactly 15 minutes after the second code was issued
    with pytest.raises(InvalidRecoveryToken):
        service.recovery.reset_password(second, "Other-Lantern-Quarry-58", REQUEST)


def test_account_lock_lifts_after_its_delay(service: AuthService, world: DemoWorld, clock: FixedClock) -> None:
    jeanne = world.customers[0]
    for _ in range(5):  # a CAPTCHA is asked from the 3rd failure: every solution passes here
        with pytest.raises(InvalidCredentials):
            service.login.login_customer(jeanne.login_id, "wrong-password-123", REQUEST, "solved")
    with pytest.raises(InvalidCredentials):  # locked for 15 s: the right password is refused too
        service.login.login_customer(jeanne.login_id, jeanne.password, REQUEST, "solved")
    clock.advance(seconds=15)
    assert service.login.login_customer(jeanne.login_id, jeanne.password, REQUEST, "solved").refresh_token


def test_an_expired_session_is_refused_before_ttl_deletes_it(
    service: AuthService, authorizer: RequestAuthorizer, world: DemoWorld, clock: FixedClock
) -> None:
    jeanne = world.customers[0]
    tokens = service.login.login_customer(jeanne.login_id, jeanne.password, REQUEST)
    assert authorizer.authorize(f"Bearer {tokens.access_token}", None).customer_id == jeanne.customer_id
    clock.advance(days=30)  # the session's lifetime; the item is still in the table
    assert SessionsRepository(service.context.sessions.table).live_sessions("customer#C0001", epoch(clock.now())) == []
    with pytest.raises(Unauthenticated):
        authorizer.authorize(f"Bearer {tokens.access_token}", None)


def test_log_entries_are_not_read_past_12_months(service: AuthService, world: DemoWorld, clock: FixedClock) -> None:
    jeanne = world.customers[0]
    collected = clock.now()
    service.login.login_customer(jeanne.login_id, jeanne.password, REQUEST)
    logs = LogsRepository(service.context.logs.connection_table, service.context.logs.audit_table)
    edge = epoch(add_months(collected, 12))
    assert len(logs.connections("customer#C0001", edge - 1)) == 1
    assert logs.connections("customer#C0001", edge) == []


def test_a_grant_stops_at_its_expiry(
    service: AuthService, authorizer: RequestAuthorizer, world: DemoWorld, clock: FixedClock
) -> None:
    from selfcare.auth.policy import StaffRole
    from selfcare.errors import Forbidden

    staff = world.staff[StaffRole.CUSTOMER_SERVICE_ADVISOR]
    tokens = service.login.login_staff(staff.email, staff.password, REQUEST)
    caller = authorizer.authorize(f"Bearer {tokens.access_token}", None)
    grant = service.staff_access.grant_assisted_access(caller, "C0001", "Customer asked for help by phone", 10, REQUEST)
    assert authorizer.authorize(f"Bearer {tokens.access_token}", grant.grant_id).customer_id == "C0001"
    clock.advance(minutes=10)
    with pytest.raises(Forbidden):
        authorizer.authorize(f"Bearer {tokens.access_token}", grant.grant_id)


def test_staff_passwords_expire_after_90_days(
    service: AuthService, authorizer: RequestAuthorizer, world: DemoWorld, clock: FixedClock
) -> None:
    from selfcare.auth.policy import Permission, StaffRole, authorize
    from selfcare.errors import PasswordChangeRequired

    staff = world.staff[StaffRole.PRODUCTION]
    tokens_later = _login_91_days_after_change(service, staff.email, staff.password)
    caller = authorizer.authorize(f"Bearer {tokens_later.access_token}", None)
    assert caller.password_expired
    with pytest.raises(PasswordChangeRequired):
        authorize(caller, Permission.READ)


def _login_91_days_after_change(service: AuthService, email: str, password: str):
    """Age the password instead of the clock (tokens are checked against real time)."""
    from selfcare.dal.credentials import principal_key
    from selfcare.dal.dynamo import client, key, values

    principal_id = service.context.credentials.principal_for(f"LOGIN#staff_email#{email}")
    assert principal_id
    client().update_item(
        TableName=service.context.credentials.table,
        Key=key(pk=principal_key(principal_id)),
        UpdateExpression="SET password_changed_at = :t",
        ExpressionAttributeValues=values(t=epoch(datetime.now(UTC)) - 91 * 86400),
    )
    return service.login.login_staff(email, password, REQUEST)
