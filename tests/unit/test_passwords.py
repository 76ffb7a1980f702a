from __future__ import annotations

import pytest
from argon2.exceptions import VerifyMismatchError
from selfcare.auth.passwords import HashParameters, Passwords, check_policy, policy_problems
from selfcare.errors import InvalidInput

FAST = HashParameters(time_cost=1, memory_kib=1024, parallelism=1)


def test_hash_is_argon2id_with_its_parameters_and_verifies() -> None:
    passwords = Passwords(FAST)
    stored = passwords.hash("correct horse battery staple")
    assert stored.startswith("$argon2id$v=19$m=1024,t=1,p=1$")
    assert passwords.verify(stored, "correct horse battery staple")
    assert not passwords.verify(stored, "correct horse battery stapl")


def test_raised_parameters_ask_for_a_rehash() -> None:
    old = Passwords(FAST).hash("correct horse battery staple")
    stronger = Passwords(HashParameters(time_cost=2, memory_kib=2048, parallelism=1))
    assert stronger.needs_rehash(old)
    assert stronger.verify(old, "correct horse battery staple")  # old hashes still verify


def test_verify_without_a_hash_does_the_same_work_and_fails() -> None:
    passwords = Passwords(FAST)
    assert passwords.verify(None, "anything at all") is False
    assert passwords._dummy_hash is not None and passwords._dummy_hash.startswith("$argon2id$v=19$m=1024,t=1,p=1$")


def test_the_timing_equaliser_has_the_hasher_s_parameters_and_matches_nothing() -> None:
    # Given a hasher; When it is built (no argon2 computation at the cold start)
    passwords = Passwords(FAST)
    # Then its stand-in hash is well formed, has the same cost as a real hash (no rehash asked), and verifies nothing
    assert not passwords.needs_rehash(passwords._dummy_hash)
    assert passwords.verify(passwords._dummy_hash, "selfcare-timing-equaliser") is False
    assert passwords.verify(passwords._dummy_hash, "") is False
    # a mismatch after the full computation, not a malformed hash refused at once
    with pytest.raises(VerifyMismatchError):
        passwords._hasher.verify(passwords._dummy_hash, "anything at all")


@pytest.mark.parametrize(
    ("password", "reason"),
    [
        ("short-1A", "at least 12"),
        ("QazWsxEdcRfv", "common"),  # on the shipped list, whatever the case
        ("Password123456", "common"),  # a common word with digits around it
        ("aaaaaaaaaaaabbbb", "different characters"),
        ("jdupont-is-the-best", "login identifier"),
    ],
)
def test_policy_refuses(password: str, reason: str) -> None:
    problems = policy_problems(password, personal=("jdupont", "jeanne.dupont@example.mc"))
    assert any(reason in p for p in problems), problems


def test_policy_accepts_a_long_uncommon_password() -> None:
    assert policy_problems("Tide-Lantern-Quarry-58") == []


def test_policy_error_names_the_field() -> None:
    with pytest.raises(InvalidInput) as caught:
        check_policy("short", field="new_password")
    assert caught.value.problems[0].loc == ("body", "new_password")
    assert caught.value.problems[0].type == "weak_password"
