"""Throttling delays, identifiers, time arithmetic, role policy, device labels."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from selfcare.auth.devices import device_label
from selfcare.auth.policy import Caller, Permission, PrincipalType, StaffRole, authorize
from selfcare.auth.throttle import ThrottlePolicy
from selfcare.clock import add_months
from selfcare.errors import AssistedAccessRequired, Forbidden, PasswordChangeRequired
from selfcare.identifiers import IdentifierKind, customer_lookup_keys, normalize_phone


def test_account_delays_grow_and_are_capped() -> None:
    policy = ThrottlePolicy()
    delays = [policy.account_lock_seconds(n) for n in range(1, 14)]
    assert delays[:4] == [0, 0, 0, 0]
    assert delays[4:8] == [15, 30, 60, 120]
    assert max(delays) == 900 and delays[-1] == 900


def test_address_delays_grow_and_are_capped() -> None:
    policy = ThrottlePolicy()
    assert policy.address_block_seconds(19) == 0
    assert [policy.address_block_seconds(n) for n in (20, 21, 22)] == [60, 120, 240]
    assert policy.address_block_seconds(40) == 3600


def test_the_login_captcha_is_asked_from_the_3rd_failure_until_a_solution_covers_them() -> None:
    policy = ThrottlePolicy()
    # Given no solved CAPTCHA yet: asked once 3 failures are counted
    assert [policy.captcha_needed(n, 0) for n in (0, 1, 2, 3, 4)] == [False, False, False, True, True]
    # When a solved one covered 3 failures: not asked again until a 4th
    assert policy.captcha_needed(3, 3) is False
    assert policy.captcha_needed(4, 3) is True


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("+377 6 12 34 56 78", "+377612345678"),
        ("06 12 34 56 78", "+377612345678"),
        ("00377 97 97 00 00", "+37797970000"),
        ("+33 6 12 34 56 78", "+33612345678"),
        ("12", None),
        ("not a number", None),
    ],
)
def test_phone_numbers_are_normalised_to_e164(raw: str, expected: str | None) -> None:
    assert normalize_phone(raw) == expected


def test_identifier_kinds() -> None:
    assert customer_lookup_keys(" Jeanne.Dupont@Example.MC ") == [(IdentifierKind.EMAIL, "jeanne.dupont@example.mc")]
    assert customer_lookup_keys("JDupont") == [(IdentifierKind.LOGIN_ID, "jdupont")]
    assert customer_lookup_keys("100200300") == [(IdentifierKind.ACCOUNT_NUMBER, "100200300")]
    assert (IdentifierKind.PHONE, "+377612345678") in customer_lookup_keys("06 12 34 56 78")


def test_months_are_calendar_months() -> None:
    assert add_months(datetime(2026, 1, 31, tzinfo=UTC), 1) == datetime(2026, 2, 28, tzinfo=UTC)
    assert add_months(datetime(2028, 2, 29, 10, 30, tzinfo=UTC), 12) == datetime(2029, 2, 28, 10, 30, tzinfo=UTC)
    assert add_months(datetime(2026, 11, 22, tzinfo=UTC), 12) == datetime(2027, 11, 22, tzinfo=UTC)


def _staff(role: StaffRole, customer: str | None = "C1", grant: str | None = "g" * 12) -> Caller:
    return Caller(PrincipalType.STAFF, "S1", "sid", 0, customer_id=customer, role=role, grant_id=grant)


EXPECTED = {
    StaffRole.SALES: {Permission.READ},
    StaffRole.PRODUCTION: {Permission.READ, Permission.MODIFY, Permission.BANKING},
    StaffRole.INFRASTRUCTURE: {Permission.READ, Permission.MODIFY, Permission.BANKING},
    StaffRole.CUSTOMER_SERVICE_STAFF: {Permission.READ},
    StaffRole.CUSTOMER_SERVICE_ADVISOR: {Permission.READ, Permission.MODIFY},
}


@pytest.mark.parametrize("role", list(StaffRole))
@pytest.mark.parametrize("permission", list(Permission))
def test_role_matrix(role: StaffRole, permission: Permission) -> None:
    if permission in EXPECTED[role]:
        assert authorize(_staff(role), permission) == "C1"
    else:
        with pytest.raises(Forbidden):
            authorize(_staff(role), permission)


def test_staff_without_grant_reach_no_customer() -> None:
    with pytest.raises(AssistedAccessRequired):
        authorize(_staff(StaffRole.PRODUCTION, customer=None, grant=None), Permission.READ)


def test_customers_act_on_their_own_space_only() -> None:
    caller = Caller(PrincipalType.CUSTOMER, "C7", "sid", 0, customer_id="C7")
    assert {authorize(caller, p) for p in Permission} == {"C7"}


def test_expired_password_blocks_everything() -> None:
    caller = Caller(PrincipalType.STAFF, "S1", "sid", 0, "C1", StaffRole.PRODUCTION, "g" * 12, password_expired=True)
    with pytest.raises(PasswordChangeRequired):
        authorize(caller, Permission.READ)


def test_device_labels_keep_no_raw_user_agent() -> None:
    ua = "Mozilla/5.0 (X11; Linux x86_64; rv:140.0) Gecko/20100101 Firefox/140.0"
    assert device_label(ua) == "Firefox on Linux"
    assert device_label(None) == "Unknown device"
    assert device_label("curl/8.5.0") == "curl"
